"""The funds rules as pure functions, parameterised by a policy edition.

A policy edition is the set of rules in force for a program over a date range: budget
categories, indirect-cost tiers and their base, and who approves which adjustment. A project
keeps the edition in force when its call was published; a later edition is one more entry in
``EDITIONS`` (plus, at most, a small function).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from django.utils.translation import gettext_lazy as _

CENT = Decimal("0.01")


def money(value) -> Decimal:
    """Yuan with 2 places, rounded half up (the way finance offices round)."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


class Category(StrEnum):
    """Budget categories (B1 — KRD-FUNDS §18, MAJOR-FUNDS §18, 国办发〔2021〕32号)."""

    EQUIPMENT_PURCHASE = "equipment_purchase"
    EQUIPMENT_TRIAL = "equipment_trial"
    EQUIPMENT_UPGRADE = "equipment_upgrade"
    EQUIPMENT_RENTAL = "equipment_rental"
    MATERIALS = "materials"
    TESTING = "testing"
    FUEL_POWER = "fuel_power"
    PUBLICATION = "publication"
    MEETING_TRAVEL = "meeting_travel"
    LABOUR = "labour"
    EXPERT = "expert"
    OTHER = "other"
    CAPITAL_CONSTRUCTION = "capital_construction"
    BUSINESS = "business"  # 业务费 of the 2021 reform


EQUIPMENT = (
    Category.EQUIPMENT_PURCHASE,
    Category.EQUIPMENT_TRIAL,
    Category.EQUIPMENT_UPGRADE,
    Category.EQUIPMENT_RENTAL,
)
KRD_CATEGORIES = (
    *EQUIPMENT,
    Category.MATERIALS,
    Category.TESTING,
    Category.FUEL_POWER,
    Category.PUBLICATION,
    Category.MEETING_TRAVEL,
    Category.LABOUR,
    Category.EXPERT,
    Category.OTHER,
)


@dataclass(frozen=True)
class Tier:
    """A marginal tier: ``rate`` applies to the part of the base up to ``upper`` (None: no limit)."""

    upper: Decimal | None
    rate: Decimal


class Approver(StrEnum):
    """Who approves an adjustment (B6)."""

    LEADER = "leader"  # 项目（课题）负责人 decides; the unit is told (2021 reform)
    AGENCY = "agency"  # 专业机构
    ORGANISER = "organiser"  # 牵头组织单位 (major projects)
    LEAD_UNIT = "lead_unit"  # 项目牵头承担单位
    SUBJECT_UNIT = "subject_unit"  # 课题承担单位, the lead unit is told
    REFUSED = "refused"


@dataclass(frozen=True)
class PolicyEdition:
    code: str
    title: str
    programs: tuple[str, ...]
    effective_from: dt.date
    effective_to: dt.date | None
    categories: tuple[Category, ...]
    indirect_tiers: tuple[Tier, ...]
    base_excludes: tuple[Category, ...]
    indirect_article: str
    adjustment_article: str
    # Categories adjusted freely inside a subject (approved by the subject unit or lead unit).
    flexible_categories: tuple[Category, ...] = ()
    # Who approves flexible changes: the subject unit (KRD) or the lead unit (major).
    flexible_approver: Approver = Approver.SUBJECT_UNIT
    # Categories the subject unit approves even when increased (2021 reform: equipment).
    unit_categories: tuple[Category, ...] = ()
    # Who agrees to moving indirect costs into direct costs (default: the flexible approver).
    indirect_decrease_approver: Approver | None = None
    # A flat cap for pure theoretical basic research (2021 reform: up to 60 %).
    theory_rate: Decimal | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    def in_force_on(self, day: dt.date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)


STANDARD_TIERS = (
    Tier(Decimal(5000000), Decimal("0.20")),
    Tier(Decimal(10000000), Decimal("0.15")),
    Tier(None, Decimal("0.13")),
)

EDITIONS: dict[str, PolicyEdition] = {
    edition.code: edition
    for edition in (
        PolicyEdition(
            code="krd-2016",
            title="国家重点研发计划资金管理办法（财科教〔2016〕113号）",
            programs=("key_rd", "intl"),
            effective_from=dt.date(2016, 12, 30),
            effective_to=dt.date(2021, 8, 12),
            categories=KRD_CATEGORIES,
            indirect_tiers=STANDARD_TIERS,
            base_excludes=(Category.EQUIPMENT_PURCHASE,),
            indirect_article="KRD-FUNDS §20",
            adjustment_article="KRD-FUNDS §36",
            flexible_categories=(
                Category.MATERIALS,
                Category.TESTING,
                Category.FUEL_POWER,
                Category.PUBLICATION,
                Category.OTHER,
            ),
            flexible_approver=Approver.SUBJECT_UNIT,
        ),
        PolicyEdition(
            code="major-2017",
            title="国家科技重大专项（民口）资金管理办法（财科教〔2017〕74号）",
            programs=("major",),
            effective_from=dt.date(2017, 6, 12),
            effective_to=None,
            categories=(*KRD_CATEGORIES, Category.CAPITAL_CONSTRUCTION),
            indirect_tiers=STANDARD_TIERS,
            base_excludes=(Category.EQUIPMENT_PURCHASE, Category.CAPITAL_CONSTRUCTION),
            indirect_article="MAJOR-FUNDS §18",
            adjustment_article="MAJOR-FUNDS §41",
            flexible_categories=(
                Category.MATERIALS,
                Category.TESTING,
                Category.FUEL_POWER,
                Category.PUBLICATION,
                Category.MEETING_TRAVEL,
                Category.OTHER,
            ),
            flexible_approver=Approver.LEAD_UNIT,
        ),
        PolicyEdition(
            code="reform-2021",
            title="国务院办公厅关于改革完善中央财政科研经费管理的若干意见（国办发〔2021〕32号）",
            programs=("key_rd", "intl"),
            effective_from=dt.date(2021, 8, 13),
            effective_to=None,
            categories=(*EQUIPMENT, Category.BUSINESS, Category.LABOUR),
            indirect_tiers=(
                Tier(Decimal(5000000), Decimal("0.30")),
                Tier(Decimal(10000000), Decimal("0.25")),
                Tier(None, Decimal("0.20")),
            ),
            base_excludes=(Category.EQUIPMENT_PURCHASE,),
            indirect_article="国办发〔2021〕32号 二(三)",
            adjustment_article="国办发〔2021〕32号 二(二)",
            # 二(二): equipment adjustments are delegated to the unit; all others to the leader.
            flexible_categories=(Category.BUSINESS, Category.LABOUR),
            flexible_approver=Approver.LEADER,
            unit_categories=EQUIPMENT,
            indirect_decrease_approver=Approver.SUBJECT_UNIT,
            theory_rate=Decimal("0.60"),
        ),
    )
}


def edition_for(*, program: str, on: dt.date, code: str | None = None) -> PolicyEdition:
    """The edition ``code`` if given (it must cover the program), else the one in force on
    ``on`` for the program (the latest that started by then)."""
    if code:
        edition = EDITIONS.get(code)
        if edition is None or program not in edition.programs:
            raise LookupError(f"No edition {code!r} for program {program!r}")
        return edition
    candidates = [e for e in EDITIONS.values() if program in e.programs and e.in_force_on(on)]
    if not candidates:
        raise LookupError(f"No funds edition in force for {program!r} on {on.isoformat()}")
    return max(candidates, key=lambda e: e.effective_from)


def indirect_base(
    *, edition: PolicyEdition, direct: Decimal, equipment_purchase: Decimal, capital_construction: Decimal = Decimal(0)
) -> Decimal:
    """B2 — the base of the indirect cap: direct costs less equipment purchase (KRD-FUNDS §20),
    and less capital construction for major projects (MAJOR-FUNDS §18). Rental, trial-making
    and upgrading of equipment stay in the base."""
    base = Decimal(direct) - Decimal(equipment_purchase)
    if Category.CAPITAL_CONSTRUCTION in edition.base_excludes:
        base -= Decimal(capital_construction)
    return money(max(base, Decimal(0)))


@dataclass(frozen=True)
class TierAmount:
    lower: Decimal
    upper: Decimal | None
    rate: Decimal
    amount: Decimal


def indirect_cap(
    *, base: Decimal, tiers: tuple[Tier, ...], theory: bool = False, theory_rate: Decimal | None = None
) -> tuple[Decimal, list[TierAmount]]:
    """B2 — KRD-FUNDS §20, MAJOR-FUNDS §18, FUNDS-50 二(二): marginal tiers on the base; each
    tier's amount is rounded to the fen and the cap is their sum. For pure theoretical basic
    research under the 2021 reform, a flat ``theory_rate`` applies instead."""
    base = money(base)
    if theory and theory_rate is not None:
        amount = money(base * theory_rate)
        return amount, [TierAmount(Decimal("0.00"), None, theory_rate, amount)]
    parts = []
    lower = Decimal("0.00")
    for tier in tiers:
        top = base if tier.upper is None else min(base, tier.upper)
        portion = max(top - lower, Decimal(0))
        parts.append(
            TierAmount(
                money(lower), None if tier.upper is None else money(tier.upper), tier.rate, money(portion * tier.rate)
            )
        )
        if tier.upper is None or base <= tier.upper:
            break
        lower = tier.upper
    return money(sum(part.amount for part in parts)), parts


def meeting_travel_needs_basis(*, meeting_travel: Decimal, direct: Decimal) -> bool:
    """B3 — KRD-FUNDS §18(六): meeting/travel/international above 10 % of direct costs needs a
    calculation basis (exactly 10 % does not)."""
    return Decimal(direct) > 0 and Decimal(meeting_travel) * 10 > Decimal(direct)


class ChangeScope(StrEnum):
    PROJECT_TOTAL = "project_total"
    BETWEEN_SUBJECTS = "between_subjects"
    BETWEEN_PARTICIPANTS = "between_participants"
    PARTICIPANTS_ADDED_OR_REMOVED = "participants"
    WITHIN_SUBJECT = "within_subject"


def adjustment_approver(
    *,
    edition: PolicyEdition,
    scope: ChangeScope,
    category: Category | None = None,
    increase: bool = False,
    indirect: bool = False,
) -> Approver:
    """B6 — who approves a budget adjustment (KRD-FUNDS §36; MAJOR-FUNDS §41).

    Indirect costs may only go down, into direct costs (approved by the subject unit with the
    leader). Totals, moves between subjects or participants and changes of participants go to
    the agency (for a major project's total, to the organiser after the agency). Inside a
    subject the flexible categories are approved by the subject unit (KRD, lead unit told) or
    the lead unit (major); the fixed categories are not increased except by the agency, while
    decreases follow the flexible path.
    """
    if indirect:
        if increase:
            return Approver.REFUSED
        return edition.indirect_decrease_approver or edition.flexible_approver
    if scope == ChangeScope.PROJECT_TOTAL:
        return Approver.ORGANISER if edition.code.startswith("major") else Approver.AGENCY
    if scope != ChangeScope.WITHIN_SUBJECT:
        return Approver.AGENCY
    if category in edition.flexible_categories:
        return edition.flexible_approver
    if category in edition.unit_categories:
        return Approver.SUBJECT_UNIT
    if not increase:
        return edition.flexible_approver
    return Approver.AGENCY


APPROVER_LABELS = {
    Approver.AGENCY: _("the professional management agency"),
    Approver.ORGANISER: _("the organising unit, after the agency's review"),
    Approver.LEAD_UNIT: _("the lead unit"),
    Approver.LEADER: _("the project leader decides; the units are told (国办发〔2021〕32号)"),
    Approver.SUBJECT_UNIT: _("the subject unit (the lead unit is told)"),
    Approver.REFUSED: _("no one: refused"),
}


# ---- Year schedule, post-subsidy, balances, review cuts ---------------------------------------


def post_subsidy_start_up_cap(*, central_total: Decimal) -> Decimal:
    """B10 — MAJOR-FUNDS §32: start-up funds of a post-subsidy project are at most 30 % of the
    approved central total (rounded down to the fen, so the cap is never exceeded)."""
    return (Decimal(central_total) * Decimal("0.30")).quantize(CENT, rounding="ROUND_DOWN")


@dataclass(frozen=True)
class BalanceOutcome:
    kept: bool
    keep_from: dt.date | None
    keep_until: dt.date | None
    article: str


def balance_disposition(
    *, edition: PolicyEdition, accepted_on: dt.date, passed_first_attempt: bool, credit_is_good: bool
) -> BalanceOutcome:
    """B9 — what becomes of a subject's balance after financial acceptance.

    KRD-FUNDS §44: passed (at the first attempt — a pass after rectification does not count)
    with good credit, the unit keeps it for two years from the acceptance for direct research
    costs, then returns what is left; otherwise it is recovered. MAJOR-FUNDS §47: the two years
    run from 1 January of the year after the conclusion.
    """
    is_major = Category.CAPITAL_CONSTRUCTION in edition.categories
    article = "MAJOR-FUNDS §47" if is_major else "KRD-FUNDS §44"
    if not (passed_first_attempt and credit_is_good):
        return BalanceOutcome(False, None, None, article)
    start = dt.date(accepted_on.year + 1, 1, 1) if is_major else accepted_on
    return BalanceOutcome(True, start, _add_years(start, 2) - dt.timedelta(days=1), article)


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def uniform_cut_ratio(pairs: list[tuple[Decimal, Decimal]], *, tolerance: Decimal = Decimal("0.005")) -> Decimal | None:
    """KRD-FUNDS §26: a budget review may not cut direct costs by a simple percentage. Given
    (applied, approved) amounts of the direct lines, return the common cut ratio when three or
    more lines were cut and every cut line lost the same share (within ``tolerance``) — the
    sign of a blanket cut — else None. A line removed outright is a decision on that line, not
    a percentage: it neither makes nor hides a blanket cut of the others."""
    ratios = [
        (Decimal(before) - Decimal(after)) / Decimal(before)
        for before, after in pairs
        if Decimal(before) > 0 and 0 < Decimal(after) < Decimal(before)
    ]
    if len(ratios) < 3:
        return None
    if max(ratios) - min(ratios) <= tolerance:
        return (sum(ratios) / len(ratios)).quantize(Decimal("0.0001"))
    return None


def execution_rate(*, spent: Decimal, approved: Decimal) -> Decimal | None:
    """执行率: spent as a percentage of the approved amount, one decimal (None when nothing was approved)."""
    if Decimal(approved) <= 0:
        return None
    return (Decimal(spent) * 100 / Decimal(approved)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


# ---- Adjustments: what changed, and who must approve (B6) ---------------------------------------

INDIRECT = "indirect"
APPROVER_RANK = {
    Approver.LEADER: 0,
    Approver.SUBJECT_UNIT: 1,
    Approver.LEAD_UNIT: 2,
    Approver.AGENCY: 3,
    Approver.ORGANISER: 4,
    Approver.REFUSED: 5,
}


@dataclass(frozen=True)
class Change:
    """One difference between the approved budget and an adjustment request."""

    scope: ChangeScope
    subject: int | None = None
    unit: int | None = None
    category: str | None = None
    before: Decimal = Decimal(0)
    after: Decimal = Decimal(0)

    @property
    def increase(self) -> bool:
        return self.after > self.before


def classify_changes(
    before: dict[tuple[int, int, str], Decimal], after: dict[tuple[int, int, str], Decimal]
) -> list[Change]:
    """B6 — the changes of an adjustment, from the central amounts per (subject, unit,
    category) of the approved budget and of the request: the project total; totals of
    subjects; totals of units within a subject (and units added or removed); lines within a
    subject unit."""

    def total(amounts, prefix: tuple = ()) -> Decimal:
        return sum((amount for key, amount in amounts.items() if key[: len(prefix)] == prefix), Decimal(0))

    changes: list[Change] = []
    before_total, after_total = total(before), total(after)
    if before_total != after_total:
        changes.append(Change(ChangeScope.PROJECT_TOTAL, before=before_total, after=after_total))
    subjects = sorted({key[0] for key in (*before, *after)})
    for subject in subjects:
        old = total(before, (subject,))
        new = total(after, (subject,))
        if old != new:
            changes.append(Change(ChangeScope.BETWEEN_SUBJECTS, subject, before=old, after=new))
        units_before = {k[1] for k, v in before.items() if k[0] == subject and v}
        units_after = {k[1] for k, v in after.items() if k[0] == subject and v}
        for unit in sorted(units_before ^ units_after):
            changes.append(
                Change(
                    ChangeScope.PARTICIPANTS_ADDED_OR_REMOVED,
                    subject,
                    unit,
                    before=total(before, (subject, unit)),
                    after=total(after, (subject, unit)),
                )
            )
        for unit in sorted(units_before & units_after):
            old = total(before, (subject, unit))
            new = total(after, (subject, unit))
            if old != new:
                changes.append(Change(ChangeScope.BETWEEN_PARTICIPANTS, subject, unit, before=old, after=new))
        for key in sorted({k for k in (*before, *after) if k[0] == subject}):
            old, new = before.get(key, Decimal(0)), after.get(key, Decimal(0))
            if old != new:
                changes.append(Change(ChangeScope.WITHIN_SUBJECT, subject, key[1], key[2], old, new))
    return changes


def change_approver(*, edition: PolicyEdition, change: Change) -> Approver:
    """B6 — who approves one change (see ``adjustment_approver``)."""
    category = None
    if change.category and change.category != INDIRECT:
        category = Category(change.category)
    return adjustment_approver(
        edition=edition,
        scope=change.scope,
        category=category,
        increase=change.increase,
        indirect=change.category == INDIRECT,
    )


def required_approver(*, edition: PolicyEdition, changes: list[Change]) -> Approver | None:
    """B6 — KRD-FUNDS §36 / MAJOR-FUNDS §41: the highest authority any change needs (None
    when nothing changed). An indirect increase refuses the whole request."""
    approvers = [change_approver(edition=edition, change=change) for change in changes]
    if not approvers:
        return None
    return max(approvers, key=APPROVER_RANK.__getitem__)
