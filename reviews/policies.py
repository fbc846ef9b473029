"""Who may do what in expert review: one function per question (design §2), each on
``core.policies``' one superuser rule. Services refuse with these, selectors scope with them and
pages decide what to show with them."""

from __future__ import annotations

from accounts.roles import Role
from core.policies import has_role
from projects.policies import is_managing_agency

# Agencies and administrators keep the expert library; the ministry only reads it.
LIBRARY_WRITERS = (Role.AGENCY.value, Role.ADMIN.value)
LIBRARY_READERS = (Role.AGENCY.value, Role.MINISTRY.value, Role.ADMIN.value)
# Oversight reads every round and its results without running any.
OVERSIGHT = (Role.MINISTRY.value, Role.ADMIN.value)


def may_manage_round(user, review_round) -> bool:
    """The round's managing agency organises its experts and runs the scoring (KRD-MGMT §26:
    专业机构)."""
    return is_managing_agency(user, agency_id=review_round.managing_agency_id)


def may_create_rounds(user) -> bool:
    """Agencies set up review rounds (for the calls and projects they manage)."""
    return has_role(user, Role.AGENCY.value)


def may_create_round(user, *, agency_id: int | None) -> bool:
    """The agency managing the call's special project (or the project) sets up its rounds."""
    return is_managing_agency(user, agency_id=agency_id)


def oversees_reviews(user) -> bool:
    """The ministry and administrators see every round, its items and results."""
    return has_role(user, *OVERSIGHT)


def may_read_library(user) -> bool:
    """Agencies, the ministry and administrators read the expert library."""
    return has_role(user, *LIBRARY_READERS)


def may_edit_library(user) -> bool:
    """Agencies and administrators keep the library (an active account)."""
    return bool(getattr(user, "is_active", False) and has_role(user, *LIBRARY_WRITERS))


def is_assigned_expert(user, assignment) -> bool:
    """``user`` is the expert of ``assignment``: only they declare on it and score it."""
    expert_user_id = assignment.expert.user_id
    return user is not None and expert_user_id is not None and expert_user_id == user.pk
