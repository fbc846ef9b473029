"""Balances (结余资金, B9 — KRD-FUNDS §44, MAJOR-FUNDS §47): after a subject's financial
acceptance the agency records its unspent central funds and what becomes of them — kept by the
unit for two years of direct research costs, or recovered — and the unit reports their use.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import Role
from accounts.selectors import users_with_role
from budgets import policies, rules
from budgets.models import Balance, Budget, BudgetLine, Expenditure
from budgets.services.book import lock_approved_budget
from core import audit
from core.deadlines import services as deadlines
from core.exceptions import StateConflict
from core.locks import lock
from core.notifications import notify

ZERO = Decimal("0.00")
BALANCE_USE_REPORT = "balance_use_report"


def subject_balance(budget: Budget, subject) -> Decimal:
    """Approved central funds of the subject less the central funds it spent, never below 0."""
    approved = (
        BudgetLine.objects.filter(version_id=budget.approved_version_id, subject=subject).aggregate(
            total=Sum("central")
        )["total"]
        or ZERO
    )
    spent = (
        Expenditure.objects.filter(budget_id=budget.pk, subject=subject, is_central=True).aggregate(
            total=Sum("amount")
        )["total"]
        or ZERO
    )
    return max(approved - spent, ZERO)


@transaction.atomic
def balance_settle(
    *, actor, budget: Budget, subject, accepted_on: dt.date, passed_first_attempt: bool, credit_is_good: bool
) -> Balance:
    """The agency records a subject's balance after its financial acceptance and what becomes
    of it (B9): passed at the first attempt with the unit's credit good, the unit keeps it for
    two years of direct research costs — from the acceptance (KRD-FUNDS §44) or from 1 January
    of the next year (MAJOR-FUNDS §47) — and must report its use by the end; otherwise it is
    recovered."""
    budget = lock_approved_budget(budget)
    if not policies.may_settle_balance(actor, budget):
        raise PermissionDenied
    if subject.proposal_id != budget.proposal_id:
        raise PermissionDenied
    if Balance.objects.filter(subject=subject).exists():
        raise StateConflict(_("The balance of this subject is already settled."), code="balance_settled")
    if accepted_on > timezone.localdate():
        raise ValidationError({"accepted_on": [_("The financial acceptance cannot conclude in the future.")]})
    if accepted_on < budget.project.start_date:
        raise ValidationError({"accepted_on": [_("The financial acceptance comes after the project starts.")]})
    outcome = rules.balance_disposition(
        edition=budget.edition_rules,
        accepted_on=accepted_on,
        passed_first_attempt=passed_first_attempt,
        credit_is_good=credit_is_good,
    )
    balance = Balance.objects.create(
        budget=budget,
        subject=subject,
        amount=subject_balance(budget, subject),
        accepted_on=accepted_on,
        passed_first_attempt=passed_first_attempt,
        credit_is_good=credit_is_good,
        disposition=Balance.Disposition.KEPT if outcome.kept else Balance.Disposition.RECOVERED,
        keep_from=outcome.keep_from,
        keep_until=outcome.keep_until,
        decided_by=actor,
    )
    audit.record(
        actor=actor,
        action="balance.settle",
        target=balance,
        rule="B9",
        changes={**audit.snapshot(balance, exclude={"decided_at"}), "article": [None, outcome.article]},
    )
    link = reverse("budgets:balances", args=[budget.pk])
    project = budget.project
    if outcome.kept and balance.amount > 0:
        deadlines.obligation_create(
            target=balance,
            kind=BALANCE_USE_REPORT,
            due_at=deadlines.due_on(outcome.keep_until),
            title=_("Report on the use of the balance of %(subject)s (%(project)s)")
            % {"subject": subject, "project": project.number},
            responsible_role=Role.UNIT_ADMIN.value,
            responsible_organisation=subject.unit,
            escalation_role=Role.AGENCY.value,
            escalation_organisation=project.managing_agency,
            managing_organisation=project.managing_agency,
            link=link,
            actor=actor,
        )
    notify(
        recipients=users_with_role(organisation_id=subject.unit_id, role=Role.UNIT_ADMIN.value),
        title=(
            _("The balance of %(subject)s is kept by your unit until %(until)s (%(article)s)")
            if outcome.kept
            else _("The balance of %(subject)s is recovered by the agency (%(article)s)")
        )
        % {"subject": subject, "until": outcome.keep_until, "article": outcome.article},
        link=link,
    )
    return balance


@transaction.atomic
def balance_use_report(*, actor, balance: Balance, used_amount: Decimal, report: str) -> Balance:
    """The subject unit reports how much of a kept balance it used for direct research costs
    (B9 — KRD-FUNDS §44: what is left after two years is returned). Completes the reporting
    obligation."""
    balance = lock(Balance, balance.pk, related=("subject", "budget"))
    if not policies.may_report_balance_use(actor, balance):
        raise PermissionDenied
    if balance.disposition != Balance.Disposition.KEPT:
        raise StateConflict(_("A recovered balance is not the unit's to use."), code="balance_recovered")
    if balance.reported_at is not None:
        raise StateConflict(_("The use of this balance is already reported."), code="balance_reported")
    used_amount = Decimal(used_amount)
    if used_amount < 0 or used_amount > balance.amount or used_amount != used_amount.quantize(rules.CENT):
        raise ValidationError(
            {
                "used_amount": [
                    _("Between 0 and the balance of %(amount)s yuan, with at most 2 decimals.")
                    % {"amount": balance.amount}
                ]
            }
        )
    if not report.strip():
        raise ValidationError({"report": [_("Say what the balance was used for.")]})
    audit.save_changes(
        balance,
        actor=actor,
        action="balance.use_report",
        rule="B9",
        fields={"used_amount": used_amount, "use_report": report.strip(), "reported_at": timezone.now()},
    )
    deadlines.obligations_complete(target=balance, kinds=[BALANCE_USE_REPORT], actor=actor)
    return balance
