"""Due-moment arithmetic and reminder schedules: pure functions, the clock and the working-day
calendar passed in."""

from __future__ import annotations

import calendar as month_calendar
import datetime as dt
from collections.abc import Callable, Iterable
from zoneinfo import ZoneInfo

WorkingDayPredicate = Callable[[dt.date], bool]

# Reminders go out at this local time on their day, so nobody is woken at midnight.
REMINDER_HOUR = 9
DEFAULT_REMINDER_DAYS = (30, 7, 1)


def end_of_day(day: dt.date, tz: ZoneInfo) -> dt.datetime:
    """The last second of ``day`` in ``tz`` — a deadline "by <day>" means until that day ends."""
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=tz)


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus ``months`` calendar months; a day past the target month's end becomes its last
    day (31 January + 1 month = 28 or 29 February). ``months`` may be negative."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    last = month_calendar.monthrange(year, month)[1]
    return dt.date(year, month, min(day.day, last))


def due_after_calendar_days(start: dt.date, days: int, tz: ZoneInfo) -> dt.datetime:
    """ "Within N days" of ``start``: the end of the N-th calendar day after it."""
    return end_of_day(start + dt.timedelta(days=days), tz)


def due_after_months(start: dt.date, months: int, tz: ZoneInfo) -> dt.datetime:
    """ "Within N months" of ``start`` (e.g. A1/B8, acceptance within 3 months of the end):
    the end of the same day N months later, clamped to the month's end."""
    return end_of_day(add_months(start, months), tz)


def nth_working_day_after(start: dt.date, days: int, is_working_day: WorkingDayPredicate) -> dt.date:
    """The date ``days`` official working days after ``start`` (``start`` not counted)."""
    current = start
    step = dt.timedelta(days=1 if days >= 0 else -1)
    remaining = abs(days)
    while remaining:
        current += step
        if is_working_day(current):
            remaining -= 1
    return current


def due_after_working_days(start: dt.date, days: int, tz: ZoneInfo, is_working_day: WorkingDayPredicate) -> dt.datetime:
    """ "Within N working days" of ``start`` (e.g. S5, filing within 20 working days): the end
    of the N-th official working day after it."""
    return end_of_day(nth_working_day_after(start, days, is_working_day), tz)


def previous_working_day(day: dt.date, is_working_day: WorkingDayPredicate) -> dt.date:
    """``day`` itself when it is a working day, else the last working day before it."""
    while not is_working_day(day):
        day -= dt.timedelta(days=1)
    return day


def reminder_schedule(
    *,
    due_at: dt.datetime,
    reminder_days: Iterable[int],
    now: dt.datetime,
    tz: ZoneInfo,
    is_working_day: WorkingDayPredicate,
) -> list[tuple[str, dt.datetime]]:
    """``(key, moment)`` of the reminders of a due moment, as seen at ``now``.

    A reminder N days before falls at 09:00 local time on the N-th calendar day before the due
    date; when that day is a holiday or rest day it moves back to the working day before it, so
    people are told while offices are open. When an obligation is created (or moved) after some
    reminder moments have passed, the latest of those is sent at once — people learn of a new
    deadline — and the earlier ones are dropped. Nothing is reminded at or after the due moment.
    """
    if now >= due_at:
        return []
    due_local = due_at.astimezone(tz)
    ahead: list[tuple[str, dt.datetime]] = []
    missed: tuple[str, dt.datetime] | None = None
    for days in sorted({days for days in reminder_days if days > 0}, reverse=True):
        day = previous_working_day(due_local.date() - dt.timedelta(days=days), is_working_day)
        moment = dt.datetime.combine(day, dt.time(REMINDER_HOUR), tzinfo=tz)
        if moment >= due_at:
            continue
        if moment < now:
            missed = (f"remind:{days}", now)
        else:
            ahead.append((f"remind:{days}", moment))
    return ([missed] if missed else []) + ahead
