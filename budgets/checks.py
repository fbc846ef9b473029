"""The checks of a budget book, as a registry of pure functions on plain values.

Each check has an ID (the rule it enforces), a severity (an error blocks submission, a
warning asks the applicant to confirm), and reports the field it points to with a message
naming the article. ``budgets.selectors.book_facts`` turns a stored version into the plain
``BookFacts`` these functions read; nothing here touches the database.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from django.utils.translation import gettext as _

from core.identity import normal_id

from .rules import (
    EQUIPMENT,
    Category,
    PolicyEdition,
    indirect_base,
    indirect_cap,
    meeting_travel_needs_basis,
    money,
    post_subsidy_start_up_cap,
)

ZERO = Decimal("0.00")
INDIRECT = "indirect"
SOURCES = ("central", "local_government", "own", "other_channel")
OTHER_SOURCES = ("local_government", "own", "other_channel")


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class LineFacts:
    unit_id: int
    category: str
    central: Decimal = ZERO
    local_government: Decimal = ZERO
    own: Decimal = ZERO
    other_channel: Decimal = ZERO
    performance_pay: Decimal = ZERO
    basis: str = ""
    explanation: str = ""

    @property
    def total(self) -> Decimal:
        return self.central + self.local_government + self.own + self.other_channel


@dataclass(frozen=True)
class IncomeFacts:
    unit_id: int
    source: str
    funder: str
    amount: Decimal
    is_cash: bool = True
    is_central_funds: bool = False
    has_letter: bool = True


@dataclass(frozen=True)
class EquipmentFacts:
    unit_id: int
    name: str
    amount: Decimal
    central: Decimal
    justification: str = ""


@dataclass(frozen=True)
class PayeeFacts:
    name: str
    id_number: str = ""


@dataclass(frozen=True)
class SubjectFacts:
    id: int
    label: str
    unit_ids: tuple[int, ...]  # the subject unit first, then its participants
    unit_names: dict[int, str] = field(default_factory=dict)
    lines: tuple[LineFacts, ...] = ()
    years: dict[tuple[int, int], Decimal] = field(default_factory=dict)  # (unit_id, year) → central
    income: tuple[IncomeFacts, ...] = ()
    equipment: tuple[EquipmentFacts, ...] = ()
    payees: tuple[PayeeFacts, ...] = ()

    def unit_name(self, unit_id: int) -> str:
        return self.unit_names.get(unit_id, str(unit_id))

    def sum(self, category: str | tuple[str, ...] | None = None, source: str = "central", unit_id=None) -> Decimal:
        categories = (category,) if isinstance(category, str) else category
        return sum(
            (
                getattr(line, source) if source != "total" else line.total
                for line in self.lines
                if (categories is None or line.category in categories) and (unit_id is None or line.unit_id == unit_id)
            ),
            ZERO,
        )

    def direct(self, source: str = "central") -> Decimal:
        return self.sum(tuple(c for c in {line.category for line in self.lines} if c != INDIRECT), source)


@dataclass(frozen=True)
class BookFacts:
    edition: PolicyEdition
    subjects: tuple[SubjectFacts, ...]
    first_year: int | None = None
    last_year: int | None = None
    personnel_names: frozenset[str] = frozenset()
    personnel_ids: frozenset[str] = frozenset()
    is_post_subsidy: bool = False
    is_theoretical: bool = False


@dataclass(frozen=True)
class Issue:
    check: str  # the check's ID, e.g. "B2"
    severity: Severity
    field: str  # "s<subject>.u<unit>.<category>.<column>", "s<subject>.years", …
    message: str
    subject_id: int | None = None

    def as_dict(self) -> dict:
        return {
            "rule": self.check,
            "severity": str(self.severity),
            "field": self.field,
            "message": self.message,
            "subject": self.subject_id,
        }


@dataclass(frozen=True)
class Check:
    id: str
    severity: Severity
    title: str
    function: Callable[[BookFacts], list[Issue]]


REGISTRY: list[Check] = []


def check(id: str, severity: Severity, title: str):
    def decorate(function: Callable[[BookFacts], list[Issue]]):
        REGISTRY.append(Check(id, severity, title, function))
        return function

    return decorate


def run_checks(book: BookFacts) -> list[Issue]:
    """Every registered check, errors first, in registry order."""
    issues = [issue for registered in REGISTRY for issue in registered.function(book)]
    return sorted(issues, key=lambda issue: issue.severity != Severity.ERROR)


def line_field(subject: SubjectFacts, unit_id: int, category: str, column: str = "central") -> str:
    return f"s{subject.id}.u{unit_id}.{category}.{column}"


def subject_cap(book: BookFacts, subject: SubjectFacts):
    """B2 — the indirect cap of one subject on its central direct costs."""
    edition = book.edition
    base = indirect_base(
        edition=edition,
        direct=subject.direct(),
        equipment_purchase=subject.sum(Category.EQUIPMENT_PURCHASE),
        capital_construction=subject.sum(Category.CAPITAL_CONSTRUCTION),
    )
    cap, tiers = indirect_cap(
        base=base, tiers=edition.indirect_tiers, theory=book.is_theoretical, theory_rate=edition.theory_rate
    )
    return base, cap, tiers


# ---- Errors ------------------------------------------------------------------------------------


@check("B1", Severity.ERROR, "Categories of the edition")
def categories_of_edition(book: BookFacts) -> list[Issue]:
    """B1 — KRD-FUNDS §18, MAJOR-FUNDS §18: only the edition's categories (and indirect costs)."""
    allowed = {str(c) for c in book.edition.categories} | {INDIRECT}
    return [
        Issue(
            "B1",
            Severity.ERROR,
            line_field(subject, line.unit_id, line.category),
            _("%(category)s is not a category of %(edition)s (B1).")
            % {"category": line.category, "edition": book.edition.title},
            subject.id,
        )
        for subject in book.subjects
        for line in subject.lines
        if line.category not in allowed and line.total != 0
    ]


@check("B1-units", Severity.ERROR, "Lines belong to the subject's units")
def lines_of_subject_units(book: BookFacts) -> list[Issue]:
    """KRD-FUNDS §21, §29: a subject's money is budgeted for its own unit and participants only."""
    return [
        Issue(
            "B1",
            Severity.ERROR,
            line_field(subject, line.unit_id, line.category),
            _("%(subject)s: %(unit)s is neither the subject unit nor a participant, so it cannot hold its money.")
            % {"subject": subject.label, "unit": subject.unit_name(line.unit_id)},
            subject.id,
        )
        for subject in book.subjects
        for line in subject.lines
        if line.unit_id not in subject.unit_ids and line.total != 0
    ]


@check("B0", Severity.ERROR, "No negative amounts")
def no_negative_amounts(book: BookFacts) -> list[Issue]:
    """Budgets hold no negative amounts (KRD-FUNDS §22(二): expenditure is listed per category)."""
    issues = []
    for subject in book.subjects:
        for line in subject.lines:
            for source in SOURCES:
                if getattr(line, source) < 0:
                    issues.append(
                        Issue(
                            "B0",
                            Severity.ERROR,
                            line_field(subject, line.unit_id, line.category, source),
                            _("%(subject)s, %(unit)s: amounts cannot be negative.")
                            % {"subject": subject.label, "unit": subject.unit_name(line.unit_id)},
                            subject.id,
                        )
                    )
    return issues


@check("B2", Severity.ERROR, "Indirect costs within the cap")
def indirect_within_cap(book: BookFacts) -> list[Issue]:
    """B2 — KRD-FUNDS §20 / MAJOR-FUNDS §18: a subject's indirect costs stay within the marginal
    tiers on its direct costs less equipment purchase (less capital construction for major)."""
    issues = []
    for subject in book.subjects:
        indirect = subject.sum(INDIRECT)
        base, cap, _tiers = subject_cap(book, subject)
        if indirect > cap:
            unit_id = next((line.unit_id for line in subject.lines if line.category == INDIRECT), subject.unit_ids[0])
            issues.append(
                Issue(
                    "B2",
                    Severity.ERROR,
                    line_field(subject, unit_id, INDIRECT),
                    _(
                        "%(subject)s: indirect costs %(indirect)s exceed the cap %(cap)s on a base of %(base)s "
                        "(%(article)s)."
                    )
                    % {
                        "subject": subject.label,
                        "indirect": indirect,
                        "cap": cap,
                        "base": base,
                        "article": book.edition.indirect_article,
                    },
                    subject.id,
                )
            )
        for line in subject.lines:
            if line.category == INDIRECT and line.total - line.central > 0:
                issues.append(
                    Issue(
                        "B2",
                        Severity.ERROR,
                        line_field(subject, line.unit_id, INDIRECT, "own"),
                        _("%(subject)s: indirect costs are paid from the central special funds only (%(article)s).")
                        % {"subject": subject.label, "article": book.edition.indirect_article},
                        subject.id,
                    )
                )
    return issues


@check("B3", Severity.ERROR, "Meeting/travel above 10 % needs a basis")
def meeting_travel_basis(book: BookFacts) -> list[Issue]:
    """B3 — KRD-FUNDS §18(六): above 10 % of the subject's direct costs, every unit's
    meeting/travel/international line needs its calculation basis (exactly 10 % does not)."""
    issues = []
    for subject in book.subjects:
        meeting = subject.sum(Category.MEETING_TRAVEL, "total")
        if not meeting_travel_needs_basis(meeting_travel=meeting, direct=subject.direct("total")):
            continue
        for line in subject.lines:
            if line.category == Category.MEETING_TRAVEL and line.total > 0 and not line.basis.strip():
                issues.append(
                    Issue(
                        "B3",
                        Severity.ERROR,
                        line_field(subject, line.unit_id, line.category, "basis"),
                        _(
                            "%(subject)s, %(unit)s: meetings, travel and international cooperation exceed 10 %% of "
                            "direct costs, so a calculation basis is required (KRD-FUNDS §18(六))."
                        )
                        % {"subject": subject.label, "unit": subject.unit_name(line.unit_id)},
                        subject.id,
                    )
                )
    return issues


@check("B3-other", Severity.ERROR, "Other costs are explained")
def other_explained(book: BookFacts) -> list[Issue]:
    """B3 — KRD-FUNDS §18(九): "other" costs are explained in detail when budgeted."""
    return [
        Issue(
            "B3",
            Severity.ERROR,
            line_field(subject, line.unit_id, line.category, "explanation"),
            _("%(subject)s, %(unit)s: other costs need a detailed explanation (KRD-FUNDS §18(九)).")
            % {"subject": subject.label, "unit": subject.unit_name(line.unit_id)},
            subject.id,
        )
        for subject in book.subjects
        for line in subject.lines
        if line.category == Category.OTHER and line.total > 0 and not line.explanation.strip()
    ]


@check("B4", Severity.ERROR, "Expert fees not paid to project staff")
def expert_payees_not_staff(book: BookFacts) -> list[Issue]:
    """B4 — KRD-FUNDS §18(八): expert consultation fees are never paid to people working on
    the project or its subjects. ID numbers compare as the 限项 check does (trimmed, upper
    case: a resident ID's final X is often typed in lower case)."""
    issues = []
    staff_ids = {normal_id(number) for number in book.personnel_ids} - {""}
    for subject in book.subjects:
        for payee in subject.payees:
            if normal_id(payee.id_number) in staff_ids or payee.name.strip() in book.personnel_names:
                issues.append(
                    Issue(
                        "B4",
                        Severity.ERROR,
                        f"s{subject.id}.payees",
                        _(
                            "%(subject)s: %(name)s works on the project, so cannot be paid expert consultation "
                            "fees (KRD-FUNDS §18(八))."
                        )
                        % {"subject": subject.label, "name": payee.name},
                        subject.id,
                    )
                )
    return issues


@check("B5", Severity.ERROR, "Other sources are committed cash")
def income_matches_expenditure(book: BookFacts) -> list[Issue]:
    """B5 — KRD-FUNDS §22(一): income equals expenditure; every other source has its funder's
    commitment, is money, and is not itself central funds."""
    issues = []
    for subject in book.subjects:
        committed: dict[tuple[int, str], Decimal] = defaultdict(lambda: ZERO)
        for income in subject.income:
            committed[(income.unit_id, income.source)] += income.amount
            problems = []
            if not income.has_letter:
                problems.append(_("the funder's commitment letter is missing"))
            if not income.is_cash:
                problems.append(_("assets other than money cannot be a source"))
            if income.is_central_funds:
                problems.append(_("other central funds cannot be a source"))
            for problem in problems:
                issues.append(
                    Issue(
                        "B5",
                        Severity.ERROR,
                        f"s{subject.id}.u{income.unit_id}.income",
                        _("%(subject)s, %(funder)s: %(problem)s (KRD-FUNDS §22(一)).")
                        % {"subject": subject.label, "funder": income.funder, "problem": problem},
                        subject.id,
                    )
                )
        unit_ids = {line.unit_id for line in subject.lines} | {unit for unit, _source in committed}
        for unit_id in sorted(unit_ids):
            for source in OTHER_SOURCES:
                spent = subject.sum(None, source, unit_id)
                promised = money(committed[(unit_id, source)])
                if spent != promised:
                    issues.append(
                        Issue(
                            "B5",
                            Severity.ERROR,
                            f"s{subject.id}.u{unit_id}.income",
                            _(
                                "%(subject)s, %(unit)s: %(source)s budgeted %(spent)s but committed %(promised)s; "
                                "income must equal expenditure (KRD-FUNDS §22)."
                            )
                            % {
                                "subject": subject.label,
                                "unit": subject.unit_name(unit_id),
                                "source": source_labels()[source],
                                "spent": spent,
                                "promised": promised,
                            },
                            subject.id,
                        )
                    )
    return issues


def source_labels() -> dict[str, str]:
    return {
        "central": _("central special funds"),
        "local_government": _("local government funds"),
        "own": _("unit's own funds"),
        "other_channel": _("other channels"),
    }


@check("B1-equipment", Severity.ERROR, "Equipment purchases listed item by item")
def equipment_items_add_up(book: BookFacts) -> list[Issue]:
    """KRD-FUNDS §24: equipment purchases are explained item by item; the items add up to the
    purchase line, in total and in central funds."""
    issues = []
    for subject in book.subjects:
        unit_ids = {line.unit_id for line in subject.lines} | {item.unit_id for item in subject.equipment}
        for unit_id in sorted(unit_ids):
            items = [item for item in subject.equipment if item.unit_id == unit_id]
            listed_total = sum((item.amount for item in items), ZERO)
            listed_central = sum((item.central for item in items), ZERO)
            line_total = subject.sum(Category.EQUIPMENT_PURCHASE, "total", unit_id)
            line_central = subject.sum(Category.EQUIPMENT_PURCHASE, "central", unit_id)
            if listed_total != line_total or listed_central != line_central:
                issues.append(
                    Issue(
                        "B1",
                        Severity.ERROR,
                        f"s{subject.id}.u{unit_id}.equipment",
                        _(
                            "%(subject)s, %(unit)s: equipment items add up to %(listed)s (central %(listed_central)s) "
                            "but the purchase line is %(line)s (central %(line_central)s) (KRD-FUNDS §24)."
                        )
                        % {
                            "subject": subject.label,
                            "unit": subject.unit_name(unit_id),
                            "listed": listed_total,
                            "listed_central": listed_central,
                            "line": line_total,
                            "line_central": line_central,
                        },
                        subject.id,
                    )
                )
    return issues


@check("B-years", Severity.ERROR, "Central funds per year match")
def years_match(book: BookFacts) -> list[Issue]:
    """KRD-FUNDS §22(二), §29: the yearly schedule of central funds adds up to each unit's
    central budget and stays within the project period."""
    issues = []
    for subject in book.subjects:
        unit_ids = {line.unit_id for line in subject.lines} | {unit for unit, _year in subject.years}
        for unit_id in sorted(unit_ids):
            planned = sum((amount for (unit, _year), amount in subject.years.items() if unit == unit_id), ZERO)
            central = subject.sum(None, "central", unit_id)
            if planned != central:
                issues.append(
                    Issue(
                        "B-years",
                        Severity.ERROR,
                        f"s{subject.id}.u{unit_id}.years",
                        _(
                            "%(subject)s, %(unit)s: the yearly schedule adds up to %(planned)s but the central "
                            "budget is %(central)s."
                        )
                        % {
                            "subject": subject.label,
                            "unit": subject.unit_name(unit_id),
                            "planned": planned,
                            "central": central,
                        },
                        subject.id,
                    )
                )
        if book.first_year and book.last_year:
            for (unit_id, year), amount in sorted(subject.years.items()):
                if amount and not book.first_year <= year <= book.last_year:
                    issues.append(
                        Issue(
                            "B-years",
                            Severity.ERROR,
                            f"s{subject.id}.u{unit_id}.years",
                            _("%(subject)s: %(year)s is outside the project period %(first)s–%(last)s.")
                            % {
                                "subject": subject.label,
                                "year": year,
                                "first": book.first_year,
                                "last": book.last_year,
                            },
                            subject.id,
                        )
                    )
    return issues


@check("B10", Severity.ERROR, "Post-subsidy start-up funds at most 30 %")
def post_subsidy_start_up(book: BookFacts) -> list[Issue]:
    """B10 — MAJOR-FUNDS §32: a post-subsidy project gets at most 30 % of its central funds as
    start-up funds, in the year it is approved."""
    if not book.is_post_subsidy or not book.first_year:
        return []
    issues = []
    for subject in book.subjects:
        central = subject.sum(None, "central")
        first = sum((a for (_unit, year), a in subject.years.items() if year == book.first_year), ZERO)
        cap = post_subsidy_start_up_cap(central_total=central)
        if first > cap:
            issues.append(
                Issue(
                    "B10",
                    Severity.ERROR,
                    f"s{subject.id}.years",
                    _(
                        "%(subject)s: start-up funds %(first)s exceed 30 %% of the central total, %(cap)s "
                        "(MAJOR-FUNDS §32)."
                    )
                    % {"subject": subject.label, "first": first, "cap": cap},
                    subject.id,
                )
            )
    return issues


# ---- Warnings ----------------------------------------------------------------------------------


@check("B2-performance", Severity.WARNING, "Performance pay planned")
def performance_pay_planned(book: BookFacts) -> list[Issue]:
    """KRD-FUNDS §19, §21: indirect costs include performance pay linked to each person's
    contribution; none planned is unusual."""
    return [
        Issue(
            "B2",
            Severity.WARNING,
            line_field(subject, line.unit_id, INDIRECT, "performance_pay"),
            _("%(subject)s, %(unit)s: no performance pay is planned within the indirect costs (KRD-FUNDS §21).")
            % {"subject": subject.label, "unit": subject.unit_name(line.unit_id)},
            subject.id,
        )
        for subject in book.subjects
        for line in subject.lines
        if line.category == INDIRECT and line.central > 0 and line.performance_pay == 0
    ]


@check("B1-labour", Severity.WARNING, "Labour costs have a basis")
def labour_basis(book: BookFacts) -> list[Issue]:
    """KRD-FUNDS §18(七): labour costs are budgeted on actual needs — say who and at what rate."""
    return [
        Issue(
            "B1",
            Severity.WARNING,
            line_field(subject, line.unit_id, line.category, "basis"),
            _("%(subject)s, %(unit)s: labour costs have no calculation basis (KRD-FUNDS §18(七)).")
            % {"subject": subject.label, "unit": subject.unit_name(line.unit_id)},
            subject.id,
        )
        for subject in book.subjects
        for line in subject.lines
        if line.category == Category.LABOUR and line.total > 0 and not line.basis.strip()
    ]


@check("B1-equipment-why", Severity.WARNING, "Equipment purchases are justified")
def equipment_justified(book: BookFacts) -> list[Issue]:
    """KRD-FUNDS §18(一), §24: purchases are kept to what sharing, renting or upgrading cannot give."""
    return [
        Issue(
            "B1",
            Severity.WARNING,
            f"s{subject.id}.u{item.unit_id}.equipment",
            _(
                "%(subject)s: %(item)s has no justification; say why it cannot be shared, rented or upgraded (KRD-FUNDS §24)."
            )
            % {"subject": subject.label, "item": item.name},
            subject.id,
        )
        for subject in book.subjects
        for item in subject.equipment
        if not item.justification.strip()
    ]


def totals(subject: SubjectFacts) -> dict[str, Decimal]:
    """The roll-up of one subject: direct and indirect costs per source."""
    result = {}
    for source in (*SOURCES, "total"):
        direct = subject.direct(source)
        indirect = subject.sum(INDIRECT, source)
        result[f"direct_{source}"] = direct
        result[f"indirect_{source}"] = indirect
        result[source] = direct + indirect
    for part in ("direct_", "indirect_", ""):
        result[f"{part}other"] = sum((result[f"{part}{source}"] for source in OTHER_SOURCES), ZERO)
    return result


__all__ = [
    "EQUIPMENT",
    "REGISTRY",
    "BookFacts",
    "Check",
    "EquipmentFacts",
    "IncomeFacts",
    "Issue",
    "LineFacts",
    "PayeeFacts",
    "Severity",
    "SubjectFacts",
    "run_checks",
    "subject_cap",
    "totals",
]
