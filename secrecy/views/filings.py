"""The filing register (S5 — SECRECY §23): each authority's determinations, changes,
extensions and declassifications, filed within 20 working days or in the annual summary. The
authority's secrecy officers and head see and file its filings; the ministry reads them all."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.access import declare_access, roles
from core.refusals import refusals
from secrecy import policies, selectors, services
from secrecy.forms import FilingFilterForm

REGISTER = roles("secrecy_officer", "ministry", "admin", object_scoped=True)
PAGE_SIZE = 50


@require_GET
@declare_access(REGISTER)
def filing_list(request: HttpRequest) -> HttpResponse:
    """The register; a decision's name shows only to those who may know of it (S6)."""
    user = request.user
    filters = FilingFilterForm(request.GET or None)
    filings = selectors.filings_for_user(user)
    if filters.is_valid():
        if filters.cleaned_data["event"]:
            filings = filings.filter(event=filters.cleaned_data["event"])
        if filters.cleaned_data["pending"]:
            filings = filings.filter(filed_at__isnull=filters.cleaned_data["pending"] == "1")
    page = Paginator(filings.order_by("due_on", "id"), PAGE_SIZE).get_page(request.GET.get("page"))
    filings_on_page = list(page.object_list)
    known = selectors.known_classification_ids_among(
        user, {filing.classification_id for filing in filings_on_page if filing.classification_id}
    )
    rows = [
        {
            "filing": filing,
            "name": filing.classification.name if filing.classification_id in known else "",
            "known": filing.classification_id in known,
            "entries": len(filing.summary.get("entries", [])) if isinstance(filing.summary, dict) else 0,
            "may_file": filing.filed_at is None and policies.is_officer_of(user, filing.authority),
        }
        for filing in filings_on_page
    ]
    return render(request, "secrecy/filing_list.html", {"page": page, "rows": rows, "filters": filters})


@require_POST
@declare_access(REGISTER)
def filing_submit(request: HttpRequest, pk: int) -> HttpResponse:
    filing = selectors.filing_get_for_user(request.user, pk)
    with refusals(request) as outcome:
        services.filing_submit(actor=request.user, filing=filing)
    if not outcome.refused:
        messages.success(request, _("Filed."))
    return redirect("secrecy:filing_list")


urlpatterns = [
    path("secrecy/filings/", filing_list, name="filing_list"),
    path("secrecy/filings/<int:pk>/file/", filing_submit, name="filing_submit"),
]
