"""B2, B3 and B6 at their boundaries, for each policy edition (no database)."""

import datetime as dt
from decimal import Decimal

import pytest

from budgets import rules
from budgets.rules import Approver, Category, ChangeScope

D = Decimal
KRD = rules.EDITIONS["krd-2016"]
MAJOR = rules.EDITIONS["major-2017"]
REFORM = rules.EDITIONS["reform-2021"]


@pytest.mark.parametrize(
    ("base", "cap", "tiers_used"),
    [
        ("0.00", "0.00", 1),
        ("4999999.99", "1000000.00", 1),  # 999 999.998, rounded to the fen
        ("5000000.00", "1000000.00", 1),
        ("5000000.01", "1000000.00", 2),  # the fen above falls in the 15 % tier: 0.0015
        ("5000000.10", "1000000.02", 2),
        ("9999999.99", "1750000.00", 2),  # 1 000 000 + 749 999.9985
        ("10000000.00", "1750000.00", 2),
        ("10000000.01", "1750000.00", 3),  # the fen above falls in the 13 % tier
        ("10000001.00", "1750000.13", 3),
        ("20000000.00", "3050000.00", 3),
    ],
)
def test_b2_marginal_tiers_at_the_edges_and_one_fen_either_side(base, cap, tiers_used):
    """B2 — KRD-FUNDS §20: 20 % to 5 000 000, 15 % to 10 000 000, 13 % above."""
    amount, parts = rules.indirect_cap(base=D(base), tiers=KRD.indirect_tiers)
    assert amount == D(cap)
    assert len(parts) == tiers_used
    assert amount == sum(part.amount for part in parts)


def test_b2_tier_breakdown():
    amount, parts = rules.indirect_cap(base=D("12000000"), tiers=KRD.indirect_tiers)
    assert [(p.lower, p.upper, p.rate, p.amount) for p in parts] == [
        (D("0.00"), D("5000000.00"), D("0.20"), D("1000000.00")),
        (D("5000000.00"), D("10000000.00"), D("0.15"), D("750000.00")),
        (D("10000000.00"), None, D("0.13"), D("260000.00")),
    ]
    assert amount == D("2010000.00")


def test_b2_base_excludes_equipment_purchase_not_rental():
    base = rules.indirect_base(edition=KRD, direct=D("8000000"), equipment_purchase=D("2000000"))
    assert base == D("6000000.00")  # rental, trial-making and upgrading stay in the base


def test_b2_capital_construction_leaves_the_base_for_major_only():
    assert rules.indirect_base(
        edition=MAJOR, direct=D("8000000"), equipment_purchase=D("1000000"), capital_construction=D("2000000")
    ) == D("5000000.00")
    assert rules.indirect_base(
        edition=KRD, direct=D("8000000"), equipment_purchase=D("1000000"), capital_construction=D("2000000")
    ) == D("7000000.00")


def test_b2_2021_reform_edition_and_its_theory_rate():
    amount, _parts = rules.indirect_cap(base=D("6000000"), tiers=REFORM.indirect_tiers)
    assert amount == D("1750000.00")  # 30 % of 5 000 000 + 25 % of 1 000 000
    theory, _ = rules.indirect_cap(
        base=D("6000000"), tiers=REFORM.indirect_tiers, theory=True, theory_rate=REFORM.theory_rate
    )
    assert theory == D("3600000.00")


@pytest.mark.parametrize(
    ("program", "day", "code"),
    [
        ("key_rd", dt.date(2018, 5, 1), "krd-2016"),
        ("key_rd", dt.date(2021, 8, 12), "krd-2016"),
        ("key_rd", dt.date(2021, 8, 13), "reform-2021"),
        ("intl", dt.date(2019, 1, 1), "krd-2016"),
        ("major", dt.date(2026, 1, 1), "major-2017"),
    ],
)
def test_edition_in_force_for_a_call_published_that_day(program, day, code):
    assert rules.edition_for(program=program, on=day).code == code


def test_an_edition_can_be_chosen_per_call():
    assert rules.edition_for(program="key_rd", on=dt.date(2026, 1, 1), code="krd-2016").code == "krd-2016"
    with pytest.raises(LookupError):
        rules.edition_for(program="major", on=dt.date(2026, 1, 1), code="reform-2021")


@pytest.mark.parametrize(("meeting", "needs"), [("99999.99", False), ("100000.00", False), ("100000.01", True)])
def test_b3_meeting_travel_above_ten_percent_needs_a_basis(meeting, needs):
    """B3 — KRD-FUNDS §18(六): exactly 10 % does not."""
    assert rules.meeting_travel_needs_basis(meeting_travel=D(meeting), direct=D("1000000")) is needs


# B6 — KRD-FUNDS §36 (key_rd) and MAJOR-FUNDS §41 (major), case by case.
@pytest.mark.parametrize(
    ("edition", "scope", "category", "increase", "indirect", "approver"),
    [
        (KRD, ChangeScope.PROJECT_TOTAL, None, True, False, Approver.AGENCY),
        (KRD, ChangeScope.BETWEEN_SUBJECTS, None, True, False, Approver.AGENCY),
        (KRD, ChangeScope.BETWEEN_PARTICIPANTS, None, True, False, Approver.AGENCY),
        (KRD, ChangeScope.PARTICIPANTS_ADDED_OR_REMOVED, None, True, False, Approver.AGENCY),
        (KRD, ChangeScope.WITHIN_SUBJECT, Category.MATERIALS, True, False, Approver.SUBJECT_UNIT),
        (KRD, ChangeScope.WITHIN_SUBJECT, Category.OTHER, True, False, Approver.SUBJECT_UNIT),
        (KRD, ChangeScope.WITHIN_SUBJECT, Category.MEETING_TRAVEL, True, False, Approver.AGENCY),
        (KRD, ChangeScope.WITHIN_SUBJECT, Category.MEETING_TRAVEL, False, False, Approver.SUBJECT_UNIT),
        (KRD, ChangeScope.WITHIN_SUBJECT, Category.EQUIPMENT_PURCHASE, True, False, Approver.AGENCY),
        (KRD, ChangeScope.WITHIN_SUBJECT, Category.LABOUR, True, False, Approver.AGENCY),
        (KRD, ChangeScope.WITHIN_SUBJECT, Category.EXPERT, False, False, Approver.SUBJECT_UNIT),
        (KRD, ChangeScope.WITHIN_SUBJECT, None, True, True, Approver.REFUSED),
        (KRD, ChangeScope.WITHIN_SUBJECT, None, False, True, Approver.SUBJECT_UNIT),
        (MAJOR, ChangeScope.PROJECT_TOTAL, None, True, False, Approver.ORGANISER),
        (MAJOR, ChangeScope.BETWEEN_SUBJECTS, None, True, False, Approver.AGENCY),
        (MAJOR, ChangeScope.WITHIN_SUBJECT, Category.MEETING_TRAVEL, True, False, Approver.LEAD_UNIT),
        (MAJOR, ChangeScope.WITHIN_SUBJECT, Category.CAPITAL_CONSTRUCTION, True, False, Approver.AGENCY),
        (MAJOR, ChangeScope.WITHIN_SUBJECT, Category.CAPITAL_CONSTRUCTION, False, False, Approver.LEAD_UNIT),
        (MAJOR, ChangeScope.WITHIN_SUBJECT, Category.LABOUR, True, False, Approver.AGENCY),
        (MAJOR, ChangeScope.WITHIN_SUBJECT, None, True, True, Approver.REFUSED),
    ],
)
def test_b6_adjustment_authority(edition, scope, category, increase, indirect, approver):
    assert (
        rules.adjustment_approver(edition=edition, scope=scope, category=category, increase=increase, indirect=indirect)
        == approver
    )


@pytest.mark.parametrize(
    ("central_total", "cap"),
    [("1000000.00", "300000.00"), ("1000000.03", "300000.00"), ("1000000.04", "300000.01"), ("0", "0.00")],
)
def test_b10_post_subsidy_start_up_cap_rounds_down(central_total, cap):
    """B10 — MAJOR-FUNDS §32: at most 30 %, never a fen more (300 000.009 → 300 000.00)."""
    assert rules.post_subsidy_start_up_cap(central_total=D(central_total)) == D(cap)


@pytest.mark.parametrize(
    ("edition", "first_attempt", "good_credit", "kept", "keep_from", "keep_until", "article"),
    [
        (KRD, True, True, True, dt.date(2027, 6, 30), dt.date(2029, 6, 29), "KRD-FUNDS §44"),
        (KRD, False, True, False, None, None, "KRD-FUNDS §44"),  # passed only after rectification
        (KRD, True, False, False, None, None, "KRD-FUNDS §44"),
        (MAJOR, True, True, True, dt.date(2028, 1, 1), dt.date(2029, 12, 31), "MAJOR-FUNDS §47"),
        (MAJOR, True, False, False, None, None, "MAJOR-FUNDS §47"),
    ],
)
def test_b9_balance_disposition(edition, first_attempt, good_credit, kept, keep_from, keep_until, article):
    """B9 — KRD-FUNDS §44: kept two years from the acceptance; MAJOR-FUNDS §47: from 1 January
    after the conclusion; otherwise recovered."""
    outcome = rules.balance_disposition(
        edition=edition,
        accepted_on=dt.date(2027, 6, 30),
        passed_first_attempt=first_attempt,
        credit_is_good=good_credit,
    )
    assert (outcome.kept, outcome.keep_from, outcome.keep_until, outcome.article) == (
        kept,
        keep_from,
        keep_until,
        article,
    )


@pytest.mark.parametrize(
    ("spent", "approved", "rate"),
    [
        ("0", "0", None),
        ("1", "-1", None),
        ("50", "200", "25.0"),
        ("1", "3", "33.3"),
        ("2", "3", "66.7"),
        ("300", "200", "150.0"),
    ],
)
def test_execution_rate(spent, approved, rate):
    """执行率: spent as a share of the approved amount, one decimal, half up."""
    assert rules.execution_rate(spent=D(spent), approved=D(approved)) == (None if rate is None else D(rate))
