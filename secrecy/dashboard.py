"""The secrecy items of "my tasks": additions to a need-to-know list awaiting the head's
approval (S6), objections and secrecy reviews awaiting the deciding authority (S7, S9) and
leak reports awaiting measures (S10). Filings and provisional levels come through their
deadlines."""

from __future__ import annotations

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.dashboard import TodoItem, register
from secrecy import policies
from secrecy.models import Dispute, KnowledgeGrant, LeakReport, SecrecyReview

LIMIT = 50


@register
def secrecy_todo_items(user) -> list[TodoItem]:
    if not getattr(user, "is_authenticated", False):
        return []
    items = []
    pending = (
        KnowledgeGrant.objects.filter(
            is_pending=True, revoked_at__isnull=True, classification__authority__head_id=user.pk
        )
        .select_related("classification", "user", "organisation")
        .order_by("granted_at")[:LIMIT]
    )
    for grant in pending:
        items.append(
            TodoItem(
                title=_("Approve access to “%(name)s” for %(who)s")
                % {"name": grant.classification.name, "who": grant.user or grant.organisation},
                link=reverse("secrecy:classification_detail", args=[grant.classification_id]),
                rule="S6",
            )
        )
    officer = policies.is_secrecy_officer(user)
    deciding = Q(classification__authority__head_id=user.pk)
    if officer:
        deciding |= Q(classification__authority__organisation_id=user.organisation_id)
    for dispute in Dispute.objects.filter(deciding, state=Dispute.State.OPEN).select_related("classification")[:LIMIT]:
        items.append(
            TodoItem(
                title=_("Decide the objection to the level of “%(name)s”") % {"name": dispute.classification.name},
                link=reverse("secrecy:classification_detail", args=[dispute.classification_id]),
                rule="S7",
            )
        )
    reviews = SecrecyReview.objects.filter(deciding, state=SecrecyReview.State.REQUESTED).select_related(
        "classification"
    )
    for review in reviews[:LIMIT]:
        items.append(
            TodoItem(
                title=_("Decide the secrecy review of “%(title)s”") % {"title": review.title},
                link=reverse("secrecy:classification_detail", args=[review.classification_id]),
                rule="S9",
            )
        )
    if officer:
        leaks = LeakReport.objects.filter(organisation_id=user.organisation_id, state=LeakReport.State.REPORTED)
        for leak in leaks.order_by("reported_at")[:LIMIT]:
            items.append(
                TodoItem(
                    title=_("Take remedial measures on the suspected leak reported %(day)s")
                    % {"day": timezone.localtime(leak.reported_at).strftime("%Y-%m-%d %H:%M")},
                    link=reverse("secrecy:leak_detail", args=[leak.pk]),
                    rule="S10",
                )
            )
    return items
