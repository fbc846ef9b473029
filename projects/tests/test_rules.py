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
