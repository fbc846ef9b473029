"""The budget book's checks (B1–B5, B10, the yearly schedule, the warnings) at their
boundaries, on plain facts: no database."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from budgets import checks, rules
from budgets.checks import (
    BookFacts,
    EquipmentFacts,
    IncomeFacts,
    LineFacts,
    PayeeFacts,
    Severity,
    SubjectFacts,
    run_checks,
    subject_cap,
)

D = Decimal
KRD = rules.EDITIONS["krd-2016"]
MAJOR = rules.EDITIONS["major-2017"]
REFORM = rules.EDITIONS["reform-2021"]
UNIT = 10
PARTNER = 20
YEAR = 2027


def line(category: str, central="0", *, unit: int = UNIT, **fields) -> LineFacts:
    amounts = {
        name: D(fields.pop(name))
        for name in ("local_government", "own", "other_channel", "performance_pay")
        if name in fields
    }
    return LineFacts(unit_id=unit, category=category, central=D(central), **amounts, **fields)


def subject(*lines: LineFacts, years: dict | None = None, units=(UNIT, PARTNER), **fields) -> SubjectFacts:
    """A subject whose yearly schedule matches its central budget unless ``years`` is given."""
    if years is None:
        years = {}
        for item in lines:
            years[(item.unit_id, YEAR)] = years.get((item.unit_id, YEAR), D(0)) + item.central
    return SubjectFacts(id=1, label="课题1", unit_ids=units, lines=tuple(lines), years=years, **fields)


def book(*subjects: SubjectFacts, edition=KRD, **fields) -> BookFacts:
    return BookFacts(edition=edition, subjects=subjects, **fields)


def issues(facts: BookFacts, rule: str, severity: Severity = Severity.ERROR) -> list[checks.Issue]:
    return [issue for issue in run_checks(facts) if issue.check == rule and issue.severity == severity]


def errors(facts: BookFacts) -> list[checks.Issue]:
    return [issue for issue in run_checks(facts) if issue.severity == Severity.ERROR]


# ---- B2: the indirect cap of each subject -------------------------------------------------------


@pytest.mark.parametrize(
    ("base", "cap"),
    [
        ("4999999.99", "1000000.00"),  # 999 999.998, rounded to the fen
        ("5000000.00", "1000000.00"),
        ("5000000.01", "1000000.00"),  # the fen above 5 000 000 is in the 15 % tier
        ("9999999.99", "1750000.00"),  # 1 000 000 + 749 999.9985
        ("10000000.00", "1750000.00"),
        ("10000000.01", "1750000.00"),  # the fen above 10 000 000 is in the 13 % tier
    ],
)
def test_b2_indirect_exactly_at_the_cap_passes_one_fen_above_fails(base, cap):
    """B2 — KRD-FUNDS §20: 20 % up to 5 000 000, 15 % to 10 000 000, 13 % above, per subject."""
    direct = line("materials", base)
    assert subject_cap(book(subject(direct)), subject(direct))[:2] == (D(base), D(cap))

    at_cap = book(subject(direct, line("indirect", cap, performance_pay="1")))
    assert issues(at_cap, "B2") == []

    above = book(subject(direct, line("indirect", D(cap) + D("0.01"), performance_pay="1")))
    [issue] = issues(above, "B2")
    assert issue.field == f"s1.u{UNIT}.indirect.central"
    assert "KRD-FUNDS §20" in issue.message
    assert cap in issue.message


@pytest.mark.parametrize(
    ("category", "base", "cap"),
    [
        ("equipment_purchase", "4000000.00", "800000.00"),  # purchase leaves the base
        ("equipment_trial", "6000000.00", "1150000.00"),  # trial-making stays in it
        ("equipment_upgrade", "6000000.00", "1150000.00"),
        ("equipment_rental", "6000000.00", "1150000.00"),
    ],
)
def test_b2_base_excludes_equipment_purchase_but_not_rental_trial_or_upgrade(category, base, cap):
    """B2 — KRD-FUNDS §20: direct costs less equipment purchase."""
    direct = (line("materials", "4000000"), line(category, "2000000"))
    assert subject_cap(book(subject(*direct)), subject(*direct))[:2] == (D(base), D(cap))
    assert issues(book(subject(*direct, line("indirect", cap, performance_pay="1"))), "B2") == []
    over = D(cap) + D("0.01")
    assert len(issues(book(subject(*direct, line("indirect", over, performance_pay="1"))), "B2")) == 1


@pytest.mark.parametrize(
    ("edition", "base", "cap"),
    [
        (MAJOR, "6000000.00", "1150000.00"),  # MAJOR-FUNDS §18: capital construction leaves the base
        (KRD, "8000000.00", "1450000.00"),  # KRD-FUNDS §20 knows no such exclusion
    ],
)
def test_b2_capital_construction_leaves_the_base_for_major_only(edition, base, cap):
    """B2 — MAJOR-FUNDS §18 vs KRD-FUNDS §20: the same amounts give different caps."""
    direct = (line("materials", "6000000"), line("capital_construction", "2000000"))
    assert subject_cap(book(subject(*direct), edition=edition), subject(*direct))[:2] == (D(base), D(cap))
    at_cap = book(subject(*direct, line("indirect", cap, performance_pay="1")), edition=edition)
    assert issues(at_cap, "B2") == []
    above = book(subject(*direct, line("indirect", D(cap) + D("0.01"), performance_pay="1")), edition=edition)
    [issue] = issues(above, "B2")
    assert edition.indirect_article in issue.message


def test_b1_capital_construction_is_not_a_krd_category():
    """B1 — KRD-FUNDS §18 has no capital construction; MAJOR-FUNDS §18 has."""
    lines = (line("materials", "6000000"), line("capital_construction", "2000000"))
    assert [issue.field for issue in issues(book(subject(*lines)), "B1")] == [
        f"s1.u{UNIT}.capital_construction.central"
    ]
    assert issues(book(subject(*lines), edition=MAJOR), "B1") == []


@pytest.mark.parametrize(
    ("base", "cap", "is_theoretical"),
    [
        ("5000000.00", "1500000.00", False),  # 30 %
        ("5000000.01", "1500000.00", False),  # 25 % on the fen above
        ("10000000.00", "2750000.00", False),  # 1 500 000 + 25 % of 5 000 000
        ("12000000.00", "3150000.00", False),  # + 20 % of 2 000 000
        ("6000000.00", "3600000.00", True),  # pure theoretical research: 60 % flat
    ],
)
def test_b2_reform_2021_tiers_and_the_theoretical_rate(base, cap, is_theoretical):
    """B2 — 国办发〔2021〕32号 二(三): 30/25/20 %, up to 60 % for pure theoretical basic research."""
    direct = line("business", base)

    def facts(indirect):
        return book(
            subject(direct, line("indirect", indirect, performance_pay="1")),
            edition=REFORM,
            is_theoretical=is_theoretical,
        )

    assert issues(facts(D(cap)), "B2") == []
    assert len(issues(facts(D(cap) + D("0.01")), "B2")) == 1


def test_b2_the_theoretical_flag_changes_nothing_under_an_edition_without_that_rate():
    """B2 — KRD-FUNDS §20 has no separate rate: the tiers apply."""
    direct = line("materials", "6000000")
    facts = book(subject(direct, line("indirect", "1150000.01", performance_pay="1")), is_theoretical=True)
    assert len(issues(facts, "B2")) == 1


@pytest.mark.parametrize("source", ["own", "local_government", "other_channel"])
def test_b2_indirect_costs_from_other_sources_are_refused(source):
    """B2 — KRD-FUNDS §20–§21: indirect costs are paid from the central special funds only."""
    facts = book(
        subject(line("materials", "1000000"), line("indirect", "100000", performance_pay="1", **{source: "1"}))
    )
    [issue] = issues(facts, "B2")
    assert issue.field == f"s1.u{UNIT}.indirect.own"
    assert "central special funds only" in issue.message


def test_b2_cap_is_per_subject_on_central_direct_costs():
    """B2 — KRD-FUNDS §20: other sources do not raise the cap; each subject has its own."""
    first = subject(line("materials", "1000000", own="1000000"), line("indirect", "200000.01", performance_pay="1"))
    second = SubjectFacts(
        id=2,
        label="课题2",
        unit_ids=(PARTNER,),
        lines=(
            line("materials", "1000000", unit=PARTNER),
            line("indirect", "200000", unit=PARTNER, performance_pay="1"),
        ),
    )
    assert [issue.subject_id for issue in issues(book(first, second), "B2")] == [1]


# ---- B3: meeting/travel and "other" ------------------------------------------------------------


@pytest.mark.parametrize(
    ("materials", "meeting", "basis", "fails"),
    [
        ("900000.00", "100000.00", "", False),  # exactly 10 % of 1 000 000: no basis needed
        ("899999.99", "100000.01", "", True),  # 10 % + 1 fen without a basis
        ("899999.99", "100000.01", "会议 4 次 × 2.5 万元", False),
        ("950000.00", "50000.00", "", False),
    ],
)
def test_b3_meeting_travel_above_ten_percent_needs_a_basis(materials, meeting, basis, fails):
    """B3 — KRD-FUNDS §18(六): up to 10 % of direct costs needs no calculation basis."""
    facts = book(subject(line("materials", materials), line("meeting_travel", meeting, basis=basis)))
    found = issues(facts, "B3")
    assert [issue.field for issue in found] == ([f"s1.u{UNIT}.meeting_travel.basis"] if fails else [])
    if fails:
        assert "KRD-FUNDS §18(六)" in found[0].message


def test_b3_counts_every_source_and_flags_each_unit_without_a_basis():
    """B3 — KRD-FUNDS §18(六): the share is of the subject's whole direct budget."""
    facts = book(
        subject(
            line("materials", "800000", own="99999.99"),
            line("meeting_travel", "50000", own="50000.01"),
            line("meeting_travel", "1", unit=PARTNER, basis="差旅 1 次"),
        )
    )
    # 100 000.02 of 1 000 000.01: above 10 %, the lead line has no basis, the partner's has one.
    assert [issue.field for issue in issues(facts, "B3")] == [f"s1.u{UNIT}.meeting_travel.basis"]


@pytest.mark.parametrize(
    ("amount", "explanation", "fails"),
    [("1000.00", "", True), ("1000.00", "   ", True), ("1000.00", "样品运输保险费", False), ("0", "", False)],
)
def test_b3_other_costs_need_an_explanation(amount, explanation, fails):
    """B3 — KRD-FUNDS §18(九): "other" costs are explained in detail."""
    facts = book(subject(line("materials", "100000"), line("other", amount, explanation=explanation)))
    assert [issue.field for issue in issues(facts, "B3")] == ([f"s1.u{UNIT}.other.explanation"] if fails else [])


# ---- B4: expert fees ---------------------------------------------------------------------------

STAFF_ID = "11010119800101001X"


@pytest.mark.parametrize(
    ("payee", "fails"),
    [
        (PayeeFacts(name="李四", id_number=STAFF_ID), True),  # a team member, by ID number
        (PayeeFacts(name="李四", id_number=STAFF_ID.lower()), True),  # ID written with a small x
        (PayeeFacts(name="李四", id_number=f" {STAFF_ID} "), True),
        (PayeeFacts(name="张三"), True),  # a team member, by name
        (PayeeFacts(name="王五", id_number="110101197001010022"), False),
        (PayeeFacts(name="王五"), False),
    ],
)
def test_b4_expert_fees_are_never_paid_to_team_members(payee, fails):
    """B4 — KRD-FUNDS §18(八): not to anyone working on the project or its subjects."""
    facts = book(
        subject(line("expert", "10000"), payees=(payee,)),
        personnel_names=frozenset({"张三"}),
        personnel_ids=frozenset({STAFF_ID}),
    )
    found = issues(facts, "B4")
    assert [issue.field for issue in found] == (["s1.payees"] if fails else [])
    if fails:
        assert "KRD-FUNDS §18(八)" in found[0].message


# ---- B5: other sources -------------------------------------------------------------------------


def income(amount="100000.00", **fields) -> IncomeFacts:
    return IncomeFacts(unit_id=UNIT, source="own", funder="示范单位", amount=D(amount), **fields)


@pytest.mark.parametrize(
    ("committed", "extra", "problem"),
    [
        ("100000.00", {}, None),
        ("99999.99", {}, "budgeted 100000.00 but committed 99999.99"),
        ("100000.01", {}, "budgeted 100000.00 but committed 100000.01"),
        ("100000.00", {"has_letter": False}, "commitment letter is missing"),
        ("100000.00", {"is_cash": False}, "assets other than money"),
        ("100000.00", {"is_central_funds": True}, "other central funds"),
    ],
)
def test_b5_other_sources_are_committed_cash_that_equals_the_budget(committed, extra, problem):
    """B5 — KRD-FUNDS §22(一): a funder's commitment, money only, never other central funds;
    income equals expenditure to the fen."""
    facts = book(subject(line("materials", "500000", own="100000"), income=(income(committed, **extra),)))
    found = issues(facts, "B5")
    if problem is None:
        assert found == []
    else:
        [issue] = found
        assert issue.field == f"s1.u{UNIT}.income"
        assert problem in issue.message
        assert "KRD-FUNDS §22" in issue.message


def test_b5_other_sources_budgeted_without_any_commitment_fail():
    """B5 — KRD-FUNDS §22(一): every yuan of another source is committed, per unit and source."""
    facts = book(subject(line("materials", "500000", local_government="1"), line("testing", "1", unit=PARTNER)))
    [issue] = issues(facts, "B5")
    assert issue.field == f"s1.u{UNIT}.income"


# ---- Equipment items, yearly schedule, post-subsidy start-up --------------------------------


@pytest.mark.parametrize(
    ("items", "fails"),
    [
        ((("质谱仪", "300000", "300000"),), False),
        ((("质谱仪", "200000", "200000"), ("离心机", "100000", "100000")), False),
        ((("质谱仪", "200000", "200000"),), True),  # 100 000 of the line not itemised
        ((("质谱仪", "300000", "250000"),), True),  # the central part does not match
        ((), True),
    ],
)
def test_equipment_purchases_are_itemised_and_add_up(items, fails):
    """KRD-FUNDS §24: purchases are explained item by item, in total and in central funds."""
    equipment = tuple(
        EquipmentFacts(unit_id=UNIT, name=name, amount=D(amount), central=D(central), justification="无法共享")
        for name, amount, central in items
    )
    facts = book(subject(line("equipment_purchase", "300000"), line("materials", "100000"), equipment=equipment))
    fields = [issue.field for issue in issues(facts, "B1")]
    assert fields == ([f"s1.u{UNIT}.equipment"] if fails else [])


def test_equipment_items_without_a_purchase_line_fail():
    """KRD-FUNDS §24: items listed for a unit without a purchase line do not add up either."""
    equipment = (EquipmentFacts(unit_id=PARTNER, name="质谱仪", amount=D(1), central=D(1), justification="无"),)
    facts = book(subject(line("materials", "100000"), equipment=equipment))
    assert [issue.field for issue in issues(facts, "B1")] == [f"s1.u{PARTNER}.equipment"]


@pytest.mark.parametrize(
    ("years", "fails"),
    [
        ({(UNIT, 2027): D("500000.00"), (UNIT, 2028): D("500000.00")}, False),
        ({(UNIT, 2027): D("500000.00"), (UNIT, 2028): D("499999.99")}, True),
        ({(UNIT, 2027): D("500000.00"), (UNIT, 2028): D("500000.01")}, True),
        ({}, True),
    ],
)
def test_years_schedule_adds_up_to_the_central_budget(years, fails):
    """KRD-FUNDS §22(二), §29: the yearly central funds add up to each unit's central budget."""
    facts = book(subject(line("materials", "800000"), line("indirect", "200000", performance_pay="1"), years=years))
    assert [issue.field for issue in issues(facts, "B-years")] == ([f"s1.u{UNIT}.years"] if fails else [])


@pytest.mark.parametrize(("year", "fails"), [(2026, True), (2027, False), (2030, False), (2031, True)])
def test_years_stay_within_the_project_period(year, fails):
    """KRD-FUNDS §22(二): money is scheduled within the project's years only."""
    years = {(UNIT, 2028): D("900000"), (UNIT, year): D("100000")}
    facts = book(subject(line("materials", "1000000"), years=years), first_year=2027, last_year=2030)
    found = issues(facts, "B-years")
    assert len(found) == (1 if fails else 0)
    if fails:
        assert str(year) in found[0].message


@pytest.mark.parametrize(
    ("first_year_amount", "fails"),
    [("300000.00", False), ("300000.01", True), ("0.00", False)],
)
def test_b10_post_subsidy_start_up_funds_at_most_thirty_percent(first_year_amount, fails):
    """B10 — MAJOR-FUNDS §32: start-up funds at most 30 % of the central total, in the first year."""
    first = D(first_year_amount)
    years = {(UNIT, 2027): first, (UNIT, 2028): D("1000000") - first}
    facts = book(
        subject(line("materials", "1000000"), years=years),
        edition=MAJOR,
        is_post_subsidy=True,
        first_year=2027,
        last_year=2029,
    )
    found = issues(facts, "B10")
    assert [issue.field for issue in found] == (["s1.years"] if fails else [])
    if fails:
        assert "MAJOR-FUNDS §32" in found[0].message
    # Without post-subsidy there is no such limit.
    assert issues(dataclasses.replace(facts, is_post_subsidy=False), "B10") == []


def test_b10_cap_is_rounded_down_so_it_is_never_exceeded():
    """B10 — MAJOR-FUNDS §32: 30 % of 1 000 000.03 is 300 000.009, so 300 000.01 is too much."""
    years = {(UNIT, 2027): D("300000.01"), (UNIT, 2028): D("700000.02")}
    facts = book(
        subject(line("materials", "1000000.03"), years=years), edition=MAJOR, is_post_subsidy=True, first_year=2027
    )
    assert len(issues(facts, "B10")) == 1


# ---- Warnings ----------------------------------------------------------------------------------


def test_warnings_are_warnings_not_errors():
    """KRD-FUNDS §21 (performance pay), §18(七) (labour basis), §24 (equipment justification):
    each asks to be confirmed but does not block submission."""
    facts = book(
        subject(
            line("equipment_purchase", "300000"),
            line("materials", "500000"),
            line("labour", "100000"),
            line("indirect", "120000"),
            equipment=(EquipmentFacts(unit_id=UNIT, name="质谱仪", amount=D("300000"), central=D("300000")),),
        )
    )
    assert errors(facts) == []
    warnings = run_checks(facts)
    assert {(issue.check, issue.severity, issue.field) for issue in warnings} == {
        ("B2", Severity.WARNING, f"s1.u{UNIT}.indirect.performance_pay"),
        ("B1", Severity.WARNING, f"s1.u{UNIT}.labour.basis"),
        ("B1", Severity.WARNING, f"s1.u{UNIT}.equipment"),
    }


def test_no_warnings_once_explained():
    """KRD-FUNDS §21, §18(七), §24: performance pay planned, labour based, equipment justified."""
    facts = book(
        subject(
            line("equipment_purchase", "300000"),
            line("materials", "500000"),
            line("labour", "100000", basis="博士生 2 名"),
            line("indirect", "120000", performance_pay="40000"),
            equipment=(
                EquipmentFacts(
                    unit_id=UNIT, name="质谱仪", amount=D("300000"), central=D("300000"), justification="无"
                ),
            ),
        )
    )
    assert run_checks(facts) == []


def test_errors_come_before_warnings():
    """The registry's report lists what blocks submission (errors) before what is confirmed (warnings)."""
    facts = book(subject(line("materials", "100000"), line("labour", "1"), line("other", "1"), years={}))
    severities = [issue.severity for issue in run_checks(facts)]
    assert severities == sorted(severities, key=lambda severity: severity != Severity.ERROR)
    assert severities[0] == Severity.ERROR and severities[-1] == Severity.WARNING


def test_b0_negative_amounts_are_errors():
    """Budgets hold no negative amounts (KRD-FUNDS §22(二))."""
    facts = book(subject(line("materials", "-1"), line("testing", "1", own="-0.01")))
    assert sorted(issue.field for issue in issues(facts, "B0")) == [
        f"s1.u{UNIT}.materials.central",
        f"s1.u{UNIT}.testing.own",
    ]


def test_b1_lines_of_units_outside_the_subject_are_errors():
    """KRD-FUNDS §21, §29: a subject's money is for its own unit and participants."""
    facts = book(subject(line("materials", "100000"), line("testing", "1", unit=99)))
    assert [issue.field for issue in issues(facts, "B1")] == ["s1.u99.testing.central"]
