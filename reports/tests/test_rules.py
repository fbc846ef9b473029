"""The pure rules of tech reports at their edges: T1 the plan (REPORTS §10), T2 numbers and
access codes (GB/T 15416-2014, GB/T 30534-2014), T3 the longest delay per reason — exactly 2,
3 and 5 years against one day more (REPORTS §12(1)), T4 secret only (§12(2)), T7 the extension
deadline 15 working days before release across a holiday (§19), and the citation (§21)."""

from __future__ import annotations

import datetime as dt

import pytest

from core import calendar
from reports import rules
from reports.rules import DelayReason, Kind

SUBMITTED = dt.date(2026, 3, 16)


@pytest.mark.parametrize(
    ("reason", "years"),
    [(DelayReason.PAPER, 2), (DelayReason.PATENT, 3), (DelayReason.MONOGRAPH, 3), (DelayReason.KNOW_HOW, 5)],
)
def test_t3_each_maximum_delay_exactly_and_one_day_more(reason, years):
    exactly = SUBMITTED.replace(year=SUBMITTED.year + years)
    assert rules.latest_release(SUBMITTED, reason) == exactly
    assert rules.release_errors(submitted_on=SUBMITTED, reason=reason, release_on=exactly) == {}
    errors = rules.release_errors(submitted_on=SUBMITTED, reason=reason, release_on=exactly + dt.timedelta(days=1))
    assert "REPORTS §12(1)" in errors["release_on"] and exactly.isoformat() in errors["release_on"]


def test_t3_a_delayed_report_needs_a_reason_and_a_date_after_submission():
    assert "delay_reason" in rules.release_errors(submitted_on=SUBMITTED, reason="", release_on=SUBMITTED)
    assert "release_on" in rules.release_errors(submitted_on=SUBMITTED, reason=DelayReason.PAPER, release_on=None)
    assert "release_on" in rules.release_errors(submitted_on=SUBMITTED, reason=DelayReason.PAPER, release_on=SUBMITTED)


def test_t3_a_delay_from_29_february_ends_on_28_february():
    assert rules.latest_release(dt.date(2028, 2, 29), DelayReason.PAPER) == dt.date(2030, 2, 28)


@pytest.mark.parametrize(
    ("level", "allowed"), [("", True), ("secret", True), ("confidential", False), ("top_secret", False)]
)
def test_t4_a_classified_report_is_secret_at_most(level, allowed):
    error = rules.level_error(level)
    assert (error == "") is allowed
    if not allowed:
        assert "REPORTS §12(2)" in error


@pytest.mark.django_db
def test_t7_the_extension_deadline_is_15_working_days_before_release_across_the_holidays():
    """REPORTS §19: release on Friday 16 October 2026. Counting back 15 working days skips the
    National Day holiday (1–7 October) and the Mid-autumn days (25–27 September) and counts the
    working Saturday 10 October and the working Sunday 20 September, so the last day to lodge an
    extension is Sunday 20 September; Monday 21 September is 14 working days before."""
    release = dt.date(2026, 10, 16)
    deadline = rules.extension_deadline(release, calendar.is_working_day)
    assert deadline == dt.date(2026, 9, 20)
    assert calendar.add_working_days(release, -14) == dt.date(2026, 9, 21)


def test_t1_a_plan_of_three_years_has_two_annual_reports_and_the_final():
    plan = rules.report_plan(dt.date(2027, 1, 1), dt.date(2029, 12, 31))
    assert [(item.kind, item.due_on) for item in plan] == [
        (Kind.ANNUAL, dt.date(2027, 12, 31)),
        (Kind.ANNUAL, dt.date(2028, 12, 31)),
        (Kind.FINAL, dt.date(2029, 12, 31)),
    ]


def test_t1_progress_reports_from_two_years_only():
    two_years = rules.report_plan(dt.date(2027, 1, 1), dt.date(2028, 12, 31))
    assert [item.kind for item in two_years] == [Kind.ANNUAL, Kind.FINAL]
    shorter = rules.report_plan(dt.date(2027, 1, 1), dt.date(2028, 12, 30))
    assert [item.kind for item in shorter] == [Kind.FINAL]


def test_t2_numbers_access_codes_and_citation():
    assert rules.report_number("12100000400000624D", "2027YFA0100100", 7) == "12100000400000624D-2027YFA0100100-007"
    assert rules.access_code("public") == "公开"
    assert rules.access_code("delayed", release_on=dt.date(2028, 3, 16)) == "延期公开（2028年3月16日公开）"
    assert rules.access_code("classified", mark="秘密★5年") == "秘密★5年"
    text = rules.citation(
        authors=["张三", "李四", "王五", "赵六"], title="某材料研究", unit="某大学", year=2027, number="X-1-001"
    )
    assert text == "张三, 李四, 王五, 等. 某材料研究[R]. 某大学, 2027. 报告编号: X-1-001."


def test_keywords_three_to_eight_split_as_typed():
    assert rules.split_keywords("合成生物学；基因编辑,酶\n酶") == ["合成生物学", "基因编辑", "酶"]
    assert rules.keyword_error(["a", "b"])
    assert rules.keyword_error(["a", "b", "c"]) == ""
    assert rules.keyword_error([str(n) for n in range(8)]) == ""
    assert "GB/T 7713.3-2014" in rules.keyword_error([str(n) for n in range(9)])
