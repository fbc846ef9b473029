from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from budgets import rules
from budgets.models import OTHER_SOURCES, IncomeSource
from projects.models import Attachment

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


class LinesForm(forms.Form):
    """One subject unit's budget table: per category the amounts per source, the calculation
    basis and explanation (and, in a review or an adjustment, the reason for a change)."""

    SOURCES = ("central", "local_government", "own", "other_channel")

    def __init__(self, *args, categories: list[tuple[str, str]], with_reason: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.categories = categories
        for category, label in categories:
            for source in self.SOURCES:
                if category == "indirect" and source != "central":
                    continue
                self.fields[f"{category}-{source}"] = forms.DecimalField(
                    label=label, required=False, min_value=0, max_digits=14, decimal_places=2
                )
            if category == "indirect":
                self.fields[f"{category}-performance_pay"] = forms.DecimalField(
                    label=_("of which performance pay"), required=False, min_value=0, max_digits=14, decimal_places=2
                )
            self.fields[f"{category}-basis"] = forms.CharField(label=_("calculation basis"), required=False)
            self.fields[f"{category}-explanation"] = forms.CharField(label=_("explanation"), required=False)
            if with_reason:
                self.fields[f"{category}-change_reason"] = forms.CharField(label=_("reason"), required=False)

    def rows(self) -> dict[str, dict]:
        data = self.cleaned_data
        rows = {}
        for category, _label in self.categories:
            rows[category] = {
                name: data.get(f"{category}-{name}")
                for name in (*self.SOURCES, "performance_pay", "basis", "explanation", "change_reason")
                if f"{category}-{name}" in self.fields
            }
        return rows

    def by_service_names(self) -> ServiceNamedCells:
        """This table under the names the service and the API give its cells, for
        ``core.refusals``: a refusal naming ``materials.central`` lands on that input."""
        return ServiceNamedCells(self)


class ServiceNamedCells:
    """A ``LinesForm`` seen with the service's names for its cells (``<category>.<column>``
    for the input ``<category>-<column>``): the fields, errors and ``add_error`` that
    ``core.refusals.add_to_form`` reads and writes, passed on to the form itself."""

    def __init__(self, form: LinesForm):
        self.form = form
        self.fields = {name.replace("-", "."): field for name, field in form.fields.items()}

    @property
    def errors(self) -> dict:
        return {name.replace("-", "."): texts for name, texts in self.form.errors.items()}

    def non_field_errors(self):
        return self.form.non_field_errors()

    def add_error(self, field: str | None, error) -> None:
        self.form.add_error(None if field is None else field.replace(".", "-"), error)


class YearsForm(forms.Form):
    def __init__(self, *args, years: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.years = years
        for year in years:
            self.fields[f"year-{year}"] = forms.DecimalField(
                label=str(year), required=False, min_value=0, max_digits=14, decimal_places=2
            )

    def plan(self) -> dict[int, Decimal]:
        return {year: self.cleaned_data.get(f"year-{year}") or Decimal(0) for year in self.years}


class EquipmentItemForm(forms.Form):
    name = forms.CharField(label=_("equipment"), max_length=200)
    specification = forms.CharField(label=_("model and specification"), max_length=200, required=False)
    quantity = forms.IntegerField(label=_("quantity"), min_value=1)
    unit_price = forms.DecimalField(label=_("unit price (yuan)"), min_value=0, max_digits=14, decimal_places=2)
    central = forms.DecimalField(
        label=_("of which central special funds"), min_value=0, max_digits=14, decimal_places=2, required=False
    )
    justification = forms.CharField(
        label=_("why it is needed"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )


class IncomeSourceForm(forms.Form):
    source = forms.ChoiceField(label=_("source"))
    funder = forms.CharField(label=_("funder"), max_length=200)
    amount = forms.DecimalField(
        label=_("committed amount (yuan)"), min_value=Decimal("0.01"), max_digits=14, decimal_places=2
    )
    form = forms.ChoiceField(label=_("form"))
    is_central_funds = forms.BooleanField(label=_("the money is itself central government funds"), required=False)
    letter = forms.FileField(label=_("commitment letter (PDF)"), required=False)
    letter_level = forms.ChoiceField(
        label=_("classification level of the letter"),
        required=False,
        help_text=_("This portal is not a classified information system: classified files are refused (S11)."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].choices = [(s.value, s.label) for s in OTHER_SOURCES]
        self.fields["form"].choices = IncomeSource.Form.choices
        self.fields["letter_level"].choices = Attachment.LEVEL_CHOICES


class ExpertPayeeForm(forms.Form):
    name = forms.CharField(label=_("name"), max_length=100)
    id_number = forms.CharField(label=_("ID number"), max_length=40, required=False)
    organisation_name = forms.CharField(label=_("organisation"), max_length=200, required=False)
    amount = forms.DecimalField(label=_("amount (yuan)"), min_value=0, max_digits=14, decimal_places=2)


class ReviewAnswerForm(forms.Form):
    agrees = forms.TypedChoiceField(
        label=_("Your answer"),
        choices=[("1", _("I accept the reviewed budget")), ("0", _("I do not accept all of it"))],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
    )
    response = forms.CharField(label=_("Response"), widget=forms.Textarea(attrs={"rows": 3}), required=False)


class AdjustmentForm(forms.Form):
    reason = forms.CharField(label=_("Reason for the adjustment"), widget=forms.Textarea(attrs={"rows": 3}))


class DecisionForm(forms.Form):
    comment = forms.CharField(label=_("Comment"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
