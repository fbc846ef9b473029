"""The budget items of "my tasks": adjustment steps awaiting the user's decision, budget reviews
awaiting the applicant's answer or the agency's settlement — never one of a book hidden from the
user (S6 — SECRETS-LAW §16)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from budgets.models import AdjustmentStep, BudgetVersion
from budgets.policies import STEP_ROLES
from budgets.selectors import NEED_TO_KNOW_VIA
from core.dashboard import TodoItem, register
from core.selectors import known


@register
def budget_todo_items(user) -> list[TodoItem]:
    if not user.is_authenticated:
        return []
    items = []
    approvers = [approver for approver, role in STEP_ROLES.items() if user.has_role(role)]
    if approvers:
        steps = known(
            AdjustmentStep.objects.filter(state=AdjustmentStep.State.PENDING, approver__in=approvers),
            user,
            via=NEED_TO_KNOW_VIA[AdjustmentStep],
        )
        if not user.has_role("ministry"):
            steps = steps.filter(organisation_id=user.organisation_id)
        for step in steps.select_related("adjustment__budget__project")[:50]:
            items.append(
                TodoItem(
                    title=_("Decide on budget adjustment #%(id)s of %(project)s")
                    % {"id": step.adjustment_id, "project": step.adjustment.budget.project},
                    link=reverse("budgets:adjustment", args=[step.adjustment_id]),
                    rule="B6",
                )
            )
    reviews = known(
        BudgetVersion.objects.filter(kind=BudgetVersion.Kind.REVIEW).select_related("budget__proposal"),
        user,
        via=NEED_TO_KNOW_VIA[BudgetVersion],
    )
    for version in reviews.filter(state=BudgetVersion.State.SENT, budget__proposal__applicant=user)[:50]:
        items.append(
            TodoItem(
                title=_("Answer the budget review of %(proposal)s") % {"proposal": version.budget.proposal},
                link=reverse("budgets:version", args=[version.pk]),
                rule="B-review",
            )
        )
    if user.has_role("agency") and user.organisation_id:
        answered = reviews.filter(
            state=BudgetVersion.State.ANSWERED,
            budget__proposal__call__special_project__managing_agency_id=user.organisation_id,
        )
        for version in answered[:50]:
            items.append(
                TodoItem(
                    title=_("Settle the budget of %(proposal)s") % {"proposal": version.budget.proposal},
                    link=reverse("budgets:version", args=[version.pk]),
                    rule="B-review",
                )
            )
    return items
