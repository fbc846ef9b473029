"""The public depository (T6 — REPORTS §18): search and abstracts for everyone, the full text
for registered real-name users (public reports), managers and authorised readers (delayed
ones), the cover page, full-text requests, and the statistics of the managers."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.access import PUBLIC, authenticated, declare_access, roles
from core.refusals import refusals
from reports import documents, policies, selectors, services
from reports.forms import AccessRequestForm, ReportFilter
from reports.models import AccessRequest, TechReport
from reports.rules import Access
from reports.views.common import pdf_response, reader_name, record_download

PAGE_SIZE = 20
MANAGERS = roles("agency", "ministry", "admin", object_scoped=True)


@require_GET
@declare_access(PUBLIC)
def public_list(request: HttpRequest) -> HttpResponse:
    """The depository's search: confirmed public and delayed reports, metadata only."""
    reports = selectors.public_reports(request.user if request.user.is_authenticated else None)
    search = ReportFilter(request.GET, queryset=reports, request=request)
    found = search.qs if search.is_valid() else reports.none()
    page = Paginator(found.order_by("-submitted_on", "-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(report, services.access_code(report)) for report in page.object_list]
    return render(request, "reports/public_list.html", {"page": page, "rows": rows, "search": search.form})


def _request_state(user, report: TechReport) -> AccessRequest | None:
    """The user's latest full-text request of ``report`` still waiting or in force."""
    today = timezone.localdate()
    return (
        AccessRequest.objects.filter(report=report, requester_id=user.pk)
        .exclude(state=AccessRequest.State.REFUSED)
        .exclude(state=AccessRequest.State.GRANTED, expires_on__lt=today)
        .order_by("-requested_at")
        .first()
    )


@require_GET
@declare_access(PUBLIC)
def public_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Metadata, abstracts, the access code and how to cite (REPORTS §21); the full text when
    the reader may open it, otherwise why not — and, for a delayed report, the request form."""
    user = request.user
    report = selectors.confirmed_report_for_user(user, pk)
    refusal = policies.full_text_refusal(user, report)
    may_request = bool(
        refusal
        and user.is_authenticated
        and getattr(user, "is_real_name_verified", False)
        and report.access == Access.DELAYED
        and report.released_at is None
    )
    pending = _request_state(user, report) if may_request else None
    return render(
        request,
        "reports/public_detail.html",
        {
            "report": report,
            "units": list(report.units.order_by("name")),
            "access_code": services.access_code(report),
            "citation": documents.citation(report),
            "refusal": refusal,
            "may_request": may_request and pending is None,
            "pending_request": pending,
            "request_form": AccessRequestForm(),
            "may_manage": policies.is_own_report(user, report) or policies.may_manage_report(user, report),
        },
    )


@require_POST
@declare_access(authenticated(object_scoped=True))
def access_request(request: HttpRequest, pk: int) -> HttpResponse:
    """T6 — a registered real-name user asks for the full text of a delayed report."""
    report = selectors.confirmed_report_for_user(request.user, pk)
    form = AccessRequestForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say what you need the full text for."))
        return redirect("reports:public_detail", pk=pk)
    with refusals(request) as outcome:
        services.access_request(actor=request.user, report=report, purpose=form.cleaned_data["purpose"])
    if not outcome.refused:
        messages.success(request, _("Your request is sent to the agency and the filing unit."))
    return redirect("reports:public_detail", pk=pk)


@require_GET
@declare_access(authenticated(object_scoped=True))
def full_text(request: HttpRequest, pk: int) -> HttpResponse:
    """The stamped full text (the reader's name and the access code on every page), logged."""
    report = selectors.report_get_for_user(request.user, pk)
    refusal = policies.full_text_refusal(request.user, report)
    if refusal:
        messages.error(request, refusal)
        if report.state == TechReport.State.CONFIRMED:
            return redirect("reports:public_detail", pk=pk)
        return redirect("reports:report_detail", pk=pk)
    content = documents.full_text_pdf(report, reader_name=reader_name(request.user))
    record_download(request, report)
    return pdf_response(content, f"tech-report-{report.number or report.pk}.pdf", attachment=True)


@require_GET
@declare_access(PUBLIC)
def cover(request: HttpRequest, pk: int) -> HttpResponse:
    """The cover page: number, access code, metadata, abstract and citation."""
    report = selectors.report_get_for_user(request.user, pk)
    return pdf_response(documents.cover_pdf(report), f"tech-report-{report.pk}-cover.pdf")


@require_GET
@declare_access(MANAGERS)
def statistics(request: HttpRequest) -> HttpResponse:
    """T6 — the managers' statistics: reports planned, due, filed and overdue."""
    rows = selectors.statistics(request.user)
    totals = {key: sum(row[key] for row in rows) for key in ("planned", "due", "filed", "overdue")}
    return render(request, "reports/statistics.html", {"rows": rows, "totals": totals, "today": timezone.localdate()})


urlpatterns = [
    path("tech-reports/", public_list, name="public_list"),
    path("tech-reports/statistics/", statistics, name="statistics"),
    path("tech-reports/<int:pk>/", public_detail, name="public_detail"),
    path("tech-reports/<int:pk>/full-text.pdf", full_text, name="full_text"),
    path("tech-reports/<int:pk>/cover.pdf", cover, name="cover"),
    path("tech-reports/<int:pk>/request/", access_request, name="access_request"),
]
