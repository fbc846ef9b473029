"""Scoped reads of budget books, and the indirect-cost calculator."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organisation
from budgets import checks, rules
from budgets.models import Budget, BudgetLine, BudgetVersion, EquipmentItem, ExpertPayee, IncomeSource, YearPlan


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
    from projects.selectors import projects_for_user, proposals_for_user

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
    return budgets.filter(pk__in=Budget.objects.filter(visible).values("pk"))


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
    return rules.EDITIONS[budget.edition]


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
    from projects.models import Subject

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
    from projects.models import Person

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
    from budgets.models import Adjustment

    return Adjustment.objects.filter(budget__in=budgets_for_user(user).values("pk")).select_related(
        "budget__project", "budget__proposal", "requested_by", "base_version", "proposed_version"
    )


def adjustment_get_for_user(user, pk: int):
    adjustment = adjustments_for_user(user).filter(pk=pk).first()
    if adjustment is None:
        raise Http404
    return adjustment
