from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from budgets import rules

PROGRAMS = [
    ("key_rd", _("National Key R&D Program")),
    ("major", _("National Science and Technology Major Project")),
    ("intl", _("International S&T Cooperation Program")),
]


def _amount(label):
    return forms.DecimalField(
        label=label, min_value=Decimal(0), max_digits=14, decimal_places=2, initial=Decimal("0.00")
    )


class IndirectCapForm(forms.Form):
    """The calculator's input (B2)."""

    program = forms.ChoiceField(label=_("Program"), choices=PROGRAMS)
    edition = forms.ChoiceField(
        label=_("Policy edition"),
        required=False,
        choices=[("", _("in force today"))] + [(code, edition.title) for code, edition in rules.EDITIONS.items()],
    )
    direct = _amount(_("Direct costs (yuan)"))
    equipment_purchase = _amount(_("of which equipment purchase (yuan)"))
    capital_construction = forms.DecimalField(
        label=_("of which capital construction (yuan, major projects)"),
        min_value=Decimal(0),
        max_digits=14,
        decimal_places=2,
        required=False,
    )
    theory = forms.BooleanField(label=_("Pure theoretical basic research (2021 reform)"), required=False)

    def clean(self):
        data = super().clean()
        direct, purchase = data.get("direct"), data.get("equipment_purchase")
        construction = data.get("capital_construction") or Decimal(0)
        data["capital_construction"] = construction
        if direct is not None and purchase is not None and purchase + construction > direct:
            raise forms.ValidationError(
                _("Equipment purchase and capital construction are part of the direct costs: they cannot exceed them.")
            )
        program, edition = data.get("program"), data.get("edition")
        if program and edition and program not in rules.EDITIONS[edition].programs:
            self.add_error("edition", _("This edition does not cover the chosen program."))
        return data
