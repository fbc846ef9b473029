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


# P1 — KRD-MGMT §21: from the guide's publication to the closing of applications, at least 50 days.
MINIMUM_CALL_WINDOW_DAYS = 50


def call_window_days(*, published_on: dt.date, closes_on: dt.date) -> int:
    """Calendar days from the publication date to the closing date."""
    return (closes_on - published_on).days


def call_window_is_long_enough(*, published_on: dt.date, closes_on: dt.date) -> bool:
    """P1 — KRD-MGMT §21: 自指南发布日到项目申报受理截止日，原则上不少于50天."""
    return call_window_days(published_on=published_on, closes_on=closes_on) >= MINIMUM_CALL_WINDOW_DAYS


def earliest_birth_date(*, guide_year: int, max_age: int) -> dt.date:
    """P2 — KRD-MGMT §24: leaders "born on or after 1 January of (guide year − max age)"."""
    return dt.date(guide_year - max_age, 1, 1)


def leader_age_is_allowed(*, birth_date: dt.date, guide_year: int, max_age: int) -> bool:
    """P2 — KRD-MGMT §24: a leader's age meets the guide's cut-off."""
    return birth_date >= earliest_birth_date(guide_year=guide_year, max_age=max_age)


def shortlist_size(*, planned_projects: int, factor) -> int:
    """P3 — KRD-MGMT §27: the first round keeps factor × planned projects (3–4×), rounded up."""
    from decimal import ROUND_CEILING, Decimal

    return int((Decimal(planned_projects) * Decimal(str(factor))).to_integral_value(rounding=ROUND_CEILING))


def first_round_is_skipped(*, pre_applications: int, planned_projects: int, factor) -> bool:
    """P3 — KRD-MGMT §27: with fewer pre-applications than the shortlist, no first round."""
    return pre_applications < shortlist_size(planned_projects=planned_projects, factor=factor)


FUNDING_LABELS = {
    # P11 — KRD-MGMT §57, INTL §39, MAJOR-IP §31: the funding label every result carries.
    "key_rd": ("国家重点研发计划资助", "National Key R&D Program of China"),
    "intl": ("国家国际科技合作专项资助", "International Science & Technology Cooperation Program of China"),
    "major": ("国家科技重大专项资助", ""),
}


def funding_label(*, program_code: str, project_number: str) -> str:
    """P11 — the label with the project number, e.g. 国家重点研发计划资助（2026YFA0900100）."""
    chinese, english = FUNDING_LABELS[program_code]
    label = f"{chinese}（{project_number}）"
    if english:
        label += f"\n{english} ({project_number})"
    return label
