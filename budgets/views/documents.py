"""Budget pages: documents — a version of the budget book as an official PDF and as an Excel
workbook, for the same readers as the version's page (others get 404)."""

from __future__ import annotations

import re
from urllib.parse import quote

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from budgets import documents, selectors
from budgets.models import BudgetVersion
from budgets.views.book import BUDGET_READERS
from core.access import declare_access

# Characters that no file system or browser accepts in a file name, and control characters.
UNSAFE_IN_FILE_NAMES = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')


@require_GET
@declare_access(BUDGET_READERS)
def version_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The version's budget tables as an official PDF (amounts in 万元)."""
    version = selectors.version_get_for_user(request.user, pk)
    return _download(documents.budget_pdf(version), version=version, extension="pdf", content_type="application/pdf")


@require_GET
@declare_access(BUDGET_READERS)
def version_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    """The same tables as an Excel workbook (amounts in yuan, exact)."""
    version = selectors.version_get_for_user(request.user, pk)
    return _download(
        documents.budget_workbook(version),
        version=version,
        extension="xlsx",
        content_type=documents.WORKBOOK_CONTENT_TYPE,
    )


def _download(content: bytes, *, version: BudgetVersion, extension: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition(version, extension)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def content_disposition(version: BudgetVersion, extension: str) -> str:
    """An attachment named after the project (or proposal) title, in UTF-8 per RFC 5987/6266,
    with a plain ASCII name for clients that do not read ``filename*``."""
    budget = version.budget
    project = budget.project
    title = (project.title if project else budget.proposal.title) or ""
    title = UNSAFE_IN_FILE_NAMES.sub("_", title).strip(" ._")[:100]
    name = _("%(title)s budget v%(number)s") % {"title": title or _("Project"), "number": version.number}
    reference = project.number if project else f"proposal-{budget.proposal_id}"
    fallback = re.sub(r"[^A-Za-z0-9._-]+", "_", f"budget-{reference}-v{version.number}")
    return f"attachment; filename=\"{fallback}.{extension}\"; filename*=UTF-8''{quote(f'{name}.{extension}', safe='')}"


urlpatterns = [
    path("budgets/versions/<int:pk>/pdf/", version_pdf, name="version_pdf"),
    path("budgets/versions/<int:pk>/xlsx/", version_xlsx, name="version_xlsx"),
]
