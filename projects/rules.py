"""Project rules as pure functions (no ORM, no clock)."""

from __future__ import annotations

import datetime as dt

from core.deadlines.rules import add_months


def annual_report_due_date(year: int) -> dt.date:
    """P6 — KRD-MGMT §42: the annual report is filed by the end of November (11月底前)."""
    return dt.date(year, 11, 30)


def annual_report_required(*, start_date: dt.date, end_date: dt.date, year: int) -> bool:
    """P6 — KRD-MGMT §42: a project executing for less than 3 months by the end of November may
    report together with the next year; none is due for a year after the project ended.
    A project started on 1 September has executed 3 full months when November ends."""
    period_end = annual_report_due_date(year) + dt.timedelta(days=1)
    if start_date.year > year or end_date.year < year:
        return False
    return add_months(start_date, 3) <= period_end


def final_accounts_due_date(accounts_year: int) -> dt.date:
    """B7 — KRD-FUNDS §37: the final accounts of a year are filed by 20 April of the next."""
    return dt.date(accounts_year + 1, 4, 20)


def final_accounts_required(*, funds_received_on: dt.date, end_date: dt.date, accounts_year: int) -> bool:
    """B7 — KRD-FUNDS §37: funds received less than three months before the year ends may be
    reported in the next year's accounts. Funds received on 1 October have been held three full
    months when the year ends."""
    if funds_received_on.year > accounts_year or end_date.year < accounts_year:
        return False
    return add_months(funds_received_on, 3) <= dt.date(accounts_year + 1, 1, 1)
