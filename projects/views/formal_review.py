"""Formal review (形式审查) and appeals (申诉) on the proposal's page (P4 — KRD-MGMT §36): the
agency opens and decides the review, the applicant appeals, the agency answers."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.access import declare_access, roles
from core.refusals import refusals
from projects import selectors, services
from projects.forms import AnswerForm, AppealForm, FormalReviewDecisionForm
from projects.views.common import back


@require_POST
@declare_access(roles("agency", object_scoped=True))
def formal_review_open(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = selectors.proposal_get_for_user(request.user, pk)
    with refusals(request):
        services.formal_review_open(actor=request.user, proposal=proposal)
    return back(proposal, "#formal-review")


@require_POST
@declare_access(roles("agency", object_scoped=True))
def formal_review_decide(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = selectors.proposal_get_for_user(request.user, pk)
    form = FormalReviewDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose passed or failed."))
        return back(proposal, "#formal-review")
    manual = {
        int(key.split("_", 1)[1]): value == "1" for key, value in request.POST.items() if key.startswith("check_")
    }
    with refusals(request) as outcome:
        services.formal_review_decide(
            actor=request.user,
            proposal=proposal,
            passed=form.cleaned_data["passed"],
            reasons=form.cleaned_data["reasons"],
            manual=manual,
        )
    if not outcome.refused:
        messages.success(request, _("The formal review is decided; the applicant has been told."))
    return back(proposal, "#formal-review")


@require_POST
@declare_access(roles("applicant", object_scoped=True))
def appeal_file(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = selectors.proposal_get_for_user(request.user, pk)
    form = AppealForm(request.POST)
    grounds = form.data.get("grounds", "")
    with refusals(request) as outcome:
        services.appeal_file(actor=request.user, proposal=proposal, grounds=grounds)
    if not outcome.refused:
        messages.success(request, _("Your appeal was filed."))
    return back(proposal, "#formal-review")


@require_POST
@declare_access(roles("agency", object_scoped=True))
def appeal_answer(request: HttpRequest, pk: int, appeal_pk: int) -> HttpResponse:
    proposal = selectors.proposal_get_for_user(request.user, pk)
    appeal = proposal.appeals.filter(pk=appeal_pk).first()
    if appeal is None:
        raise Http404
    form = AnswerForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose an outcome and write the answer."))
        return back(proposal, "#formal-review")
    with refusals(request) as outcome:
        services.appeal_answer(
            actor=request.user, appeal=appeal, upheld=form.cleaned_data["upheld"], answer=form.cleaned_data["answer"]
        )
    if not outcome.refused:
        messages.success(request, _("The appeal is answered."))
    return back(proposal, "#formal-review")


urlpatterns = [
    path("proposals/<int:pk>/formal-review/open/", formal_review_open, name="formal_review_open"),
    path("proposals/<int:pk>/formal-review/decide/", formal_review_decide, name="formal_review_decide"),
    path("proposals/<int:pk>/appeal/", appeal_file, name="appeal_file"),
    path("proposals/<int:pk>/appeals/<int:appeal_pk>/answer/", appeal_answer, name="appeal_answer"),
]
