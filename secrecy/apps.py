from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SecrecyConfig(AppConfig):
    name = "secrecy"
    verbose_name = _("Secrecy")

    def ready(self) -> None:
        from core.deadlines.registry import ObligationKind, register_kind

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

        from secrecy import tasks  # noqa: F401 - registers the timer action
