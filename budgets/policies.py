"""Who may do what with a budget book: one function per question (design §2), each on
``core.policies``' one superuser rule and, where the question is about the proposal or the
project, ``projects.policies``. Services refuse with these, pages decide what to show with them.

The parties of KRD-FUNDS: the applicant fills in the book (§22) and the managing agency reviews
it (§25–§28); during the project the leader asks for adjustments and each approver of the route
decides (B6 — §36); the lead unit and its administrators compile and submit the final accounts
(B7 — §37); the agency settles balances and the subject unit reports their use (B9 — §44).
"""

from __future__ import annotations

from accounts.roles import Role
from budgets.models import AdjustmentStep, Balance, Budget, BudgetVersion
from core.policies import acts_for, has_role
from projects.policies import is_applicant_of, is_leader_of, is_unit_admin_of, manages_project, manages_proposal

# The proposal states in which its applicant still edits it, and so its budget book.
EDITABLE_PROPOSAL_STATES = ("draft", "returned")

# The role that decides each step of an adjustment's route (B6).
STEP_ROLES = {
    AdjustmentStep.Approver.SUBJECT_UNIT: Role.UNIT_ADMIN.value,
    AdjustmentStep.Approver.LEAD_UNIT: Role.UNIT_ADMIN.value,
    AdjustmentStep.Approver.AGENCY: Role.AGENCY.value,
    AdjustmentStep.Approver.ORGANISER: Role.MINISTRY.value,
}


# ---- The parties ---------------------------------------------------------------------------------


def is_budget_applicant(user, budget: Budget) -> bool:
    """``user`` filed the proposal the book belongs to."""
    return is_applicant_of(user, budget.proposal)


def manages_budget(user, budget: Budget) -> bool:
    """The agency managing the book's proposal reviews and settles the budget (KRD-FUNDS §25–§28)."""
    return manages_proposal(user, budget.proposal)


def leads_budget_project(user, budget: Budget) -> bool:
    """``user`` leads the project the book belongs to (项目负责人)."""
    return budget.project is not None and is_leader_of(user, budget.project)


def is_lead_unit_admin(user, budget: Budget) -> bool:
    """``user`` administers the project's lead unit (项目牵头承担单位)."""
    return budget.project is not None and is_unit_admin_of(user, organisation_id=budget.project.lead_unit_id)


def subject_unit_administered(user, budget: Budget) -> int | None:
    """The unit of ``user`` when they administer it and it holds a subject of the book (课题承担
    单位); None otherwise."""
    organisation_id = getattr(user, "organisation_id", None)
    if organisation_id is None or not acts_for(user, role=Role.UNIT_ADMIN.value, organisation_id=organisation_id):
        return None
    return organisation_id if budget.proposal.subjects.filter(unit_id=organisation_id).exists() else None


# ---- The book and its versions -----------------------------------------------------------------


def may_edit_version(user, version: BudgetVersion) -> bool:
    """Who may change a draft version: the applicant their application while the proposal is a
    draft or returned; the managing agency its review; the requester their adjustment until it
    is submitted. An approved version is never changed (B6: only through an adjustment).
    ``budgets.services.book.require_editor`` refuses with the same answer, saying why."""
    if version.state != BudgetVersion.State.DRAFT:
        return False
    budget = version.budget
    if version.kind == BudgetVersion.Kind.APPLICATION:
        proposal = budget.proposal
        return is_applicant_of(user, proposal) and proposal.state in EDITABLE_PROPOSAL_STATES
    if version.kind == BudgetVersion.Kind.REVIEW:
        return manages_budget(user, budget)
    if version.kind == BudgetVersion.Kind.ADJUSTMENT:
        adjustment = version.adjustment
        return is_requester_of(user, adjustment) and adjustment.state == adjustment.State.DRAFT
    return False


# ---- Adjustments (B6 — KRD-FUNDS §36, MAJOR-FUNDS §41) -------------------------------------------


def may_request_adjustment(user, budget: Budget) -> bool:
    """The project leader asks for an adjustment of the approved budget."""
    return leads_budget_project(user, budget)


def is_requester_of(user, adjustment) -> bool:
    """``user`` asked for ``adjustment``: they change, submit and withdraw it."""
    return user is not None and user.pk is not None and adjustment.requested_by_id == user.pk


def may_decide_step(user, step: AdjustmentStep) -> bool:
    """The approver of a step of the route: the step's role in the step's organisation (any
    organisation of the role when the step names none)."""
    role = STEP_ROLES[step.approver]
    if step.organisation_id is None:
        return has_role(user, role)
    return acts_for(user, role=role, organisation_id=step.organisation_id)


# ---- Spending, final accounts and balances (B7, B9) -------------------------------------------


def imports_for_every_unit(user, budget: Budget) -> bool:
    """The project leader and the lead unit's administrators import the spending of every unit."""
    return leads_budget_project(user, budget) or is_lead_unit_admin(user, budget)


def may_import_spending(user, budget: Budget) -> bool:
    """Every unit's spending (``imports_for_every_unit``), or a subject unit's administrator
    their own unit's."""
    return budget.project is not None and (
        imports_for_every_unit(user, budget) or subject_unit_administered(user, budget) is not None
    )


def may_compile_final_accounts(user, budget: Budget) -> bool:
    """The lead unit prepares the final accounts with the project leader (KRD-FUNDS §37)."""
    return leads_budget_project(user, budget) or is_lead_unit_admin(user, budget)


def may_submit_final_accounts(user, budget: Budget) -> bool:
    """B7 — KRD-FUNDS §37: the lead unit (项目牵头承担单位) sends the final accounts to the agency."""
    return is_lead_unit_admin(user, budget)


def may_settle_balance(user, budget: Budget) -> bool:
    """B9: the agency managing the project decides what becomes of a balance."""
    return budget.project is not None and manages_project(user, budget.project)


def may_report_balance_use(user, balance: Balance) -> bool:
    """The subject unit (课题承担单位) that keeps the balance reports its use."""
    return is_unit_admin_of(user, organisation_id=balance.subject.unit_id)
