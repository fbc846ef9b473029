"""Which obligations a user may see: never one of an object hidden from the user by a
classification (S6 — SECRETS-LAW §16; the title names the object)."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from core.models import Obligation
from core.selectors import known_targets


def _own_filter(user) -> Q:
    """Obligations the user must act on, or is told about when they are overdue."""
    through_responsible = Obligation.responsible_users.through.objects.filter(user_id=user.pk).values("obligation_id")
    through_escalation = Obligation.escalation_users.through.objects.filter(user_id=user.pk).values("obligation_id")
    condition = Q(pk__in=through_responsible) | Q(pk__in=through_escalation)
    roles = list(user.role_codes)
    if user.organisation_id and roles:
        condition |= Q(responsible_organisation_id=user.organisation_id, responsible_role__in=roles)
        condition |= Q(escalation_organisation_id=user.organisation_id, escalation_role__in=roles)
    return condition


def obligations_own(user) -> QuerySet[Obligation]:
    """The user's own deadlines (what "我的期限" and the calendar feed show)."""
    return known_targets(Obligation.objects.filter(_own_filter(user)).select_related("content_type"), user)


def obligations_for_user(user) -> QuerySet[Obligation]:
    """The user's own obligations and, for an agency, every obligation of the projects it
    manages."""
    condition = _own_filter(user)
    if user.organisation_id and user.has_role("agency"):
        condition |= Q(managing_organisation_id=user.organisation_id)
    return known_targets(Obligation.objects.filter(condition).select_related("content_type"), user)


def obligations_overdue_managed_by(user) -> QuerySet[Obligation]:
    """Overdue obligations of the projects the user's agency manages."""
    if not user.organisation_id or not user.has_role("agency"):
        return Obligation.objects.none()
    obligations = Obligation.objects.filter(
        managing_organisation_id=user.organisation_id, state=Obligation.State.OVERDUE
    ).select_related("content_type")
    return known_targets(obligations, user)
