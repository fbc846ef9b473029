"""Budget adjustments (预算调剂): request, routing by B6, decisions, and the atomic apply."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.selectors import users_with_role
from budgets import policies, rules, selectors
from budgets.checks import Severity
from budgets.models import Adjustment, AdjustmentStep, Budget, BudgetVersion
from budgets.services.book import copy_version, lock_budget
from core import audit
from core.exceptions import RuleViolation, StateConflict
from core.locks import lock, lock_first
from core.notifications import notify

Approver = rules.Approver


def central_amounts(version: BudgetVersion) -> dict[tuple[int, int, str], Decimal]:
    return {
        (subject_id, unit_id, category): central
        for subject_id, unit_id, category, central in version.lines.values_list(
            "subject_id", "unit_id", "category", "central"
        )
    }


def adjustment_changes(adjustment: Adjustment) -> list[rules.Change]:
    """The differences between the approved budget the request started from and the request."""
    return rules.classify_changes(
        central_amounts(adjustment.base_version), central_amounts(adjustment.proposed_version)
    )


@transaction.atomic
def adjustment_create(*, actor, budget: Budget, reason: str) -> Adjustment:
    """The project leader starts an adjustment: a draft copy of the approved budget to change."""
    budget = lock_budget(budget)
    project = budget.project
    if project is None or budget.approved_version_id is None:
        raise StateConflict(_("Only an approved project budget can be adjusted."), code="not_approved")
    if not policies.may_request_adjustment(actor, budget):
        raise PermissionDenied
    if project.state != "active":
        raise StateConflict(_("Only a project in progress can adjust its budget."), code="project_not_active")
    if not reason.strip():
        raise RuleViolation("B6", _("Give the reason for the adjustment."), fields={"reason": [_("Required.")]})
    version = copy_version(budget.approved_version, kind=BudgetVersion.Kind.ADJUSTMENT, actor=actor, budget=budget)
    adjustment = Adjustment.objects.create(
        budget=budget,
        base_version=budget.approved_version,
        proposed_version=version,
        reason=reason.strip(),
        requested_by=actor,
    )
    audit.record(
        actor=actor,
        action="adjustment.create",
        target=adjustment,
        rule="B6",
        changes={"reason": [None, adjustment.reason]},
    )
    return adjustment


def _lock(adjustment: Adjustment) -> Adjustment:
    return lock(
        Adjustment, adjustment.pk, related=("budget__project", "budget__proposal", "base_version", "proposed_version")
    )


def _route(adjustment: Adjustment, approver: Approver, changes: list[rules.Change]) -> list[AdjustmentStep]:
    """The steps for the highest authority needed (KRD-FUNDS §36; MAJOR-FUNDS §41):

    - subject unit (KRD flexible categories): the subject units approve, the lead unit is told;
    - lead unit (major flexible categories): the lead unit approves;
    - agency: the subject units, then the lead unit, then the agency approve (逐级);
    - organiser (major project totals): as for the agency, then the ministry approves.
    """
    budget = adjustment.budget
    project = budget.project
    subjects = {subject.pk: subject for subject in budget.proposal.subjects.all()}
    touched = {change.subject for change in changes if change.subject is not None} or set(subjects)
    subject_units = []
    for subject_id in sorted(touched):
        unit_id = subjects[subject_id].unit_id
        if unit_id and unit_id not in subject_units:
            subject_units.append(unit_id)
    plan: list[tuple[str, int | None, bool]] = []
    if approver == Approver.LEADER:
        # 国办发〔2021〕32号 二(二): the leader's own decision; the units are told.
        plan += [(AdjustmentStep.Approver.SUBJECT_UNIT, unit, True) for unit in subject_units]
        if project.lead_unit_id not in subject_units:
            plan.append((AdjustmentStep.Approver.LEAD_UNIT, project.lead_unit_id, True))
    elif approver == Approver.SUBJECT_UNIT:
        plan += [(AdjustmentStep.Approver.SUBJECT_UNIT, unit, False) for unit in subject_units]
        if project.lead_unit_id not in subject_units:
            plan.append((AdjustmentStep.Approver.LEAD_UNIT, project.lead_unit_id, True))
    elif approver == Approver.LEAD_UNIT:
        plan.append((AdjustmentStep.Approver.LEAD_UNIT, project.lead_unit_id, False))
    else:
        plan += [
            (AdjustmentStep.Approver.SUBJECT_UNIT, unit, False)
            for unit in subject_units
            if unit != project.lead_unit_id
        ]
        plan.append((AdjustmentStep.Approver.LEAD_UNIT, project.lead_unit_id, False))
        plan.append((AdjustmentStep.Approver.AGENCY, project.managing_agency_id, False))
        if approver == Approver.ORGANISER:
            plan.append((AdjustmentStep.Approver.ORGANISER, None, False))
    return AdjustmentStep.objects.bulk_create(
        AdjustmentStep(adjustment=adjustment, order=order, approver=role, organisation_id=unit, is_notice=notice)
        for order, (role, unit, notice) in enumerate(plan, start=1)
    )


def _step_users(step: AdjustmentStep):
    role = policies.STEP_ROLES[step.approver]
    if step.organisation_id is None:
        return list(User.objects.filter(groups__name=role, is_active=True))
    return list(users_with_role(organisation_id=step.organisation_id, role=role))


def _advance(adjustment: Adjustment, *, actor) -> None:
    """Open the next decision: notices on the way are given and passed; with no decision
    left, the adjustment is applied."""
    link = reverse("budgets:adjustment", args=[adjustment.pk])
    for step in adjustment.steps.filter(state=AdjustmentStep.State.WAITING).order_by("order"):
        if step.is_notice:
            step.state = AdjustmentStep.State.NOTIFIED
            step.decided_at = timezone.now()
            step.save(update_fields=["state", "decided_at"])
            notify(
                recipients=_step_users(step),
                title=_("For your records (备案): budget adjustment of %(project)s")
                % {"project": adjustment.budget.project},
                link=link,
            )
            continue
        step.state = AdjustmentStep.State.PENDING
        step.save(update_fields=["state"])
        notify(
            recipients=_step_users(step),
            title=_("A budget adjustment of %(project)s awaits your decision") % {"project": adjustment.budget.project},
            link=link,
        )
        return
    _apply(adjustment, actor=actor)


def _apply(adjustment: Adjustment, *, actor) -> None:
    """Make the request the approved budget — only if the approved budget is still the one it
    started from: the budget row is locked, so of two requests approved at once the second
    finds the first applied and is refused rather than stacked on top of it."""
    budget = lock_budget(adjustment.budget)
    if budget.approved_version_id != adjustment.base_version_id:
        raise StateConflict(
            _(
                "The approved budget changed after this request was made (another adjustment was applied). "
                "Withdraw it and request again from the current budget."
            ),
            code="budget_changed",
        )
    approved = copy_version(adjustment.proposed_version, kind=BudgetVersion.Kind.APPROVED, actor=actor, budget=budget)
    approved.state = BudgetVersion.State.FINAL
    approved.save(update_fields=["state"])
    adjustment.proposed_version.state = BudgetVersion.State.FINAL
    adjustment.proposed_version.save(update_fields=["state", "updated_at"])
    budget.approved_version = approved
    budget.save(update_fields=["approved_version"])
    adjustment.state = Adjustment.State.APPROVED
    adjustment.decided_at = timezone.now()
    adjustment.save(update_fields=["state", "decided_at"])
    audit.record(
        actor=actor,
        action="adjustment.apply",
        target=budget,
        rule="B6",
        changes={"approved_version": [adjustment.base_version.number, approved.number]},
    )
    notify(
        recipients=[adjustment.requested_by],
        title=_("Your budget adjustment of %(project)s is approved and applied") % {"project": budget.project},
        link=reverse("budgets:adjustment", args=[adjustment.pk]),
    )


@transaction.atomic
def adjustment_submit(*, actor, adjustment: Adjustment) -> Adjustment:
    """Submit the request: the portal works out from the difference who must approve (B6 —
    KRD-FUNDS §36 / MAJOR-FUNDS §41); indirect increases are refused outright, and the
    proposed budget must still pass every check."""
    adjustment = _lock(adjustment)
    if not policies.is_requester_of(actor, adjustment):
        raise PermissionDenied
    if adjustment.state != Adjustment.State.DRAFT:
        raise StateConflict(_("This request has already been submitted."), code="adjustment_submitted")
    # The proposed version's editors lock it too: no line changes between the routing and the submission.
    lock_first(BudgetVersion.objects.filter(pk=adjustment.proposed_version_id))
    if adjustment.budget.approved_version_id != adjustment.base_version_id:
        raise StateConflict(
            _(
                "The approved budget changed after this request was made (another adjustment was applied). "
                "Withdraw it and request again from the current budget."
            ),
            code="budget_changed",
        )
    edition = selectors.edition_of(adjustment.budget)
    changes = adjustment_changes(adjustment)
    approver = rules.required_approver(edition=edition, changes=changes)
    if approver is None:
        raise RuleViolation("B6", _("The request changes nothing."), code="no_change")
    if approver == Approver.REFUSED:
        raise RuleViolation(
            "B6",
            _("%(article)s: indirect costs may not be increased; they may only go down, into direct costs.")
            % {"article": edition.adjustment_article},
            code="indirect_increase",
        )
    errors = [i for i in selectors.version_issues(adjustment.proposed_version) if i.severity == Severity.ERROR]
    if errors:
        raise RuleViolation(
            errors[0].check,
            _("The adjusted budget fails %(count)d check(s).") % {"count": len(errors)},
            code="budget_checks",
            findings=[issue.as_dict() for issue in errors],
        )
    _route(adjustment, approver, changes)
    adjustment.state = Adjustment.State.PENDING
    adjustment.requested_at = timezone.now()
    adjustment.save(update_fields=["state", "requested_at"])
    audit.record(
        actor=actor,
        action="adjustment.submit",
        target=adjustment,
        rule="B6",
        changes={"approver": [None, str(approver)], "changes": [None, len(changes)]},
    )
    _advance(adjustment, actor=actor)
    return adjustment


@transaction.atomic
def adjustment_decide(*, actor, adjustment: Adjustment, approve: bool, comment: str = "") -> Adjustment:
    """The pending step's approver approves or rejects; the last approval applies the request."""
    adjustment = _lock(adjustment)
    if adjustment.state != Adjustment.State.PENDING:
        raise StateConflict(_("This request is not awaiting a decision."), code="adjustment_not_pending")
    step = lock_first(adjustment.steps.filter(state=AdjustmentStep.State.PENDING), order_by=("order",))
    if step is None or not policies.may_decide_step(actor, step):
        raise PermissionDenied
    if not approve and not comment.strip():
        raise RuleViolation("B6", _("Give the reason for the rejection."), fields={"comment": [_("Required.")]})
    step.state = AdjustmentStep.State.APPROVED if approve else AdjustmentStep.State.REJECTED
    step.decided_by = actor
    step.decided_at = timezone.now()
    step.comment = comment.strip()
    step.save(update_fields=["state", "decided_by", "decided_at", "comment"])
    audit.record(
        actor=actor,
        action="adjustment.approve" if approve else "adjustment.reject",
        target=adjustment,
        rule="B6",
        changes={f"step{step.order}.{step.approver}": ["pending", step.state], "comment": [None, step.comment]},
    )
    if not approve:
        adjustment.state = Adjustment.State.REJECTED
        adjustment.decided_at = step.decided_at
        adjustment.save(update_fields=["state", "decided_at"])
        adjustment.proposed_version.state = BudgetVersion.State.WITHDRAWN
        adjustment.proposed_version.save(update_fields=["state", "updated_at"])
        notify(
            recipients=[adjustment.requested_by],
            title=_("Your budget adjustment of %(project)s was rejected") % {"project": adjustment.budget.project},
            body=step.comment,
            link=reverse("budgets:adjustment", args=[adjustment.pk]),
        )
        return adjustment
    _advance(adjustment, actor=actor)
    return adjustment


@transaction.atomic
def adjustment_withdraw(*, actor, adjustment: Adjustment) -> Adjustment:
    adjustment = _lock(adjustment)
    if not policies.is_requester_of(actor, adjustment):
        raise PermissionDenied
    if adjustment.state not in (Adjustment.State.DRAFT, Adjustment.State.PENDING):
        raise StateConflict(_("This request is already decided."), code="adjustment_decided")
    audit.save_changes(
        adjustment, actor=actor, action="adjustment.withdraw", fields={"state": Adjustment.State.WITHDRAWN}, rule="B6"
    )
    adjustment.proposed_version.state = BudgetVersion.State.WITHDRAWN
    adjustment.proposed_version.save(update_fields=["state", "updated_at"])
    adjustment.steps.filter(state__in=[AdjustmentStep.State.WAITING, AdjustmentStep.State.PENDING]).delete()
    return adjustment
