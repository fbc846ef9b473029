"""Budget pages: the agency's budget review and the applicant's answer (KRD-FUNDS §25–§28)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from budgets import selectors
from budgets.forms import ReviewAnswerForm
from budgets.services import review
from core.access import declare_access, roles
from core.refusals import refusals


def _run(request, action, version_pk, success: str):
    with refusals(request) as outcome:
        result = action()
    if outcome.refused:
        return redirect("budgets:version", pk=version_pk)
    messages.success(request, success)
    return redirect("budgets:version", pk=result.pk)


@require_POST
@declare_access(roles("agency", object_scoped=True))
def review_open(request: HttpRequest, pk: int) -> HttpResponse:
    budget = selectors.budget_get_for_user(request.user, pk)
    with refusals(request) as outcome:
        version = review.review_open(actor=request.user, budget=budget)
    if outcome.refused:
        return redirect("budgets:budget", pk=budget.pk)
    return redirect("budgets:version", pk=version.pk)


@require_POST
@declare_access(roles("agency", object_scoped=True))
def review_send(request: HttpRequest, pk: int) -> HttpResponse:
    version = selectors.version_get_for_user(request.user, pk)
    return _run(
        request,
        lambda: review.review_send(actor=request.user, version=version),
        pk,
        _("The reviewed budget is sent to the applicant."),
    )


@require_POST
@declare_access(roles("applicant", object_scoped=True))
def review_answer(request: HttpRequest, pk: int) -> HttpResponse:
    version = selectors.version_get_for_user(request.user, pk)
    form = ReviewAnswerForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose whether you accept the reviewed budget."))
        return redirect("budgets:version", pk=pk)
    return _run(
        request,
        lambda: review.review_answer(actor=request.user, version=version, **form.cleaned_data),
        pk,
        _("Your answer is sent to the agency."),
    )


@require_POST
@declare_access(roles("agency", object_scoped=True))
def review_finalise(request: HttpRequest, pk: int) -> HttpResponse:
    version = selectors.version_get_for_user(request.user, pk)
    return _run(
        request,
        lambda: review.review_finalise(actor=request.user, version=version),
        pk,
        _("The budget is approved; it goes into the task book."),
    )


urlpatterns = [
    path("budgets/<int:pk>/review/", review_open, name="review_open"),
    path("budgets/versions/<int:pk>/send/", review_send, name="review_send"),
    path("budgets/versions/<int:pk>/answer/", review_answer, name="review_answer"),
    path("budgets/versions/<int:pk>/finalise/", review_finalise, name="review_finalise"),
]
