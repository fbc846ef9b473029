"""Scoped reads of the review engine. An expert sees only their own assignments; the agency
the rounds it manages; the ministry and administrators everything.

Need-to-know (S6 — SECRETS-LAW §16): a round of a classified call or project, and an item (with
its assignments) of a classified proposal or project, exist only for the people on its list."""

from __future__ import annotations

from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404

from core.selectors import known, through
from projects.selectors import CALL_VIA, PROJECT_VIA, PROPOSAL_VIA
from reviews import policies
from reviews.models import Assignment, Expert, ReviewItem, ReviewRound

ROUND_VIA = (*through("call", CALL_VIA), *through("project", PROJECT_VIA))
ITEM_VIA = (*through("proposal", PROPOSAL_VIA), *through("project", PROJECT_VIA))
NEED_TO_KNOW_VIA = {
    ReviewRound: ROUND_VIA,
    ReviewItem: (*ITEM_VIA, *through("review_round", ROUND_VIA)),
    Assignment: (*through("item", ITEM_VIA), *through("item__review_round", ROUND_VIA)),
}


def experts_for_user(user) -> QuerySet[Expert]:
    """The expert library: for agencies, the ministry and administrators."""
    experts = Expert.objects.select_related("organisation", "user")
    if policies.may_read_library(user):
        return experts
    return experts.none()


def expert_get_for_user(user, pk: int) -> Expert:
    expert = experts_for_user(user).filter(pk=pk).first()
    if expert is None:
        raise Http404
    return expert


def expert_credit_records(user, expert: Expert) -> list:
    """An expert's credit records (V4), newest first; a record keeps its facts but not the name
    of a round hidden from the reader (S6 — SECRETS-LAW §16)."""
    records = list(expert.credit_records.select_related("review_round").order_by("-recorded_at", "-id"))
    round_ids = {record.review_round_id for record in records if record.review_round_id}
    if round_ids:
        shown = set(
            known(ReviewRound.objects.filter(pk__in=round_ids), user, via=ROUND_VIA).values_list("pk", flat=True)
        )
        for record in records:
            if record.review_round_id not in shown:
                record.review_round = None
    return records


def rounds_for_user(user) -> QuerySet[ReviewRound]:
    """Review rounds the user manages (their agency's) or oversees."""
    rounds = ReviewRound.objects.select_related("call", "project", "special_project", "managing_agency")
    if not user.is_authenticated:
        return rounds.none()
    rounds = known(rounds, user, via=ROUND_VIA)
    if policies.oversees_reviews(user):
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
    assignments = Assignment.objects.filter(expert__user=user).select_related(
        "item__review_round", "item__proposal", "item__project", "expert"
    )
    return known(assignments, user, via=NEED_TO_KNOW_VIA[Assignment])


def assignment_get_for_expert(user, pk: int) -> Assignment:
    assignment = assignments_for_expert(user).filter(pk=pk).first()
    if assignment is None:
        raise Http404
    return assignment


def items_of_round(user, review_round: ReviewRound) -> QuerySet[ReviewItem]:
    """The items of a round the user may see (``round_get_for_user``), without those of a
    proposal or project hidden from the user (S6)."""
    return known(ReviewItem.objects.filter(review_round=review_round), user, via=ITEM_VIA)


def items_for_user(user) -> QuerySet[ReviewItem]:
    """The items of every round the user manages or oversees, as far as the user may know them."""
    return known(ReviewItem.objects.filter(review_round__in=rounds_for_user(user)), user, via=ITEM_VIA)


def assignment_get_for_agency(user, pk: int) -> Assignment:
    """An assignment of a round the user manages or oversees; 404 for anything else."""
    assignment = (
        known(
            Assignment.objects.filter(item__review_round__in=rounds_for_user(user), pk=pk),
            user,
            via=through("item", ITEM_VIA),
        )
        .select_related("item__review_round", "expert")
        .first()
    )
    if assignment is None:
        raise Http404
    return assignment


def published_round_get(user, pk: int) -> ReviewRound:
    """A published round, for its public list of experts (KRD-MGMT §26); never one of a call or
    project hidden from the reader (S6)."""
    rounds = known(
        ReviewRound.objects.select_related("special_project", "managing_agency").filter(
            state=ReviewRound.State.PUBLISHED
        ),
        user,
        via=ROUND_VIA,
    )
    review_round = rounds.filter(pk=pk).first()
    if review_round is None:
        raise Http404
    return review_round


def item_count(user) -> Coalesce:
    """For ``rounds_for_user(user).annotate(...)``: the number of items of each round the user
    may know of (a count is a read too, S6)."""
    items = (
        known(ReviewItem.objects.filter(review_round=OuterRef("pk")), user, via=ITEM_VIA)
        .order_by()
        .values("review_round")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(items), 0)
