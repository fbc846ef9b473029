"""Budget pages: adjustment requests (调剂), their routing (B6) and decisions."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from budgets import policies, rules, selectors
from budgets.forms import AdjustmentForm, DecisionForm
from budgets.models import AdjustmentStep
from budgets.services import adjustments
from core.access import declare_access, roles
from core.refusals import refusals


@require_POST
@declare_access(roles("applicant", object_scoped=True))
def adjustment_create(request: HttpRequest, pk: int) -> HttpResponse:
    budget = selectors.budget_get_for_user(request.user, pk)
    form = AdjustmentForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the reason for the adjustment."))
        return redirect("budgets:budget", pk=budget.pk)
    with refusals(request) as outcome:
        adjustment = adjustments.adjustment_create(
            actor=request.user, budget=budget, reason=form.cleaned_data["reason"]
        )
    if outcome.refused:
        return redirect("budgets:budget", pk=budget.pk)
    messages.success(request, _("Change the lines of the request, then submit it from the request's page."))
    return redirect("budgets:version", pk=adjustment.proposed_version_id)


@require_GET
@declare_access(roles("applicant", "unit_admin", "agency", "ministry", "admin", object_scoped=True))
def adjustment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The request against the approved budget: what changes, who must approve and why (B6)."""
    adjustment = selectors.adjustment_get_for_user(request.user, pk)
    edition = selectors.edition_of(adjustment.budget)
    changes = adjustments.adjustment_changes(adjustment)
    approvers = [rules.change_approver(edition=edition, change=change) for change in changes]
    required = rules.required_approver(edition=edition, changes=changes)
    steps = list(adjustment.steps.select_related("organisation", "decided_by"))
    pending = next((step for step in steps if step.state == AdjustmentStep.State.PENDING), None)
    return render(
        request,
        "budgets/adjustment_detail.html",
        {
            "adjustment": adjustment,
            "budget": adjustment.budget,
            "edition": edition,
            "changes": list(zip(changes, approvers, strict=True)),
            "required": required,
            "required_label": rules.APPROVER_LABELS.get(required) if required else None,
            "steps": steps,
            "pending": pending,
            "may_decide": pending is not None and policies.may_decide_step(request.user, pending),
            "is_requester": policies.is_requester_of(request.user, adjustment),
            "decision_form": DecisionForm(),
            "rows": selectors.compare(adjustment.base_version, adjustment.proposed_version),
        },
    )


def _act(request, pk: int, may_act, action, success: str) -> HttpResponse:
    adjustment = selectors.adjustment_get_for_user(request.user, pk)
    if not may_act(adjustment):
        # The user may see the request (else the selector answered 404) but it is not theirs to act on.
        messages.error(request, _("This step of the request is not yours to decide."))
        return redirect("budgets:adjustment", pk=pk)
    with refusals(request) as outcome:
        action(adjustment)
    if not outcome.refused:
        messages.success(request, success)
    return redirect("budgets:adjustment", pk=pk)


def _may_decide(user, adjustment) -> bool:
    """The approver of the pending step; with no step pending the service says why not."""
    pending = adjustment.steps.filter(state=AdjustmentStep.State.PENDING).first()
    return pending is None or policies.may_decide_step(user, pending)


@require_POST
@declare_access(roles("applicant", object_scoped=True))
def adjustment_submit(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        lambda a: policies.is_requester_of(request.user, a),
        lambda a: adjustments.adjustment_submit(actor=request.user, adjustment=a),
        _("The request is submitted and routed to its approvers."),
    )


@require_POST
@declare_access(roles("applicant", object_scoped=True))
def adjustment_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        lambda a: policies.is_requester_of(request.user, a),
        lambda a: adjustments.adjustment_withdraw(actor=request.user, adjustment=a),
        _("The request is withdrawn."),
    )


@require_POST
@declare_access(roles("unit_admin", "agency", "ministry", object_scoped=True))
def adjustment_decide(request: HttpRequest, pk: int, decision: str) -> HttpResponse:
    if decision not in ("approve", "reject"):
        raise Http404
    form = DecisionForm(request.POST)
    form.is_valid()
    comment = form.cleaned_data.get("comment", "")
    return _act(
        request,
        pk,
        lambda a: _may_decide(request.user, a),
        lambda a: adjustments.adjustment_decide(
            actor=request.user, adjustment=a, approve=decision == "approve", comment=comment
        ),
        _("Your decision is recorded."),
    )


urlpatterns = [
    path("budgets/<int:pk>/adjustments/new/", adjustment_create, name="adjustment_create"),
    path("budgets/adjustments/<int:pk>/", adjustment_detail, name="adjustment"),
    path("budgets/adjustments/<int:pk>/submit/", adjustment_submit, name="adjustment_submit"),
    path("budgets/adjustments/<int:pk>/withdraw/", adjustment_withdraw, name="adjustment_withdraw"),
    path("budgets/adjustments/<int:pk>/<str:decision>/", adjustment_decide, name="adjustment_decide"),
]
