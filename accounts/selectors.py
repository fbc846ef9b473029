"""Scoped reads of users."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import User


def users_with_role(*, organisation_id: int | None, role: str) -> QuerySet[User]:
    """The active users who hold ``role`` within the unit (e.g. the lead unit's administrators)."""
    if not role or organisation_id is None:
        return User.objects.none()
    return User.objects.filter(is_active=True, organisation_id=organisation_id, groups__name=role)
