"""Scoped reads of the review engine. An expert sees only their own assignments; the agency
the rounds it manages; the ministry and administrators everything."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from reviews.models import Assignment, Expert, ReviewRound

OVERSIGHT_ROLES = frozenset({"ministry", "admin"})


def experts_for_user(user) -> QuerySet[Expert]:
    """The expert library: for agencies, the ministry and administrators."""
    experts = Expert.objects.select_related("organisation", "user")
    if not user.is_authenticated:
        return experts.none()
    if user.is_superuser or user.role_codes & OVERSIGHT_ROLES or user.has_role("agency"):
        return experts
    return experts.none()


def expert_get_for_user(user, pk: int) -> Expert:
    expert = experts_for_user(user).filter(pk=pk).first()
    if expert is None:
        raise Http404
    return expert


def rounds_for_user(user) -> QuerySet[ReviewRound]:
    """Review rounds the user manages (their agency's) or oversees."""
    rounds = ReviewRound.objects.select_related("call", "project", "special_project", "managing_agency")
    if not user.is_authenticated:
        return rounds.none()
    if user.is_superuser or user.role_codes & OVERSIGHT_ROLES:
        return rounds
    if user.has_role("agency") and user.organisation_id:
        return rounds.filter(managing_agency_id=user.organisation_id)
    return rounds.none()


def round_get_for_user(user, pk: int) -> ReviewRound:
    review_round = rounds_for_user(user).filter(pk=pk).first()
    if review_round is None:
        raise Http404
    return review_round


def assignments_for_expert(user) -> QuerySet[Assignment]:
    """The user's own assignments as an expert — nothing else (an expert's object scope)."""
    if not user.is_authenticated:
        return Assignment.objects.none()
    return Assignment.objects.filter(expert__user=user).select_related(
        "item__review_round", "item__proposal", "item__project", "expert"
    )


def assignment_get_for_expert(user, pk: int) -> Assignment:
    assignment = assignments_for_expert(user).filter(pk=pk).first()
    if assignment is None:
        raise Http404
    return assignment
