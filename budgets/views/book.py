"""Budget pages: the budget book of an application and its versions."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_GET

from budgets import selectors
from core.access import AUTHENTICATED, declare_access


@require_GET
@declare_access(AUTHENTICATED)
def version_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One version of a budget book, read-only, with its checks."""
    version = selectors.version_get_for_user(request.user, pk)
    content = selectors.version_content(version)
    return render(
        request,
        "budgets/version_detail.html",
        {"version": version, "budget": version.budget, "content": content, "issues": selectors.version_issues(version)},
    )


urlpatterns = [
    path("budgets/versions/<int:pk>/", version_detail, name="version"),
]
