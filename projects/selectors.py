"""Scoped reads of projects and calls.

Every read here also applies need-to-know (S6 — SECRETS-LAW §16, through
``secrecy.selectors.need_to_know`` by way of ``core.selectors.known``): a classified call, proposal, project or subject, and
everything that belongs to one, exists only for the people on its list. The paths below say
which classifications hide a row of each model; other apps prefix them (``through``) for their
own rows, and ``NEED_TO_KNOW_VIA`` lets core find them for generic targets (obligations, audit
events) and for the S8 mark of a page."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q, QuerySet, Sum
from django.http import Http404

from core.selectors import known, through
from projects.models import (
    Appeal,
    Call,
    FormalReview,
    LibraryEntry,
    Objection,
    Project,
    Proposal,
    PublicNotice,
    Subject,
    TaskBook,
)

# Paths whose classification hides a row (S6): "" is the row itself.
CALL_VIA = ("",)
PROPOSAL_VIA = ("", "call", "project")
PROJECT_VIA = ("", "proposal", "proposal__call")
SUBJECT_VIA = ("", "proposal", "proposal__call", "proposal__project")
TASK_BOOK_VIA = ("project", "project__proposal", "project__proposal__call", "subject")
NOTICE_VIA = ("call",)


NEED_TO_KNOW_VIA = {
    Call: CALL_VIA,
    Proposal: PROPOSAL_VIA,
    Project: PROJECT_VIA,
    Subject: SUBJECT_VIA,
    TaskBook: TASK_BOOK_VIA,
    PublicNotice: NOTICE_VIA,
    FormalReview: through("proposal", PROPOSAL_VIA),
    Appeal: through("proposal", PROPOSAL_VIA),
    Objection: through("proposal", PROPOSAL_VIA),
}

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
    Classified calls exist only for the people on their list (S6 — SECRETS-LAW §16).
    """
    calls = known_calls(
        Call.objects.select_related("special_project__program", "special_project__managing_agency"), user
    )
    released = Q(state__in=[Call.State.PUBLISHED, Call.State.CLOSED])
    if not user.is_authenticated:
        return calls.filter(released, is_secret=False)
    if user.is_superuser or user.role_codes & OVERSIGHT_ROLES:
        return calls
    visible = released & (Q(is_secret=False) | Q(invited_organisations=user.organisation_id))
    if user.organisation_id and user.has_role("agency"):
        visible |= Q(special_project__managing_agency_id=user.organisation_id)
    return calls.filter(visible).distinct()


def known_calls(calls: QuerySet[Call], user) -> QuerySet[Call]:
    """S6 — SECRETS-LAW §16: ``calls`` without the classified ones ``user`` is not on the list of."""
    return known(calls, user, via=CALL_VIA)


def known_proposals(proposals: QuerySet[Proposal], user) -> QuerySet[Proposal]:
    """S6: without the proposals hidden from ``user`` — classified, or of a classified call or
    project."""
    return known(proposals, user, via=PROPOSAL_VIA)


def known_projects(projects: QuerySet[Project], user) -> QuerySet[Project]:
    """S6: without the projects hidden from ``user`` — classified, or of a classified proposal
    or call."""
    return known(projects, user, via=PROJECT_VIA)


def known_subjects(subjects: QuerySet[Subject], user, *, of_known_proposal: bool = False) -> QuerySet[Subject]:
    """S6: without the subjects hidden from ``user``. Under a proposal already read through a
    selector (``of_known_proposal``) only the subject's own classification is left to check."""
    return known(subjects, user, via=("",) if of_known_proposal else SUBJECT_VIA)


def call_get_for_user(user, pk: int) -> Call:
    call = calls_for_user(user).filter(pk=pk).first()
    if call is None:
        raise Http404
    return call


def proposals_for_user(user) -> QuerySet[Proposal]:
    """Proposals the user may see: their own; their unit's once submitted (unit administrator);
    those awaiting or past their recommendation (recommending department); those received for
    the calls their agency manages; all but drafts for the ministry and administrators."""
    proposals = Proposal.objects.select_related(
        "call__special_project__program", "call__special_project__managing_agency", "lead_unit", "applicant"
    )
    if not user.is_authenticated:
        return proposals.none()
    proposals = known_proposals(proposals, user)
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


def public_notices_for_public(user=None) -> QuerySet[PublicNotice]:
    """Public notices anyone may read; secret calls never have a public page (KRD-MGMT §21),
    and the notice of a classified call exists only for its list (S6 — SECRETS-LAW §16)."""
    notices = PublicNotice.objects.filter(call__is_secret=False).select_related("call__special_project__program")
    return known(notices, user or AnonymousUser(), via=NOTICE_VIA)


def public_notice_entries(notice, user=None) -> QuerySet[Proposal]:
    """The projects listed on a public notice: never a secret one, nor one hidden from the
    reader by a classification (S6)."""
    entries = known_proposals(notice.proposals.filter(call__is_secret=False), user or AnonymousUser())
    return (
        entries.select_related("lead_unit", "applicant")
        .annotate(central_funds=Sum("subjects__requested_funds"))
        .order_by("id")
    )


def projects_for_user(user) -> QuerySet:
    """Projects the user may open: the leader, their unit, the managing agency, the ministry."""
    projects = Project.objects.select_related("program", "special_project", "lead_unit", "leader", "managing_agency")
    if not user.is_authenticated:
        return projects.none()
    projects = known_projects(projects, user)
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
    """Task books of projects the user may open, and those where the user's unit is a party;
    never one of a project or subject hidden from the user (S6 — SECRETS-LAW §16)."""
    books = TaskBook.objects.select_related("project__program", "project__leader", "subject", "party_a", "party_b")
    if not user.is_authenticated:
        return books.none()
    books = known(books, user, via=TASK_BOOK_VIA)
    visible = Q(project__in=projects_for_user(user).values("pk"))
    if user.organisation_id:
        visible |= Q(party_a_id=user.organisation_id) | Q(party_b_id=user.organisation_id)
    return books.filter(visible)


def project_get_for_user(user, pk: int) -> Project:
    project = projects_for_user(user).filter(pk=pk).first()
    if project is None:
        raise Http404
    return project


def task_book_get_for_user(user, pk: int) -> TaskBook:
    book = task_books_for_user(user).filter(pk=pk).first()
    if book is None:
        raise Http404
    return book


def proposal_parts_for_user(user, proposal: Proposal) -> dict[str, QuerySet]:
    """The subjects of a proposal the user may see (and those hidden, to leave out what names
    them), and the team members and indicators that do not belong to a subject hidden from the user (S6 — SECRETS-LAW §16). ``proposal`` was
    read through ``proposals_for_user``."""
    subjects = known_subjects(
        proposal.subjects.select_related("unit", "leader").prefetch_related("participant_units"),
        user,
        of_known_proposal=True,
    )
    hidden_subject = ("subject",)
    return {
        "subjects": subjects,
        "hidden_subjects": proposal.subjects.exclude(pk__in=subjects.values("pk")),
        "people": known(proposal.people.select_related("organisation", "subject"), user, via=hidden_subject),
        "indicators": known(proposal.indicators.all(), user, via=hidden_subject),
    }


def project_of_proposal(user, proposal: Proposal) -> Project | None:
    """The project made of a proposal the user may see, unless it is hidden from the user (S6)."""
    return known_projects(Project.objects.filter(proposal=proposal), user).first()


def subjects_prefetch(user, lookup: str = "subjects") -> Prefetch:
    """Prefetch of the subjects (with their unit) a user may see, for lists of known proposals."""
    return Prefetch(
        lookup, queryset=known_subjects(Subject.objects.select_related("unit"), user, of_known_proposal=True)
    )


def library_entries_for_user(user) -> QuerySet:
    """Project-library entries of the user's unit (P12 — INTL §22)."""
    if not user.is_authenticated or not user.organisation_id:
        return LibraryEntry.objects.none()
    return LibraryEntry.objects.filter(lead_unit_id=user.organisation_id).order_by("-entered_at")
