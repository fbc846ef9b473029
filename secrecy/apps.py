from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SecrecyConfig(AppConfig):
    name = "secrecy"
    verbose_name = _("Secrecy")

    def ready(self) -> None:
        from core import navigation, visibility
        from core.access import AUTHENTICATED, roles
        from core.deadlines.registry import ObligationKind, register_kind
        from secrecy import dashboard, tasks  # noqa: F401 - register the to-do items and the timer action
        from secrecy.visibility import NEED_TO_KNOW

        # S6, S8: core hides what a user may not know of, and marks pages, through this hook.
        visibility.register(NEED_TO_KNOW)

        register_kind(
            ObligationKind(
                code="secrecy_expiry",
                label=_("Declassification at the end of the period"),
                rule="S4",
                article="SECRETS-LAW §19",
                reminder_days=(),
                action="secrecy.declassify_expired",
            )
        )
        register_kind(
            ObligationKind(code="secrecy_filing", label=_("Secrecy filing"), rule="S5", article="SECRECY §23(2)")
        )
        register_kind(
            ObligationKind(
                code="secrecy_annual_filing", label=_("Annual secrecy filing"), rule="S5", article="SECRECY §23(1)"
            )
        )
        register_kind(
            ObligationKind(
                code="secrecy_provisional_report",
                label=_("Report of a provisional level"),
                rule="S7",
                article="SECRETS-REGS §19",
                reminder_days=(3, 1),
            )
        )
        register_kind(
            ObligationKind(
                code="secrecy_provisional_decision",
                label=_("Decision on a provisional level"),
                rule="S7",
                article="SECRETS-REGS §19",
                reminder_days=(3, 1),
            )
        )
        register_kind(
            ObligationKind(
                code="secrecy_leak_report",
                label=_("Leak report to the secrecy authority"),
                rule="S10",
                article="SECRETS-REGS §34",
                reminder_days=(),
            )
        )

        navigation.register(
            navigation.NavItem(_("Classifications"), "secrecy:classification_list", roles("secrecy_officer"), order=60)
        )
        navigation.register(
            navigation.NavItem(
                _("Secrecy filings"), "secrecy:filing_list", roles("secrecy_officer", "ministry"), order=61
            )
        )
        navigation.register(
            navigation.NavItem(_("Leak reports"), "secrecy:leak_list", roles("secrecy_officer"), order=62)
        )
        navigation.register(
            navigation.NavItem(
                _("Need-to-know"), "secrecy:organisation_grants", roles("unit_admin", "secrecy_officer"), order=63
            )
        )
        # S10 — SECRETS-REGS §34: anyone may report a suspected leak, from every page.
        navigation.register(navigation.NavItem(_("Report a leak"), "secrecy:leak_new", AUTHENTICATED, order=890))
