"""Official working days: holidays and make-up working days of the State Council notice."""

import datetime as dt

import pytest
import time_machine

from core import calendar
from core.models import CalendarDay
from core.services import calendar_day_set

pytestmark = pytest.mark.django_db

D = dt.date


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (D(2026, 2, 13), True),  # Friday before the Spring Festival
        (D(2026, 2, 14), True),  # Saturday, make-up working day
        (D(2026, 2, 15), False),  # Spring Festival holiday starts
        (D(2026, 2, 17), False),  # Tuesday inside the holiday
        (D(2026, 2, 23), False),  # last day of the holiday, a Monday
        (D(2026, 2, 24), True),  # back to work
        (D(2026, 2, 28), True),  # Saturday, make-up working day
        (D(2026, 9, 20), True),  # Sunday, make-up working day for National Day
        (D(2026, 10, 1), False),
        (D(2026, 10, 7), False),
        (D(2026, 10, 8), True),
        (D(2026, 10, 10), True),  # Saturday, make-up working day
        (D(2026, 10, 11), False),  # ordinary Sunday
    ],
)
def test_is_working_day_2026(day, expected):
    assert calendar.is_working_day(day) is expected


def test_add_working_days_across_the_spring_festival():
    assert calendar.add_working_days(D(2026, 2, 13), 1) == D(2026, 2, 14)
    assert calendar.add_working_days(D(2026, 2, 14), 1) == D(2026, 2, 24)
    assert calendar.add_working_days(D(2026, 2, 13), 2) == D(2026, 2, 24)
    assert calendar.add_working_days(D(2026, 2, 24), -1) == D(2026, 2, 14)
    assert calendar.add_working_days(D(2026, 2, 24), -2) == D(2026, 2, 13)
    assert calendar.add_working_days(D(2026, 2, 17), 0) == D(2026, 2, 17)


def test_add_working_days_across_national_day():
    assert calendar.add_working_days(D(2026, 9, 30), 1) == D(2026, 10, 8)
    assert calendar.add_working_days(D(2026, 10, 9), 1) == D(2026, 10, 10)
    assert calendar.add_working_days(D(2026, 10, 8), -1) == D(2026, 9, 30)


def test_twenty_working_days_counts_holidays_out():
    """S5 style deadline: 20 working days from the start of the Spring Festival week."""
    due = calendar.add_working_days(D(2026, 2, 13), 20)
    assert calendar.working_days_between(D(2026, 2, 13), due) == 20
    # Feb 14 (1), Feb 24–27 (2–5), Saturday Feb 28 (6), Mar 2–6 (7–11), Mar 9–13 (12–16), Mar 16–19 (17–20).
    assert due == D(2026, 3, 19)


def test_working_days_between():
    assert calendar.working_days_between(D(2026, 2, 13), D(2026, 2, 24)) == 2
    assert calendar.working_days_between(D(2026, 2, 14), D(2026, 2, 23)) == 0
    assert calendar.working_days_between(D(2026, 2, 24), D(2026, 2, 13)) == -2
    assert calendar.working_days_between(D(2026, 5, 5), D(2026, 5, 5)) == 0


@pytest.mark.parametrize("n", [-25, -7, -1, 0, 1, 5, 19, 20, 60])
def test_add_and_between_are_inverse(n):
    start = D(2026, 9, 18)
    assert calendar.working_days_between(start, calendar.add_working_days(start, n)) == n


def test_year_without_data_falls_back_to_monday_to_friday_and_is_provisional():
    assert calendar.is_provisional(2028)
    assert calendar.is_working_day(D(2028, 1, 3))  # Monday
    assert not calendar.is_working_day(D(2028, 1, 1))  # Saturday
    assert calendar.add_working_days(D(2028, 1, 7), 1) == D(2028, 1, 10)
    assert not calendar.is_provisional(2026)


def test_override_entered_for_2027_extends_the_calendar():
    # Before entry: 2027 has no data, Monday–Friday stands in.
    assert calendar.is_provisional(2027)
    assert calendar.is_working_day(D(2027, 2, 8))  # a Monday
    # The 2027 Spring Festival notice, entered by an administrator (a sample of its days).
    for day in (D(2027, 2, 8), D(2027, 2, 9), D(2027, 2, 10)):
        calendar_day_set(actor=None, date=day, is_working_day=False, name="春节")
    calendar_day_set(actor=None, date=D(2027, 2, 6), is_working_day=True, name="春节调休")

    assert not calendar.is_provisional(2027)
    assert not calendar.is_working_day(D(2027, 2, 8))
    assert calendar.is_working_day(D(2027, 2, 6))  # Saturday make-up working day
    assert calendar.add_working_days(D(2027, 2, 5), 1) == D(2027, 2, 6)
    assert calendar.add_working_days(D(2027, 2, 6), 1) == D(2027, 2, 11)


def test_override_wins_over_the_builtin_calendar():
    assert not calendar.is_working_day(D(2026, 10, 2))
    CalendarDay.objects.create(date=D(2026, 10, 2), is_working_day=True, name="correction")
    assert calendar.is_working_day(D(2026, 10, 2))


def test_calendar_change_is_audited():
    from core.models import AuditEvent

    calendar_day_set(actor=None, date=D(2027, 10, 1), is_working_day=False, name="国庆节")
    calendar_day_set(actor=None, date=D(2027, 10, 1), is_working_day=False, name="国庆节（更正）")
    events = AuditEvent.objects.filter(action="calendar.set_day").order_by("id")
    assert [event.changes for event in events] == [
        {"is_working_day": [None, False], "name": [None, "国庆节"]},
        {"name": ["国庆节", "国庆节（更正）"]},
    ]


@time_machine.travel(dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC), tick=False)
def test_provisional_year_warning_on_the_admin_dashboard(client, make_user):
    client.force_login(make_user("admin"))
    response = client.get("/admin/")
    content = response.content.decode()
    assert response.status_code == 200
    assert 'id="calendar-provisional-warning"' in content
    assert "2027" in content

    for day in (D(2027, 1, 1), D(2028, 1, 1)):
        calendar_day_set(actor=None, date=day, is_working_day=False, name="元旦")
    content = client.get("/admin/").content.decode()
    assert 'id="calendar-provisional-warning"' not in content


def test_builtin_years_agree_with_chinesecalendar_day_by_day():
    """The fast per-year table gives the same answer as the library for every day it covers."""
    import chinese_calendar

    official = calendar._Calendar()
    day = D(2004, 1, 1)
    while day.year <= 2026:
        assert official.is_working_day(day) is chinese_calendar.is_workday(day), day
        day += dt.timedelta(days=1)
