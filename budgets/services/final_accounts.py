"""The annual final accounts (年度财务决算, B7 — KRD-FUNDS §37): compiled per subject and
category from the approved budget and the imported spending, with the carry-over of central
funds between years; sent to the agency by the lead unit after the year and by 20 April. Funds
under three months old at a year's end are reported in the next year's accounts.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import Role
from accounts.selectors import users_with_role
from budgets import policies
from budgets.models import Budget, Expenditure, ExpenditureImport, FinalAccount, FinalAccountLine, YearPlan
from budgets.services.book import lock_approved_budget
from budgets.services.execution import approved_central, category_order, spending_years, spent_central
from core import audit
from core.deadlines import services as deadlines
from core.exceptions import RuleViolation, StateConflict
from core.locks import lock, locked
from core.models import Obligation
from core.notifications import notify
from projects import rules as project_rules

ZERO = Decimal("0.00")


def accounts_period_start(project, year: int) -> int:
    """The first year a year's final accounts cover: the year itself, or earlier when the
    accounts of the years before were not due (B7 — KRD-FUNDS §37: funds under three months
    old at the year end are reported in the next year's accounts)."""
    funds_received_on = project.funds_received_on or project.start_date
    first_year, _last = spending_years(project)
    start = year
    while start - 1 >= first_year and not project_rules.final_accounts_required(
        funds_received_on=funds_received_on, end_date=project.end_date, accounts_year=start - 1
    ):
        start -= 1
    return start


@dataclass(frozen=True)
class CarryOver:
    """The central funds of one subject in a final account's period (结转)."""

    subject: object
    carried_in: Decimal
    received: Decimal
    spent: Decimal

    @property
    def carried_out(self) -> Decimal:
        return self.carried_in + self.received - self.spent


def final_account_carry_over(final_account: FinalAccount) -> list[CarryOver]:
    """Per subject: carried in from earlier years (received − spent before the period),
    received in the period (the yearly plan of the approved budget), spent in the period,
    and carried out into the next year."""
    budget = final_account.budget
    start = accounts_period_start(budget.project, final_account.year)
    received = defaultdict(lambda: [ZERO, ZERO])
    for row in (
        YearPlan.objects.filter(version_id=budget.approved_version_id, year__lte=final_account.year)
        .values("subject_id")
        .annotate(before=Sum("central", filter=Q(year__lt=start)), within=Sum("central", filter=Q(year__gte=start)))
    ):
        received[row["subject_id"]] = [row["before"] or ZERO, row["within"] or ZERO]
    spent = defaultdict(lambda: [ZERO, ZERO])
    for row in (
        Expenditure.objects.filter(budget_id=budget.pk, is_central=True, year__lte=final_account.year)
        .values("subject_id")
        .annotate(before=Sum("amount", filter=Q(year__lt=start)), within=Sum("amount", filter=Q(year__gte=start)))
    ):
        spent[row["subject_id"]] = [row["before"] or ZERO, row["within"] or ZERO]
    return [
        CarryOver(
            subject=subject,
            carried_in=received[subject.pk][0] - spent[subject.pk][0],
            received=received[subject.pk][1],
            spent=spent[subject.pk][1],
        )
        for subject in budget.proposal.subjects.order_by("number")
    ]


def _exemption(project, year: int) -> str:
    """Why the year's final accounts are not due, or "" when they are (B7 — KRD-FUNDS §37)."""
    funds_received_on = project.funds_received_on or project.start_date
    if project_rules.final_accounts_required(
        funds_received_on=funds_received_on, end_date=project.end_date, accounts_year=year
    ):
        return ""
    if funds_received_on.year > year:
        return _(
            "B7 — KRD-FUNDS §37: the central funds were received on %(date)s, after %(year)d; the spending of "
            "%(year)d is reported in the %(next)d final accounts."
        ) % {"date": funds_received_on.isoformat(), "year": year, "next": year + 1}
    return _(
        "B7 — KRD-FUNDS §37: the central funds were received on %(date)s, less than three months before the end of "
        "%(year)d; the spending of %(year)d is reported in the %(next)d final accounts."
    ) % {"date": funds_received_on.isoformat(), "year": year, "next": year + 1}


@transaction.atomic
def final_account_compile(*, actor, budget: Budget, year: int) -> FinalAccount:
    """Compile (or compile again) a year's final accounts from the approved budget and the
    imported spending: per subject and category the approved central funds, the central funds
    spent in the year (and in earlier years whose accounts were not due) and spent to date.
    A year whose funds were under three months old at its end is marked exempt (B7 —
    KRD-FUNDS §37). A submitted account is not compiled again."""
    budget = lock_approved_budget(budget)
    if not policies.may_compile_final_accounts(actor, budget):
        raise PermissionDenied
    project = budget.project
    first_year, last_year = spending_years(project)
    if not first_year <= year <= last_year:
        raise RuleViolation(
            "B7",
            _(
                "B7 — KRD-FUNDS §37: final accounts are compiled for the years of the project (%(first)d–%(last)d); "
                "after it ends its money is settled at the financial acceptance."
            )
            % {"first": first_year, "last": last_year},
            fields={"year": [_("Choose a year of the project.")]},
            code="year_outside_project",
        )
    # The budget is locked, so no other compilation creates the year's row meanwhile.
    account, created = locked(FinalAccount).get_or_create(budget=budget, year=year)
    if account.state == FinalAccount.State.SUBMITTED:
        raise StateConflict(
            _("The %(year)d final accounts are already submitted.") % {"year": year}, code="final_account_submitted"
        )
    before = account.state
    account.lines.all().delete()
    exemption = _exemption(project, year)
    if exemption:
        account.state = FinalAccount.State.EXEMPT
        account.explanation = exemption
        account.save()
        audit.record(
            actor=actor,
            action="final_account.compile",
            target=account,
            rule="B7",
            changes={"state": [None if created else before, account.state], "explanation": [None, exemption]},
        )
        return account
    start = accounts_period_start(project, year)
    approved = approved_central(budget)
    in_period = spent_central(budget, years=(start, year))
    to_date = spent_central(budget, years=(None, year))
    order = category_order(budget)
    keys = sorted(set(approved) | set(to_date), key=lambda key: (key[0], order.get(key[1], len(order)), key[1]))
    account.state = FinalAccount.State.DRAFT
    if before == FinalAccount.State.EXEMPT:
        account.explanation = ""
    account.save()
    lines = FinalAccountLine.objects.bulk_create(
        FinalAccountLine(
            final_account=account,
            subject_id=subject_id,
            category=category,
            approved=approved.get((subject_id, category), ZERO),
            spent_in_year=in_period.get((subject_id, category), ZERO),
            spent_to_date=to_date.get((subject_id, category), ZERO),
        )
        for subject_id, category in keys
    )
    audit.record(
        actor=actor,
        action="final_account.compile",
        target=account,
        rule="B7",
        changes={
            "state": [None if created else before, account.state],
            "lines": [None, len(lines)],
            "period": [None, f"{start}–{year}" if start != year else str(year)],
            "spent_in_year": [None, sum((line.spent_in_year for line in lines), ZERO)],
        },
    )
    return account


def _final_accounts_obligation(project, year: int) -> Obligation:
    """The project's B7 obligation for the year, made now when the sweep has not made it
    (an account filed early, or late) so the record says it was met."""
    obligation, _created = deadlines.obligation_ensure(
        target=project,
        kind="final_accounts",
        period=str(year),
        due_at=deadlines.due_on(project_rules.final_accounts_due_date(year)),
        title=_("%(year)d final accounts of %(project)s") % {"year": year, "project": project},
        responsible_users=[project.leader],
        responsible_role=Role.UNIT_ADMIN.value,
        responsible_organisation=project.lead_unit,
        escalation_role=Role.AGENCY.value,
        escalation_organisation=project.managing_agency,
        managing_organisation=project.managing_agency,
        link=reverse("core:deadlines"),
    )
    return obligation


@transaction.atomic
def final_account_submit(*, actor, final_account: FinalAccount, explanation: str = "") -> FinalAccount:
    """The lead unit's administrator sends the year's final accounts to the agency, after the
    year has ended and by 20 April of the next (B7 — KRD-FUNDS §37). The accounts must have
    been compiled after the last spending import. Completes the project's ``final_accounts``
    obligation of that year."""
    budget = lock_approved_budget(final_account.budget)
    account = lock(FinalAccount, final_account.pk)
    if not policies.may_submit_final_accounts(actor, budget):
        raise PermissionDenied
    if account.state == FinalAccount.State.SUBMITTED:
        raise StateConflict(_("These final accounts are already submitted."), code="final_account_submitted")
    if account.state == FinalAccount.State.EXEMPT:
        raise StateConflict(account.explanation or _("These final accounts are not due."), code="final_account_exempt")
    today = timezone.localdate()
    if today.year <= account.year:
        raise StateConflict(
            _("B7 — KRD-FUNDS §37: the final accounts of %(year)d are submitted after the year has ended.")
            % {"year": account.year},
            code="year_not_ended",
        )
    if budget.imports.filter(
        state=ExpenditureImport.State.APPLIED, year__lte=account.year, imported_at__gt=account.compiled_at
    ).exists():
        raise StateConflict(
            _("Spending was imported after these final accounts were compiled: compile them again first."),
            code="final_account_stale",
        )
    project = budget.project
    audit.save_changes(
        account,
        actor=actor,
        action="final_account.submit",
        rule="B7",
        fields={
            "state": FinalAccount.State.SUBMITTED,
            "submitted_by": actor,
            "submitted_at": timezone.now(),
            "explanation": explanation.strip(),
        },
    )
    obligation = _final_accounts_obligation(project, account.year)
    if obligation.is_active:
        deadlines.obligation_complete(obligation=obligation, actor=actor)
    notify(
        recipients=users_with_role(organisation_id=project.managing_agency_id, role=Role.AGENCY.value),
        title=_("%(project)s submitted its %(year)d final accounts") % {"project": project, "year": account.year},
        link=reverse("budgets:final_account", args=[budget.pk, account.year]),
    )
    return account
