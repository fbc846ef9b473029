from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Sci-tech reports")

    def ready(self) -> None:
        from reports import contributions

        contributions.register()
        from core import navigation
        from core.access import PUBLIC, roles
        from core.deadlines.registry import ObligationKind, register_kind

        register_kind(ObligationKind(code="tech_report", label=_("Tech report"), rule="T1", article="REPORTS §10"))
        register_kind(
            ObligationKind(
                code="tech_report_release",
                label=_("Release of a delayed tech report"),
                rule="T7",
                article="REPORTS §19",
                reminder_days=(),
                action="reports.release",
            )
        )

        # T6 — REPORTS §18: the depository for everyone; the statistics for the managers.
        navigation.register(navigation.NavItem(_("Tech reports"), "reports:public_list", PUBLIC, order=50))
        navigation.register(
            navigation.NavItem(
                _("Report statistics"), "reports:statistics", roles("agency", "ministry", "admin"), order=55
            )
        )

        from reports import services, tasks  # noqa: F401 - registers the timer action
        from secrecy.services import declassified

        declassified.connect(services.on_declassified, dispatch_uid="reports.on_declassified")
