"""Timer actions of the report depository, run by the deadline engine's sweep (design §5)."""

from core.deadlines.registry import register_action
from reports import services
from reports.models import TechReport


@register_action("reports.release")
def release(obligation) -> None:
    """T7 — REPORTS §19: a delayed report becomes public on its release date, once."""
    report = TechReport.objects.filter(pk=obligation.object_id).first()
    if report is not None:
        services.release_due(report=report)
