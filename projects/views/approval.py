"""The approval notice (立项通知) and the project's page (P5 — KRD-MGMT §33)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.access import declare_access, roles
from core.refusals import refusals
from projects import extensions, rules, selectors, services
from projects.views.common import back


def _project_budget(user, project):
    return extensions.project_budget(user, project)


@require_POST
@declare_access(roles("agency", object_scoped=True))
def approval_issue(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = selectors.proposal_get_for_user(request.user, pk)
    with refusals(request) as outcome:
        project = services.approval_issue(actor=request.user, proposal=proposal)
    if outcome.refused:
        return back(proposal, "#notice")
    messages.success(request, _("Approval notice issued: project %(number)s.") % {"number": project.number})
    return redirect("projects:project_detail", pk=project.pk)


@require_GET
@declare_access(roles("applicant", "unit_admin", "agency", "ministry", "admin", object_scoped=True))
def project_detail(request: HttpRequest, pk: int) -> HttpResponse:
    project = selectors.project_get_for_user(request.user, pk)
    return render(
        request,
        "projects/project_detail.html",
        {
            "project": project,
            "funding_label": rules.funding_label(program_code=project.program.code, project_number=project.number),
            "task_books": selectors.task_books_for_user(request.user).filter(project=project),
            "budget": _project_budget(request.user, project),
        },
    )


urlpatterns = [
    path("proposals/<int:pk>/approve/", approval_issue, name="approval_issue"),
    path("projects/<int:pk>/", project_detail, name="project_detail"),
]
