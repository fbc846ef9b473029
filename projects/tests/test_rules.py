"""P6 (KRD-MGMT §42) and B7 (KRD-FUNDS §37) at their boundaries."""

import datetime as dt

import pytest

from projects import rules

D = dt.date


def test_annual_report_is_due_by_the_end_of_november():
    """P6 — KRD-MGMT §42: 每年11月底前."""
    assert rules.annual_report_due_date(2026) == D(2026, 11, 30)


@pytest.mark.parametrize(
    ("start", "required"),
    [
        (D(2026, 1, 1), True),
        (D(2026, 8, 31), True),
        (D(2026, 9, 1), True),  # three full months by the end of November
        (D(2026, 9, 2), False),  # under 3 months: reports with next year's
        (D(2026, 11, 30), False),
        (D(2025, 6, 1), True),
    ],
)
def test_p6_project_under_three_months_reports_next_year(start, required):
    assert rules.annual_report_required(start_date=start, end_date=D(2029, 12, 31), year=2026) is required


def test_p6_no_annual_report_before_start_or_after_the_end_year():
    assert not rules.annual_report_required(start_date=D(2027, 1, 1), end_date=D(2029, 12, 31), year=2026)
    assert not rules.annual_report_required(start_date=D(2022, 1, 1), end_date=D(2025, 12, 31), year=2026)
    assert rules.annual_report_required(start_date=D(2022, 1, 1), end_date=D(2026, 6, 30), year=2026)


def test_final_accounts_are_due_by_20_april_of_the_next_year():
    """B7 — KRD-FUNDS §37: 每年的4月20日前."""
    assert rules.final_accounts_due_date(2026) == D(2027, 4, 20)


@pytest.mark.parametrize(
    ("received", "required"),
    [
        (D(2026, 3, 15), True),
        (D(2026, 9, 30), True),
        (D(2026, 10, 1), True),  # exactly three months to the year end
        (D(2026, 10, 2), False),  # under three months: in next year's accounts
        (D(2026, 12, 20), False),
    ],
)
def test_b7_funds_under_three_months_old_wait_a_year(received, required):
    assert (
        rules.final_accounts_required(funds_received_on=received, end_date=D(2029, 12, 31), accounts_year=2026)
        is required
    )


def test_b7_no_accounts_for_a_year_before_the_funds_or_after_the_end():
    assert not rules.final_accounts_required(
        funds_received_on=D(2027, 1, 5), end_date=D(2029, 12, 31), accounts_year=2026
    )
    assert not rules.final_accounts_required(
        funds_received_on=D(2020, 1, 5), end_date=D(2025, 12, 31), accounts_year=2026
    )


@pytest.mark.parametrize(
    ("closes", "allowed"), [(D(2026, 4, 19), False), (D(2026, 4, 20), True), (D(2026, 6, 1), True)]
)
def test_p1_call_window_at_least_50_days(closes, allowed):
    """P1 — KRD-MGMT §21: 49 days refused, 50 days allowed (published 1 March)."""
    assert rules.call_window_is_long_enough(published_on=D(2026, 3, 1), closes_on=closes) is allowed
    assert rules.call_window_days(published_on=D(2026, 3, 1), closes_on=D(2026, 4, 19)) == 49


@pytest.mark.parametrize(
    ("birth", "allowed"),
    [(D(1965, 12, 31), False), (D(1966, 1, 1), True), (D(1990, 6, 1), True)],
)
def test_p2_leader_born_on_or_after_1_january_of_guide_year_minus_max_age(birth, allowed):
    """P2 — KRD-MGMT §24: guide year 2026, at most 60: born on or after 1 January 1966."""
    assert rules.earliest_birth_date(guide_year=2026, max_age=60) == D(1966, 1, 1)
    assert rules.leader_age_is_allowed(birth_date=birth, guide_year=2026, max_age=60) is allowed


@pytest.mark.parametrize(
    ("planned", "factor", "size"),
    [(5, 3, 15), (5, 4, 20), (3, "3.5", 11), (1, 3, 3), (0, 3, 0)],
)
def test_p3_shortlist_is_factor_times_planned_rounded_up(planned, factor, size):
    assert rules.shortlist_size(planned_projects=planned, factor=factor) == size


@pytest.mark.parametrize(("pre_applications", "skipped"), [(14, True), (15, False), (40, False), (0, True)])
def test_p3_first_round_skipped_when_fewer_pre_applications_than_the_shortlist(pre_applications, skipped):
    """P3 — KRD-MGMT §28–§29: 5 planned × 3 = 15."""
    assert rules.first_round_is_skipped(pre_applications=pre_applications, planned_projects=5, factor=3) is skipped


def test_p11_funding_labels():
    assert rules.funding_label(program_code="key_rd", project_number="2026YFA0900100") == (
        "国家重点研发计划资助（2026YFA0900100）\nNational Key R&D Program of China (2026YFA0900100)"
    )
    assert rules.funding_label(program_code="intl", project_number="2026DFA1").startswith(
        "国家国际科技合作专项资助（2026DFA1）"
    )
    assert rules.funding_label(program_code="major", project_number="2026ZX01") == "国家科技重大专项资助（2026ZX01）"


@pytest.mark.parametrize(
    ("applied", "proposed", "lower_is_better", "weakened"),
    [
        ("≥3 条", "≥3 条", False, False),
        ("≥3 条", "≥4 条", False, False),
        ("≥3 条", "≥2 条", False, True),
        ("不少于5篇", "不少于4.9篇", False, True),
        ("误差≤0.5%", "误差≤0.4%", True, False),
        ("误差≤0.5%", "误差≤0.6%", True, True),
        ("形成技术规范", "形成技术规范", False, False),
        ("形成技术规范", "形成技术规范草案", False, True),
        ("1,000 台", "999 台", False, True),
    ],
)
def test_p5_task_book_indicator_may_not_be_weaker(applied, proposed, lower_is_better, weakened):
    """P5 — KRD-MGMT §33."""
    assert rules.indicator_is_weakened(applied=applied, proposed=proposed, lower_is_better=lower_is_better) is weakened
