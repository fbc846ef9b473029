"""Due-moment arithmetic and reminder schedules (pure functions, no database)."""

import datetime as dt
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest

from core.deadlines import rules

SHANGHAI = ZoneInfo("Asia/Shanghai")
D = dt.date


def official(day: dt.date) -> bool:
    return chinese_calendar.is_workday(day)


def weekdays(day: dt.date) -> bool:
    return day.weekday() < 5


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (D(2026, 1, 31), 1, D(2026, 2, 28)),  # clamped to February's end
        (D(2028, 1, 31), 1, D(2028, 2, 29)),  # leap year
        (D(2026, 3, 31), 3, D(2026, 6, 30)),
        (D(2026, 8, 31), 3, D(2026, 11, 30)),
        (D(2026, 11, 30), 3, D(2027, 2, 28)),  # across the year end
        (D(2026, 12, 31), 2, D(2027, 2, 28)),
        (D(2026, 5, 15), 3, D(2026, 8, 15)),
        (D(2026, 5, 31), -3, D(2026, 2, 28)),
        (D(2026, 5, 15), 0, D(2026, 5, 15)),
        (D(2026, 1, 15), 24, D(2028, 1, 15)),
    ],
)
def test_add_months_clamps_to_the_month_end(start, months, expected):
    assert rules.add_months(start, months) == expected


def test_due_after_calendar_days_ends_at_the_end_of_the_day():
    due = rules.due_after_calendar_days(D(2026, 12, 25), 10, SHANGHAI)
    assert due == dt.datetime(2027, 1, 4, 23, 59, 59, tzinfo=SHANGHAI)


def test_due_after_months_within_three_months_of_the_end():
    """A1/B8 — acceptance materials within 3 months of a project ending 31 August."""
    assert rules.due_after_months(D(2026, 8, 31), 3, SHANGHAI) == dt.datetime(2026, 11, 30, 23, 59, 59, tzinfo=SHANGHAI)


def test_due_after_working_days_skips_the_spring_festival():
    """S5 — SECRECY §23: filed within 20 working days; the holiday week does not count."""
    due = rules.due_after_working_days(D(2026, 2, 13), 20, SHANGHAI, official)
    assert due == dt.datetime(2026, 3, 19, 23, 59, 59, tzinfo=SHANGHAI)
    assert rules.due_after_working_days(D(2026, 2, 13), 20, SHANGHAI, weekdays).date() == D(2026, 3, 13)


def test_due_after_working_days_across_national_day():
    due = rules.due_after_working_days(D(2026, 9, 30), 3, SHANGHAI, official)
    # Oct 1–7 holiday; Oct 8, 9 and the make-up Saturday Oct 10 are working days.
    assert due.date() == D(2026, 10, 10)


def test_previous_working_day():
    assert rules.previous_working_day(D(2026, 10, 5), official) == D(2026, 9, 30)
    assert rules.previous_working_day(D(2026, 10, 10), official) == D(2026, 10, 10)


NOW = dt.datetime(2026, 9, 1, 8, 0, tzinfo=SHANGHAI)


def test_reminders_at_30_7_1_days_at_nine_on_working_days():
    due = dt.datetime(2026, 11, 30, 23, 59, 59, tzinfo=SHANGHAI)
    schedule = rules.reminder_schedule(
        due_at=due, reminder_days=(30, 7, 1), now=NOW, tz=SHANGHAI, is_working_day=official
    )
    assert schedule == [
        ("remind:30", dt.datetime(2026, 10, 30, 9, 0, tzinfo=SHANGHAI)),  # Oct 31 is a Saturday
        ("remind:7", dt.datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI)),
        ("remind:1", dt.datetime(2026, 11, 27, 9, 0, tzinfo=SHANGHAI)),  # Nov 29 is a Sunday
    ]


def test_reminder_falling_in_a_holiday_moves_before_it():
    due = dt.datetime(2026, 10, 8, 17, 0, tzinfo=SHANGHAI)
    schedule = dict(
        rules.reminder_schedule(due_at=due, reminder_days=(7, 1), now=NOW, tz=SHANGHAI, is_working_day=official)
    )
    assert schedule["remind:7"].date() == D(2026, 9, 30)  # Oct 1 is National Day
    assert schedule["remind:1"].date() == D(2026, 9, 30)  # Oct 7 too


def test_late_obligation_gets_one_catch_up_reminder_now():
    due = dt.datetime(2026, 9, 6, 23, 59, 59, tzinfo=SHANGHAI)
    schedule = rules.reminder_schedule(
        due_at=due, reminder_days=(30, 7, 1), now=NOW, tz=SHANGHAI, is_working_day=official
    )
    assert schedule == [("remind:7", NOW), ("remind:1", dt.datetime(2026, 9, 4, 9, 0, tzinfo=SHANGHAI))]


def test_no_reminder_at_or_after_the_due_moment():
    due = dt.datetime(2026, 9, 1, 10, 0, tzinfo=SHANGHAI)
    schedule = rules.reminder_schedule(due_at=due, reminder_days=(1,), now=NOW, tz=SHANGHAI, is_working_day=official)
    assert schedule == [("remind:1", NOW)]
    assert rules.reminder_schedule(due_at=NOW, reminder_days=(1,), now=NOW, tz=SHANGHAI, is_working_day=official) == []
    # A reminder that would land after the due moment (09:00 on a due day at 08:30) is dropped.
    early = dt.datetime(2026, 9, 10, 8, 30, tzinfo=SHANGHAI)
    assert (
        rules.reminder_schedule(due_at=early, reminder_days=(0,), now=NOW, tz=SHANGHAI, is_working_day=official) == []
    )
