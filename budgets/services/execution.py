"""Execution rates (执行率): the central funds spent against the approved central funds, per
subject and category, per subject and for the project, over the years a project books spending.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Sum

from budgets import rules
from budgets.models import Budget, BudgetLine, Expenditure, LineCategory

ZERO = Decimal("0.00")


def spending_years(project) -> tuple[int, int]:
    """The first and last year a project books spending: from the earlier of its start and the
    arrival of its central funds to the year it ends."""
    funds_received_on = project.funds_received_on or project.start_date
    return min(project.start_date.year, funds_received_on.year), project.end_date.year


@dataclass(frozen=True)
class RateRow:
    category: str
    label: str
    approved: Decimal
    spent: Decimal

    @property
    def rate(self) -> Decimal | None:
        return rules.execution_rate(spent=self.spent, approved=self.approved)


@dataclass(frozen=True)
class SubjectRates:
    subject: object
    rows: list[RateRow]

    @property
    def approved(self) -> Decimal:
        return sum((row.approved for row in self.rows), ZERO)

    @property
    def spent(self) -> Decimal:
        return sum((row.spent for row in self.rows), ZERO)

    @property
    def rate(self) -> Decimal | None:
        return rules.execution_rate(spent=self.spent, approved=self.approved)


@dataclass(frozen=True)
class ExecutionRates:
    subjects: list[SubjectRates]

    @property
    def approved(self) -> Decimal:
        return sum((subject.approved for subject in self.subjects), ZERO)

    @property
    def spent(self) -> Decimal:
        return sum((subject.spent for subject in self.subjects), ZERO)

    @property
    def rate(self) -> Decimal | None:
        return rules.execution_rate(spent=self.spent, approved=self.approved)


def category_order(budget: Budget) -> dict[str, int]:
    """The place of each category in the budget's tables: its edition's order, indirect last."""
    order = [str(category) for category in budget.edition_rules.categories] + [LineCategory.INDIRECT.value]
    return {category: index for index, category in enumerate(order)}


def approved_central(budget: Budget) -> dict[tuple[int, str], Decimal]:
    """The approved central funds per (subject, category)."""
    if budget.approved_version_id is None:
        return {}
    rows = (
        BudgetLine.objects.filter(version_id=budget.approved_version_id)
        .values("subject_id", "category")
        .annotate(total=Sum("central"))
    )
    return {(row["subject_id"], row["category"]): row["total"] for row in rows}


def spent_central(budget: Budget, *, years: tuple[int | None, int | None] = (None, None)) -> dict:
    """The central funds spent per (subject, category), in the years from ``years[0]`` to
    ``years[1]`` (either end open when None)."""
    spending = Expenditure.objects.filter(budget_id=budget.pk, is_central=True)
    first, last = years
    if first is not None:
        spending = spending.filter(year__gte=first)
    if last is not None:
        spending = spending.filter(year__lte=last)
    rows = spending.values("subject_id", "category").annotate(total=Sum("amount"))
    return {(row["subject_id"], row["category"]): row["total"] for row in rows}


def execution_rates(budget: Budget) -> ExecutionRates:
    """执行率: central funds spent to date against the approved central funds, per subject and
    category, per subject and for the project (three queries whatever the spending)."""
    approved = approved_central(budget)
    spent = spent_central(budget)
    order = category_order(budget)
    labels = {choice.value: str(choice.label) for choice in LineCategory}
    subjects = []
    for subject in budget.proposal.subjects.select_related("unit").order_by("number"):
        categories = {category for subject_id, category in (*approved, *spent) if subject_id == subject.pk}
        rows = [
            RateRow(
                category=category,
                label=labels.get(category, category),
                approved=approved.get((subject.pk, category), ZERO),
                spent=spent.get((subject.pk, category), ZERO),
            )
            for category in sorted(categories, key=lambda c: order.get(c, len(order)))
        ]
        subjects.append(SubjectRates(subject=subject, rows=rows))
    return ExecutionRates(subjects=subjects)
