"""Scoped reads of budget books, and the indirect-cost calculator.

A budget book, its versions, adjustments, final accounts and balances are hidden with the
proposal, call or project they belong to, and with any of its subjects: the book shows every
subject's money (S6 — SECRETS-LAW §16)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organisation
from budgets import checks, rules
from budgets.models import (
    Adjustment,
    AdjustmentStep,
    Balance,
    Budget,
    BudgetLine,
    BudgetVersion,
    EquipmentItem,
    ExpertPayee,
    FinalAccount,
    IncomeSource,
    LineCategory,
    YearPlan,
)
from core.selectors import known, through
from projects.models import Person, Subject
from projects.selectors import PROPOSAL_VIA, projects_for_user, proposals_for_user

# S6: what hides a budget book (a hidden subject hides the whole book, which lists it).
BUDGET_VIA = (*through("proposal", PROPOSAL_VIA), "project", "proposal__subjects")
NEED_TO_KNOW_VIA = {
    Budget: BUDGET_VIA,
    BudgetVersion: through("budget", BUDGET_VIA),
    Adjustment: through("budget", BUDGET_VIA),
    AdjustmentStep: through("adjustment__budget", BUDGET_VIA),
    FinalAccount: through("budget", BUDGET_VIA),
    Balance: (*through("budget", BUDGET_VIA), "subject"),
}


def known_budgets(budgets: QuerySet[Budget], user) -> QuerySet[Budget]:
    """S6 — SECRETS-LAW §16: ``budgets`` without the books hidden from ``user``."""
    return known(budgets, user, via=BUDGET_VIA)


@dataclass(frozen=True)
class IndirectCapResult:
    edition: rules.PolicyEdition
    base: Decimal
    cap: Decimal
    tiers: list[rules.TierAmount]


def indirect_cap_for(
    *,
    program: str,
    direct: Decimal,
    equipment_purchase: Decimal,
    capital_construction: Decimal,
    edition: str = "",
    theory: bool = False,
) -> IndirectCapResult:
    """B2 — the cap of a subject's indirect costs under the edition chosen or in force today."""
    policy = rules.edition_for(program=program, on=timezone.localdate(), code=edition or None)
    base = rules.indirect_base(
        edition=policy, direct=direct, equipment_purchase=equipment_purchase, capital_construction=capital_construction
    )
    cap, tiers = rules.indirect_cap(
        base=base, tiers=policy.indirect_tiers, theory=theory, theory_rate=policy.theory_rate
    )
    return IndirectCapResult(edition=policy, base=base, cap=cap, tiers=tiers)


# ---- Budget books ------------------------------------------------------------------------------


def budgets_for_user(user) -> QuerySet[Budget]:
    """Budget books the user may open: those of proposals and projects the user may see, and,
    for a unit administrator, those of projects where their unit holds a subject (the subject
    unit approves in-subject adjustments, B6)."""
    budgets = Budget.objects.select_related(
        "proposal__call__special_project__program",
        "proposal__call__special_project__managing_agency",
        "proposal__lead_unit",
        "project",
    )
    if not user.is_authenticated:
        return budgets.none()
    visible = Q(proposal__in=proposals_for_user(user).values("pk")) | Q(
        project__in=projects_for_user(user).values("pk")
    )
    if user.organisation_id and user.has_role("unit_admin"):
        visible |= Q(project__isnull=False, proposal__subjects__unit_id=user.organisation_id)
    return known_budgets(budgets.filter(pk__in=Budget.objects.filter(visible).values("pk")), user)


def budget_of_proposal(user, proposal) -> Budget | None:
    """The budget book of a proposal the user may see, unless the book is hidden (S6)."""
    return known_budgets(Budget.objects.filter(proposal=proposal), user).first()


def budget_of_project(user, project) -> Budget | None:
    """The budget book of a project the user may open, unless the book is hidden (S6)."""
    return known_budgets(Budget.objects.filter(project=project).select_related("approved_version"), user).first()


def budget_get_for_user(user, pk: int) -> Budget:
    budget = budgets_for_user(user).filter(pk=pk).first()
    if budget is None:
        raise Http404
    return budget


def version_get_for_user(user, pk: int) -> BudgetVersion:
    version = (
        BudgetVersion.objects.filter(budget__in=budgets_for_user(user).values("pk"), pk=pk)
        .select_related("budget__proposal__call__special_project__program", "based_on", "created_by")
        .first()
    )
    if version is None:
        raise Http404
    return version


def edition_of(budget: Budget) -> rules.PolicyEdition:
    return budget.edition_rules


@dataclass
class VersionContent:
    """Everything stored in one version, fetched in a fixed number of queries."""

    version: BudgetVersion
    subjects: list
    lines: list[BudgetLine]
    years: list[YearPlan]
    equipment: list[EquipmentItem]
    income: list[IncomeSource]
    payees: list[ExpertPayee]
    units: dict[int, Organisation]


def version_content(version: BudgetVersion) -> VersionContent:
    subjects = list(
        Subject.objects.filter(proposal_id=version.budget.proposal_id)
        .select_related("unit")
        .prefetch_related("participant_units")
        .order_by("number")
    )
    lines = list(version.lines.all())
    years = list(version.year_plans.all())
    equipment = list(version.equipment_items.all())
    income = list(version.income_sources.all())
    payees = list(version.expert_payees.all())
    units: dict[int, Organisation] = {}
    for subject in subjects:
        if subject.unit is not None:
            units[subject.unit.pk] = subject.unit
        for unit in subject.participant_units.all():
            units[unit.pk] = unit
    missing = {row.unit_id for row in (*lines, *years, *equipment, *income)} - set(units)
    if missing:
        units.update(Organisation.objects.in_bulk(missing))
    return VersionContent(version, subjects, lines, years, equipment, income, payees, units)


def subject_unit_ids(subject) -> tuple[int, ...]:
    ids = [subject.unit_id] if subject.unit_id else []
    ids += [unit.pk for unit in subject.participant_units.all() if unit.pk != subject.unit_id]
    return tuple(ids)


def book_facts(content: VersionContent) -> checks.BookFacts:
    """The plain facts of a stored version, for the pure checks."""
    budget = content.version.budget
    proposal = budget.proposal
    people = list(Person.objects.filter(proposal_id=proposal.pk).values_list("name", "id_number"))
    subjects = []
    for subject in content.subjects:
        unit_ids = subject_unit_ids(subject)
        subjects.append(
            checks.SubjectFacts(
                id=subject.pk,
                label=str(_("Subject %(number)s") % {"number": subject.number}),
                unit_ids=unit_ids,
                unit_names={pk: unit.name for pk, unit in content.units.items()},
                lines=tuple(
                    checks.LineFacts(
                        unit_id=line.unit_id,
                        category=line.category,
                        central=line.central,
                        local_government=line.local_government,
                        own=line.own,
                        other_channel=line.other_channel,
                        performance_pay=line.performance_pay,
                        basis=line.basis,
                        explanation=line.explanation,
                    )
                    for line in content.lines
                    if line.subject_id == subject.pk
                ),
                years={(row.unit_id, row.year): row.central for row in content.years if row.subject_id == subject.pk},
                income=tuple(
                    checks.IncomeFacts(
                        unit_id=row.unit_id,
                        source=row.source,
                        funder=row.funder,
                        amount=row.amount,
                        is_cash=row.form == IncomeSource.Form.CASH,
                        is_central_funds=row.is_central_funds,
                        has_letter=bool(row.letter),
                    )
                    for row in content.income
                    if row.subject_id == subject.pk
                ),
                equipment=tuple(
                    checks.EquipmentFacts(
                        unit_id=row.unit_id,
                        name=row.name,
                        amount=row.amount,
                        central=row.central,
                        justification=row.justification,
                    )
                    for row in content.equipment
                    if row.subject_id == subject.pk
                ),
                payees=tuple(
                    checks.PayeeFacts(name=row.name, id_number=row.id_number)
                    for row in content.payees
                    if row.subject_id == subject.pk
                ),
            )
        )
    return checks.BookFacts(
        edition=edition_of(budget),
        subjects=tuple(subjects),
        first_year=proposal.start_date.year if proposal.start_date else None,
        last_year=proposal.end_date.year if proposal.end_date else None,
        personnel_names=frozenset(name for name, _id in people),
        personnel_ids=frozenset(id_number for _name, id_number in people if id_number),
        is_post_subsidy=budget.is_post_subsidy,
        is_theoretical=budget.is_theoretical,
    )


def version_issues(version: BudgetVersion) -> list[checks.Issue]:
    """Every check of the registry on one stored version."""
    return checks.run_checks(book_facts(version_content(version)))


def adjustments_for_user(user) -> QuerySet:
    """Adjustment requests of the budgets the user may open."""
    return Adjustment.objects.filter(budget__in=budgets_for_user(user).values("pk")).select_related(
        "budget__project", "budget__proposal", "requested_by", "base_version", "proposed_version"
    )


def adjustment_get_for_user(user, pk: int):
    adjustment = adjustments_for_user(user).filter(pk=pk).first()
    if adjustment is None:
        raise Http404
    return adjustment


# ---- The budget page: tables per subject unit, roll-ups, caps ---------------------------------


@dataclass
class Row:
    category: str
    label: str
    line: BudgetLine | None
    before: BudgetLine | None = None  # the same line in the version this one is based on


@dataclass
class UnitTable:
    subject: object
    unit: Organisation
    rows: list[Row]
    years: list[tuple[int, Decimal | None]]
    equipment: list[EquipmentItem]
    income: list[IncomeSource]


@dataclass
class SubjectView:
    subject: object
    facts: checks.SubjectFacts
    tables: list[UnitTable]
    payees: list[ExpertPayee]
    totals: dict
    base: Decimal
    cap: Decimal
    tiers: list


def categories_of(edition: rules.PolicyEdition) -> list[tuple[str, str]]:
    labels = dict(LineCategory.choices)
    return [(str(c), labels[str(c)]) for c in edition.categories] + [("indirect", labels["indirect"])]


def project_years(budget: Budget) -> list[int]:
    proposal = budget.proposal
    if proposal.start_date and proposal.end_date:
        return list(range(proposal.start_date.year, proposal.end_date.year + 1))
    return []


def subject_views(content: VersionContent, facts: checks.BookFacts | None = None) -> list[SubjectView]:
    """The version laid out as the budget page shows it: per subject, a table per unit."""
    facts = facts or book_facts(content)
    budget = content.version.budget
    categories = categories_of(facts.edition)
    years = project_years(budget)
    before: dict = {}
    if content.version.based_on_id:
        before = {
            (line.subject_id, line.unit_id, line.category): line
            for line in BudgetLine.objects.filter(version_id=content.version.based_on_id)
        }
    lines = {(line.subject_id, line.unit_id, line.category): line for line in content.lines}
    plans = {(row.subject_id, row.unit_id, row.year): row.central for row in content.years}
    result = []
    for subject, subject_facts in zip(content.subjects, facts.subjects, strict=True):
        tables = []
        for unit_id in subject_facts.unit_ids:
            tables.append(
                UnitTable(
                    subject=subject,
                    unit=content.units[unit_id],
                    rows=[
                        Row(
                            category,
                            label,
                            lines.get((subject.pk, unit_id, category)),
                            before.get((subject.pk, unit_id, category)),
                        )
                        for category, label in categories
                    ],
                    years=[(year, plans.get((subject.pk, unit_id, year))) for year in years],
                    equipment=[e for e in content.equipment if e.subject_id == subject.pk and e.unit_id == unit_id],
                    income=[i for i in content.income if i.subject_id == subject.pk and i.unit_id == unit_id],
                )
            )
        base, cap, tiers = checks.subject_cap(facts, subject_facts)
        result.append(
            SubjectView(
                subject=subject,
                facts=subject_facts,
                tables=tables,
                payees=[p for p in content.payees if p.subject_id == subject.pk],
                totals=checks.totals(subject_facts),
                base=base,
                cap=cap,
                tiers=tiers,
            )
        )
    return result


def project_totals(views: list[SubjectView]) -> dict:
    keys = views[0].totals.keys() if views else []
    return {key: sum((view.totals[key] for view in views), Decimal("0.00")) for key in keys}


@dataclass
class CompareRow:
    subject: object
    unit: Organisation
    category: str
    label: str
    left: BudgetLine | None
    right: BudgetLine | None

    @property
    def left_central(self) -> Decimal:
        return self.left.central if self.left else Decimal("0.00")

    @property
    def right_central(self) -> Decimal:
        return self.right.central if self.right else Decimal("0.00")

    @property
    def difference(self) -> Decimal:
        return self.right_central - self.left_central

    @property
    def left_total(self) -> Decimal:
        return self.left.total if self.left else Decimal("0.00")

    @property
    def right_total(self) -> Decimal:
        return self.right.total if self.right else Decimal("0.00")


def compare(left: BudgetVersion, right: BudgetVersion) -> list[CompareRow]:
    """Two versions of one book line by line (side by side), in table order."""
    labels = dict(LineCategory.choices)
    order = {category: index for index, (category, _label) in enumerate(categories_of(edition_of(left.budget)))}
    lines_left = {(l.subject_id, l.unit_id, l.category): l for l in left.lines.all()}
    lines_right = {(l.subject_id, l.unit_id, l.category): l for l in right.lines.all()}
    keys = set(lines_left) | set(lines_right)
    subjects = Subject.objects.in_bulk({key[0] for key in keys})
    units = Organisation.objects.in_bulk({key[1] for key in keys})
    rows = [
        CompareRow(subjects[s], units[u], c, labels.get(c, c), lines_left.get((s, u, c)), lines_right.get((s, u, c)))
        for s, u, c in keys
    ]
    return sorted(rows, key=lambda row: (row.subject.number, row.unit.pk, order.get(row.category, 99)))
