"""The agency's budget review (预算评估, KRD-FUNDS §25–§28) and the approved budget."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from budgets import policies, rules
from budgets.models import Budget, BudgetLine, BudgetVersion
from budgets.services.book import AMOUNT_FIELDS, copy_version, lock_budget
from core import audit
from core.exceptions import RuleViolation, StateConflict
from core.locks import lock
from core.notifications import notify

REVIEWABLE_PROPOSAL_STATES = ("received", "formal_passed", "proposed", "in_public_notice", "approved")


def _require_agency(actor, budget: Budget) -> None:
    if not policies.manages_budget(actor, budget):
        raise PermissionDenied


def _lock_review(version: BudgetVersion) -> tuple[Budget, BudgetVersion]:
    budget = lock_budget(version.budget)
    version = lock(BudgetVersion, version.pk)
    if version.kind != BudgetVersion.Kind.REVIEW:
        raise StateConflict(_("This is not a budget review."), code="not_a_review")
    return budget, version


@transaction.atomic
def review_open(*, actor, budget: Budget) -> BudgetVersion:
    """The agency starts its review from the application as submitted: a new version whose
    lines it changes one by one, each change with its reason (KRD-FUNDS §26)."""
    budget = lock_budget(budget)
    _require_agency(actor, budget)
    if budget.proposal.state not in REVIEWABLE_PROPOSAL_STATES:
        raise StateConflict(_("The agency reviews a budget once it has received the proposal."), code="not_received")
    if budget.approved_version_id:
        raise StateConflict(_("The budget is already approved."), code="already_approved")
    open_review = budget.versions.filter(
        kind=BudgetVersion.Kind.REVIEW, state__in=[BudgetVersion.State.DRAFT, BudgetVersion.State.SENT]
    ).first()
    if open_review is not None:
        return open_review
    answered = budget.versions.filter(kind=BudgetVersion.Kind.REVIEW).order_by("-number").first()
    source = answered or budget.working_version
    if budget.working_version.state == BudgetVersion.State.DRAFT:
        # The application as received is what the review starts from: it is no longer a draft.
        budget.working_version.state = BudgetVersion.State.FINAL
        budget.working_version.save(update_fields=["state", "updated_at"])
    version = copy_version(source, kind=BudgetVersion.Kind.REVIEW, actor=actor, budget=budget)
    audit.record(actor=actor, action="budget.review_open", target=budget, changes={"version": [None, version.number]})
    return version


def changed_lines(version: BudgetVersion) -> list[tuple[BudgetLine | None, BudgetLine | None]]:
    """Pairs (before, after) of the lines that differ from the version this one is based on."""
    before = {(line.subject_id, line.unit_id, line.category): line for line in version.based_on.lines.all()}
    after = {(line.subject_id, line.unit_id, line.category): line for line in version.lines.all()}
    pairs = []
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if old is None or new is None or any(getattr(old, f) != getattr(new, f) for f in AMOUNT_FIELDS):
            pairs.append((old, new))
    return pairs


def uniform_cut(version: BudgetVersion):
    """KRD-FUNDS §26: the common ratio if the direct lines were cut by one percentage, else None."""
    pairs = [
        (old.central, new.central if new else 0)
        for old, new in changed_lines(version)
        if old is not None and old.category != "indirect"
    ]
    return rules.uniform_cut_ratio(pairs)


@transaction.atomic
def review_send(*, actor, version: BudgetVersion) -> BudgetVersion:
    """Send the reviewed budget to the applicant. Every changed line needs its reason, and a
    blanket percentage cut of the direct costs is refused (KRD-FUNDS §26)."""
    budget, version = _lock_review(version)
    _require_agency(actor, budget)
    if version.state != BudgetVersion.State.DRAFT:
        raise StateConflict(_("This review has already been sent."), code="review_sent")
    # A line removed outright is a change too: to cut a line to nothing, keep it at 0 with its reason.
    missing = [new or old for old, new in changed_lines(version) if new is None or not new.change_reason.strip()]
    if missing:
        raise RuleViolation(
            "B-review",
            _("KRD-FUNDS §26: give the reason for each changed line (%(count)d without one).")
            % {"count": len(missing)},
            code="reason_missing",
            fields={f"line-{line.pk}": [_("Give the reason for this change.")] for line in missing},
        )
    ratio = uniform_cut(version)
    if ratio is not None:
        raise RuleViolation(
            "B-review",
            _(
                "KRD-FUNDS §26: every changed direct line was cut by the same %(percent)s %%; a review may not cut "
                "direct costs by a simple percentage. Assess each line on its merits."
            )
            % {"percent": (ratio * 100).quantize(rules.CENT)},
            code="uniform_cut",
        )
    version.state = BudgetVersion.State.SENT
    version.save(update_fields=["state", "updated_at"])
    audit.record(
        actor=actor, action="budget.review_send", target=budget, rule="B-review", changes={"state": ["draft", "sent"]}
    )
    notify(
        recipients=[budget.proposal.applicant],
        title=_("The budget review of %(proposal)s is ready for your response") % {"proposal": budget.proposal},
        link=reverse("budgets:version", args=[version.pk]),
    )
    return version


@transaction.atomic
def review_answer(*, actor, version: BudgetVersion, agrees: bool, response: str) -> BudgetVersion:
    """The applicant answers the review: agrees, or explains what they do not accept
    (KRD-FUNDS §26: 沟通反馈机制)."""
    budget, version = _lock_review(version)
    if not policies.is_budget_applicant(actor, budget):
        raise PermissionDenied
    if version.state != BudgetVersion.State.SENT:
        raise StateConflict(_("Only a review sent to you can be answered."), code="review_not_sent")
    if not agrees and not response.strip():
        raise RuleViolation("B-review", _("Say what you do not accept and why."), fields={"response": [_("Required.")]})
    audit.save_changes(
        version,
        actor=actor,
        action="budget.review_answer",
        fields={"state": BudgetVersion.State.ANSWERED, "response": response.strip(), "response_agrees": agrees},
    )
    return version


@transaction.atomic
def review_finalise(*, actor, version: BudgetVersion) -> BudgetVersion:
    """The agency settles the budget: the reviewed version becomes the approved budget that
    goes into the task book (KRD-FUNDS §28). A review the applicant has not answered can be
    settled only if it changed nothing."""
    budget, version = _lock_review(version)
    _require_agency(actor, budget)
    if version.state == BudgetVersion.State.DRAFT and changed_lines(version):
        raise StateConflict(_("Send the changed budget to the applicant first."), code="review_unsent")
    if version.state not in (BudgetVersion.State.DRAFT, BudgetVersion.State.ANSWERED):
        raise StateConflict(_("Wait for the applicant's answer."), code="review_unanswered")
    approved = copy_version(version, kind=BudgetVersion.Kind.APPROVED, actor=actor, budget=budget)
    BudgetLine.objects.filter(version=approved).update(change_reason="")
    approved.state = BudgetVersion.State.FINAL
    approved.save(update_fields=["state"])
    version.state = BudgetVersion.State.FINAL
    version.save(update_fields=["state", "updated_at"])
    before = budget.approved_version_id
    budget.approved_version = approved
    budget.save(update_fields=["approved_version"])
    audit.record(
        actor=actor,
        action="budget.approve",
        target=budget,
        rule="B-review",
        changes={"approved_version": [before, approved.number]},
    )
    notify(
        recipients=[budget.proposal.applicant],
        title=_("The budget of %(proposal)s is approved") % {"proposal": budget.proposal},
        link=reverse("budgets:version", args=[approved.pk]),
    )
    return approved


def budget_attach_project(*, project, actor=None) -> Budget | None:
    """At the approval notice the proposal's budget book becomes the project's."""
    budget = Budget.objects.filter(proposal_id=project.proposal_id).first()
    if budget is None or budget.project_id == project.pk:
        return budget
    budget.project = project
    budget.save(update_fields=["project"])
    audit.record(
        actor=actor, action="budget.attach_project", target=budget, changes={"project": [None, project.number]}
    )
    return budget
