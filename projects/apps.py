from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = _("Projects")

    def ready(self) -> None:
        from core import beat
        from core.deadlines.registry import ObligationKind, register_kind

        register_kind(
            ObligationKind(
                code="annual_report",
                label=_("Annual progress report"),
                rule="P6",
                article="KRD-MGMT §42",
            )
        )
        register_kind(
            ObligationKind(
                code="final_accounts",
                label=_("Annual final accounts"),
                rule="B7",
                article="KRD-FUNDS §37",
            )
        )
        register_kind(
            ObligationKind(
                code="call_closing",
                label=_("Closing of applications"),
                rule="P1",
                article="KRD-MGMT §21",
                reminder_days=(),
                action="projects.close_call",
            )
        )
        register_kind(
            ObligationKind(
                code="public_notice_end",
                label=_("End of public notice"),
                rule="P5",
                article="KRD-MGMT §33",
                reminder_days=(),
                action="projects.close_public_notice",
            )
        )
        register_kind(
            ObligationKind(
                code="task_book_confirmation", label=_("Task book signature"), rule="P5", article="KRD-MGMT §33"
            )
        )
        register_kind(
            ObligationKind(
                code="formal_application",
                label=_("Formal application after the shortlist"),
                rule="P3",
                article="KRD-MGMT §28",
            )
        )
        register_kind(
            ObligationKind(
                code="post_evaluation", label=_("Evaluation after fast-track approval"), rule="P12", article="INTL §10"
            )
        )
        register_kind(
            ObligationKind(
                code="appeal_window",
                label=_("Appeal window"),
                rule="P4",
                article="KRD-MGMT §36",
                reminder_days=(1,),
                action="projects.close_appeal_window",
            )
        )
        beat.register("projects-obligations-ensure", "projects.tasks.obligations_ensure", 6 * 3600.0)

        from projects import tasks  # noqa: F401 - registers the timer actions
