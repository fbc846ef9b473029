"""Scoped reads of projects and calls."""

from __future__ import annotations

from django.db.models import Q, QuerySet, Sum
from django.http import Http404

from projects.models import Call, Proposal

OVERSIGHT_ROLES = frozenset({"ministry", "admin"})
# From its receipt on, a proposal is in the hands of the agency that manages the call.
AGENCY_VISIBLE_STATES = (
    Proposal.State.RECEIVED,
    Proposal.State.FORMAL_PASSED,
    Proposal.State.FORMAL_FAILED,
    Proposal.State.PROPOSED,
    Proposal.State.IN_PUBLIC_NOTICE,
    Proposal.State.APPROVED,
    Proposal.State.NOT_APPROVED,
)


def calls_for_user(user) -> QuerySet[Call]:
    """Call guides the user may know exist.

    Published (and closed) calls are public, except secret ones, which only invited
    organisations see (KRD-MGMT §21: 保密项目采取非公开方式发布指南). Drafts and secret calls are
    also seen by the agency that manages the special project, the ministry and administrators.
    """
    calls = Call.objects.select_related("special_project__program", "special_project__managing_agency")
    released = Q(state__in=[Call.State.PUBLISHED, Call.State.CLOSED])
    if not user.is_authenticated:
        return calls.filter(released, is_secret=False)
    if user.is_superuser or user.role_codes & OVERSIGHT_ROLES:
        return calls
    visible = released & (Q(is_secret=False) | Q(invited_organisations=user.organisation_id))
    if user.organisation_id and user.has_role("agency"):
        visible |= Q(special_project__managing_agency_id=user.organisation_id)
    return calls.filter(visible).distinct()


def call_get_for_user(user, pk: int) -> Call:
    call = calls_for_user(user).filter(pk=pk).first()
    if call is None:
        raise Http404
    return call


def call_is_managed_by(user, call: Call) -> bool:
    return user.is_superuser or (
        user.is_authenticated
        and user.has_role("agency")
        and user.organisation_id == call.special_project.managing_agency_id
    )


def proposals_for_user(user) -> QuerySet[Proposal]:
    """Proposals the user may see: their own; their unit's once submitted (unit administrator);
    those awaiting or past their recommendation (recommending department); those received for
    the calls their agency manages; all but drafts for the ministry and administrators."""
    proposals = Proposal.objects.select_related(
        "call__special_project__program", "call__special_project__managing_agency", "lead_unit", "applicant"
    )
    if not user.is_authenticated:
        return proposals.none()
    if user.is_superuser or user.role_codes & OVERSIGHT_ROLES:
        return proposals.exclude(state=Proposal.State.DRAFT)
    visible = Q(applicant_id=user.pk)
    if user.organisation_id:
        if user.has_role("unit_admin"):
            visible |= Q(lead_unit_id=user.organisation_id) & ~Q(state=Proposal.State.DRAFT)
        if user.has_role("recommender"):
            visible |= Q(
                recommending_department_id=user.organisation_id,
                state__in=[Proposal.State.UNIT_SUBMITTED, Proposal.State.RECEIVED],
            )
        if user.has_role("agency"):
            managed_calls = Call.objects.filter(special_project__managing_agency_id=user.organisation_id).values("id")
            visible |= Q(call_id__in=managed_calls, state__in=AGENCY_VISIBLE_STATES)
    return proposals.filter(visible)


def proposal_page_for_user(user, *, page_number, per_page: int = 50):
    """One page of the user's proposals, newest first. The page's ids come from a narrow query
    (scope, sort, limit on the proposal table alone), then only those rows are joined."""
    from django.core.paginator import Paginator

    ids = proposals_for_user(user).order_by("-updated_at", "-id").values_list("id", flat=True)
    page = Paginator(ids, per_page).get_page(page_number)
    rows = {proposal.pk: proposal for proposal in proposals_for_user(user).filter(pk__in=list(page.object_list))}
    page.object_list = [rows[pk] for pk in page.object_list if pk in rows]
    return page


def proposal_get_for_user(user, pk: int) -> Proposal:
    proposal = proposals_for_user(user).filter(pk=pk).first()
    if proposal is None:
        raise Http404
    return proposal


def public_notices_for_public() -> QuerySet:
    """Public notices anyone may read; secret calls never have a public page (KRD-MGMT §21)."""
    from projects.models import PublicNotice

    return PublicNotice.objects.filter(call__is_secret=False).select_related("call__special_project__program")


def public_notice_entries(notice) -> QuerySet[Proposal]:
    """The projects listed on a public notice: never a secret one."""
    return (
        notice.proposals.filter(call__is_secret=False)
        .select_related("lead_unit", "applicant")
        .annotate(central_funds=Sum("subjects__requested_funds"))
        .order_by("id")
    )


def projects_for_user(user) -> QuerySet:
    """Projects the user may open: the leader, their unit, the managing agency, the ministry."""
    from projects.models import Project

    projects = Project.objects.select_related("program", "special_project", "lead_unit", "leader", "managing_agency")
    if not user.is_authenticated:
        return projects.none()
    if user.is_superuser or user.role_codes & OVERSIGHT_ROLES:
        return projects
    visible = Q(leader_id=user.pk)
    if user.organisation_id:
        if user.has_role("unit_admin"):
            visible |= Q(lead_unit_id=user.organisation_id)
        if user.has_role("agency"):
            visible |= Q(managing_agency_id=user.organisation_id)
    return projects.filter(visible)


def task_books_for_user(user) -> QuerySet:
    """Task books of projects the user may open, and those where the user's unit is a party."""
    from projects.models import TaskBook

    books = TaskBook.objects.select_related("project__program", "project__leader", "subject", "party_a", "party_b")
    if not user.is_authenticated:
        return books.none()
    visible = Q(project__in=projects_for_user(user).values("pk"))
    if user.organisation_id:
        visible |= Q(party_a_id=user.organisation_id) | Q(party_b_id=user.organisation_id)
    return books.filter(visible)


def library_entries_for_user(user) -> QuerySet:
    """Project-library entries of the user's unit (P12 — INTL §22)."""
    from projects.models import LibraryEntry

    if not user.is_authenticated or not user.organisation_id:
        return LibraryEntry.objects.none()
    return LibraryEntry.objects.filter(lead_unit_id=user.organisation_id).order_by("-entered_at")
