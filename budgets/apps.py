from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BudgetsConfig(AppConfig):
    name = "budgets"
    verbose_name = _("Budgets")

    def ready(self) -> None:
        from budgets import contributions

        contributions.register()
        from budgets import dashboard  # noqa: F401 — registers the budget to-do items
        from core.deadlines.registry import ObligationKind, register_kind

        register_kind(
            ObligationKind(
                code="balance_use_report",
                label=_("Report on the use of a kept balance"),
                rule="B9",
                article="KRD-FUNDS §44, MAJOR-FUNDS §47",
            )
        )
