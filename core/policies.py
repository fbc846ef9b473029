"""The portal's one superuser rule and the shape every app's ``policies.py`` follows.

A policy answers one permission question about one user, by name (``is_managing_agency``,
``may_sign_task_book``). Services refuse with it, selectors scope with it, views decide what to
show with it, and the route matrix tests it — so the question has one answer everywhere.

The superuser rule: the portal administrator with Django's superuser flag (an active account)
passes every policy that names an organisation's role — they may act for any agency, unit or
department, as the admin site lets them anyway. Ordinary administrators (role ``admin``) do not.
"""

from __future__ import annotations


def is_superuser(user) -> bool:
    """The one superuser rule: an active account with Django's superuser flag."""
    return bool(getattr(user, "is_superuser", False) and getattr(user, "is_active", False))


def has_role(user, *roles: str) -> bool:
    """``user`` holds one of ``roles`` (any organisation), or is the superuser."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return is_superuser(user) or bool(user.role_codes & set(roles))


def acts_for(user, *, role: str, organisation_id: int | None) -> bool:
    """``user`` holds ``role`` in the organisation ``organisation_id``, or is the superuser."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if is_superuser(user):
        return True
    return organisation_id is not None and user.organisation_id == organisation_id and role in user.role_codes
