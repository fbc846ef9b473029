"""Scoped reads of tech reports (T6 — REPORTS §18), all through the need-to-know filter (S6):

- anyone, anonymous included, finds confirmed public and delayed reports and reads their
  metadata and abstracts;
- registered real-name users also read the full text of public (and released) reports;
- managers — the agency managing the project, the ministry — read delayed full texts within
  their remit and see statistics;
- a delayed full text otherwise needs an authorisation (granted, not expired);
- the project's own people (leader, lead unit) see their reports in every state;
- classified reports (and reports of classified projects) exist only for the people on the list."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.roles import Role
from projects.selectors import projects_for_user
from reports import policies
from reports.models import AccessRequest, PlanItem, TechReport
from reports.rules import Access, Kind
from secrecy.selectors import need_to_know

VIA = ("", "project", "project__proposal", "project__proposal__call", "subject")
PUBLISHED = Q(state=TechReport.State.CONFIRMED, access__in=[Access.PUBLIC, Access.DELAYED])


def _base() -> QuerySet[TechReport]:
    return TechReport.objects.select_related("project__program", "project__lead_unit", "project__managing_agency")


def public_reports(user=None) -> QuerySet[TechReport]:
    """What the public finds: confirmed public and delayed reports (metadata and abstract)."""
    return need_to_know(_base().filter(PUBLISHED), user, via=VIA)


def _own_q(user) -> Q:
    own = Q(project__leader_id=user.pk) | Q(created_by_id=user.pk)
    if user.organisation_id:
        if user.has_role(Role.UNIT_ADMIN.value):
            own |= Q(project__lead_unit_id=user.organisation_id)
        if user.has_role(Role.AGENCY.value):
            own |= Q(project__managing_agency_id=user.organisation_id) & ~Q(state=TechReport.State.DRAFT)
    return own


def reports_for_user(user) -> QuerySet[TechReport]:
    """Every report the user may know exists."""
    if not getattr(user, "is_authenticated", False):
        return public_reports(None)
    # Confirmed classified reports: need_to_know below leaves those whose list names the user.
    visible = PUBLISHED | _own_q(user) | Q(state=TechReport.State.CONFIRMED, access=Access.CLASSIFIED)
    if policies.is_report_manager(user):
        visible |= ~Q(state=TechReport.State.DRAFT)
    return need_to_know(_base().filter(visible), user, via=VIA)


def report_get_for_user(user, pk: int) -> TechReport:
    report = reports_for_user(user).filter(pk=pk).first()
    if report is None:
        raise Http404
    return report


def confirmed_report_for_user(user, pk: int) -> TechReport:
    """A confirmed report of the depository the user may know exists (its public page)."""
    report = reports_for_user(user).filter(pk=pk, state=TechReport.State.CONFIRMED).first()
    if report is None:
        raise Http404
    return report


def project_for_user(user, pk: int):
    """A project whose reports the user manages (leader, lead unit, managing agency, ministry),
    within need-to-know; 404 otherwise."""
    project = projects_for_user(user).filter(pk=pk).first()
    if project is None:
        raise Http404
    return project


def search(queryset: QuerySet[TechReport], text: str) -> QuerySet[TechReport]:
    """Substring search over number, titles, abstracts, keywords and authors, case-folded; on
    PostgreSQL answered from the trigram index ``report_search_trgm``."""
    terms = [term for term in (text or "").lower().split() if term]
    for term in terms:
        queryset = queryset.filter(search_text__contains=term)
    return queryset


def final_report_filed(project) -> bool:
    """T1, A3 — REPORTS §15: the final report of the project is filed and confirmed, a condition
    of acceptance."""
    return TechReport.objects.filter(project=project, kind=Kind.FINAL, state=TechReport.State.CONFIRMED).exists()


def plan_for(project) -> list[PlanItem]:
    """The reports the project owes, each with the report filed for it (if any)."""
    items = list(PlanItem.objects.filter(project=project).order_by("due_on", "id"))
    filed = {}
    for report in TechReport.objects.filter(plan_item__in=items).exclude(state=TechReport.State.DRAFT).order_by("id"):
        filed.setdefault(report.plan_item_id, report)
    for item in items:
        item.filed_report = filed.get(item.pk)
    return items


def statistics(user, *, today: dt.date | None = None) -> list[dict]:
    """T6 — for managers: reports due, filed and overdue by lead unit and programme (the agency
    sees its projects, the ministry all), in one grouped query."""
    today = today or timezone.localdate()
    items = PlanItem.objects.all()
    if not policies.is_report_manager(user):
        if not (user.has_role(Role.AGENCY.value) and user.organisation_id):
            return []
        items = items.filter(project__managing_agency_id=user.organisation_id)
    items = need_to_know(items, user, via=("project", "project__proposal", "project__proposal__call"))
    filed = TechReport.objects.filter(
        plan_item=OuterRef("pk"), state__in=[TechReport.State.SUBMITTED, TechReport.State.CONFIRMED]
    )
    rows = (
        items.annotate(is_filed=Exists(filed))
        .values("project__lead_unit__name", "project__program__name")
        .annotate(
            due=Count("pk", filter=Q(due_on__lte=today)),
            filed=Count("pk", filter=Q(is_filed=True)),
            overdue=Count("pk", filter=Q(due_on__lt=today, is_filed=False)),
            planned=Count("pk"),
        )
        .order_by("project__program__name", "project__lead_unit__name")
    )
    return [
        {
            "unit": row["project__lead_unit__name"],
            "program": row["project__program__name"],
            "planned": row["planned"],
            "due": row["due"],
            "filed": row["filed"],
            "overdue": row["overdue"],
        }
        for row in rows
    ]


def decidable_reports_q(user) -> Q:
    """T6 — REPORTS §18: whose full-text requests the user decides: the managing agency and the
    lead unit (完成单位)."""
    if not getattr(user, "is_authenticated", False) or not user.organisation_id:
        return Q(pk__in=[])
    decides = Q(pk__in=[])
    if user.has_role(Role.AGENCY.value):
        decides |= Q(project__managing_agency_id=user.organisation_id)
    if user.has_role(Role.UNIT_ADMIN.value):
        decides |= Q(project__lead_unit_id=user.organisation_id)
    return decides


def access_requests_for_user(user) -> QuerySet[AccessRequest]:
    """The user's own full-text requests and those the user decides, on reports the user may
    know exist."""
    if not getattr(user, "is_authenticated", False):
        return AccessRequest.objects.none()
    reports = reports_for_user(user)
    decidable = reports.filter(decidable_reports_q(user)).values("pk")
    return (
        AccessRequest.objects.filter(report__in=reports.values("pk"))
        .filter(Q(requester_id=user.pk) | Q(report__in=decidable))
        .select_related("report", "requester", "decided_by")
        .order_by("-requested_at", "-id")
    )
