"""Timer actions of the secrecy app, run by the deadline engine's sweep (design §5)."""

from core.deadlines.registry import register_action
from secrecy import services
from secrecy.models import Classification


@register_action("secrecy.declassify_expired")
def declassify_expired(obligation) -> None:
    """S4 — SECRETS-LAW §19: the period has ended; the decision ends on its own, once."""
    classification = Classification.objects.filter(pk=obligation.object_id).first()
    if classification is not None:
        services.declassify_expired(classification=classification)
