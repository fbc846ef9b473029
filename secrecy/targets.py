"""The items a decision classifies, named generically: a reference ``app_label.model:id`` finds
one, and a classified item's page is linked from its decision."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db.models import Model
from django.urls import NoReverseMatch, reverse

from secrecy.models import Classification

# Pages of the objects classified so far (reports and IP items come later with their apps).
TARGET_PAGES = {
    "projects.call": lambda target: reverse("projects:call_detail", args=[target.pk]),
    "projects.proposal": lambda target: reverse("projects:proposal_detail", args=[target.pk]),
    "projects.project": lambda target: reverse("projects:project_detail", args=[target.pk]),
    "projects.subject": lambda target: reverse("projects:proposal_detail", args=[target.proposal_id]),
}


def resolve_target(model_key: str, object_id) -> Model | None:
    """The object named by ``app_label.model`` and its primary key; None when there is none."""
    try:
        app_label, model = (model_key or "").strip().lower().split(".", 1)
        content_type = ContentType.objects.get_by_natural_key(app_label, model)
        object_id = int(object_id)
    except (ValueError, TypeError, ContentType.DoesNotExist):
        return None
    if not 0 < object_id < 2**63:
        return None
    model_class = content_type.model_class()
    if model_class is None:
        return None
    return model_class._default_manager.filter(pk=object_id).first()


def target_key(content_type: ContentType) -> str:
    return f"{content_type.app_label}.{content_type.model}"


def target_url(classification: Classification) -> str:
    """The page of the classified object, when it has one."""
    target = classification.target
    if target is None:
        return ""
    page = TARGET_PAGES.get(target_key(classification.content_type))
    try:
        if page is not None:
            return page(target)
        absolute = getattr(target, "get_absolute_url", None)
        return absolute() if callable(absolute) else ""
    except NoReverseMatch:
        return ""
