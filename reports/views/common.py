"""Helpers the report pages and the report API share: scoped look-ups the selectors do not
have yet, the download log and PDF responses."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse

from core.middleware import client_ip
from reports import selectors
from reports.models import Download, TechReport


def project_for_user(user, pk: int):
    """A project whose reports the user manages (leader, lead unit, managing agency, ministry),
    within need-to-know; 404 otherwise."""
    from projects.selectors import projects_for_user

    project = projects_for_user(user).filter(pk=pk).first()
    if project is None:
        raise Http404
    return project


def confirmed_report_for_user(user, pk: int) -> TechReport:
    """A confirmed report of the depository the user may know exists (its public page)."""
    report = selectors.reports_for_user(user).filter(pk=pk, state=TechReport.State.CONFIRMED).first()
    if report is None:
        raise Http404
    return report


def may_decide_access(user, report: TechReport) -> bool:
    from reports.services import is_agency, is_unit_admin

    return is_agency(user, report) or is_unit_admin(user, report)


def record_download(request: HttpRequest, report: TechReport) -> Download:
    from reports.services import download_record

    return download_record(reader=request.user, report=report, ip_address=client_ip(request))


def reader_name(user) -> str:
    return user.real_name or user.username


def pdf_response(content: bytes, name: str, *, attachment: bool = False) -> HttpResponse:
    """A PDF answer; ``attachment`` for a personal copy (the stamped full text is downloaded)."""
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'{"attachment" if attachment else "inline"}; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
