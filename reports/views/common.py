"""Helpers the report pages and the report API share: the download log and PDF responses."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from core.middleware import client_ip
from reports import services
from reports.models import Download, TechReport


def record_download(request: HttpRequest, report: TechReport) -> Download:
    return services.download_record(reader=request.user, report=report, ip_address=client_ip(request))


def reader_name(user) -> str:
    return user.real_name or user.username


def pdf_response(content: bytes, name: str, *, attachment: bool = False) -> HttpResponse:
    """A PDF answer; ``attachment`` for a personal copy (the stamped full text is downloaded)."""
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'{"attachment" if attachment else "inline"}; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
