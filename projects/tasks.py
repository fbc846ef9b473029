from celery import shared_task

from core.deadlines.registry import register_action
from projects import services
from projects.models import Project


@shared_task(name="projects.tasks.obligations_ensure")
def obligations_ensure() -> int:
    """Every few hours: every active project has its upcoming P6/B7 obligations."""
    created = 0
    for project in Project.objects.filter(state=Project.State.ACTIVE).select_related(
        "leader", "lead_unit", "managing_agency"
    ):
        created += len(services.project_obligations_ensure(project=project))
    return created


@register_action("projects.close_call")
def close_call(obligation) -> None:
    """Timer of a call's closing obligation: the submission window closes (P1)."""
    services.call_close(call=obligation.target)


@register_action("projects.close_public_notice")
def close_public_notice(obligation) -> None:
    """Timer at the end of a public notice (P5)."""
    services.public_notice_close(notice=obligation.target)


@register_action("projects.close_appeal_window")
def close_appeal_window(obligation) -> None:
    """Timer at the end of the appeal window: from now on appeals are refused (P4). Nothing
    else changes; the window's end is on the record."""
