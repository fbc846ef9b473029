"""The Chinese official working-day calendar (holidays and make-up working days).

Sources, in order of precedence: the admin-editable ``CalendarDay`` table (it extends and
overrides), then the ``chinesecalendar`` package (which has data up to 2026), then — for a
year with no data at all — Monday to Friday, which is *provisional* and marked as such
wherever it is shown until the year's official notice is entered.
"""

from __future__ import annotations

import datetime as dt
import functools

import chinese_calendar
from django.utils.translation import gettext_lazy as _

from core.deadlines.rules import nth_working_day_after
from core.models import CalendarDay

_LIBRARY_YEARS = range(
    min(day.year for day in chinese_calendar.holidays),
    max(day.year for day in chinese_calendar.holidays) + 1,
)


@functools.cache
def _library_exceptions(year: int) -> dict[dt.date, bool]:
    """The built-in data of one year: weekday holidays (False) and weekend make-up working
    days (True); every other day follows Monday–Friday."""
    exceptions = {day: False for day in chinese_calendar.holidays if day.year == year and day.weekday() < 5}
    exceptions.update({day: True for day in chinese_calendar.workdays if day.year == year and day.weekday() >= 5})
    return exceptions


class _Calendar:
    """Official working days, reading the override table once per year it is asked about."""

    def __init__(self) -> None:
        self._overrides: dict[int, dict[dt.date, bool]] = {}
        self._exceptions: dict[int, dict[dt.date, bool]] = {}

    def _overrides_of(self, year: int) -> dict[dt.date, bool]:
        if year not in self._overrides:
            self._overrides[year] = dict(
                CalendarDay.objects.filter(date__year=year).values_list("date", "is_working_day")
            )
        return self._overrides[year]

    def _exceptions_of(self, year: int) -> dict[dt.date, bool]:
        """Days of ``year`` that differ from Monday–Friday: built-in data, then overrides."""
        if year not in self._exceptions:
            merged = dict(_library_exceptions(year)) if year in _LIBRARY_YEARS else {}
            merged.update(self._overrides_of(year))
            self._exceptions[year] = merged
        return self._exceptions[year]

    def is_provisional(self, year: int) -> bool:
        return year not in _LIBRARY_YEARS and not self._overrides_of(year)

    def is_working_day(self, day: dt.date) -> bool:
        return self._exceptions_of(day.year).get(day, day.weekday() < 5)


def _as_date(value: dt.date | dt.datetime) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def is_working_day(day: dt.date) -> bool:
    """Whether ``day`` is an official working day."""
    return _Calendar().is_working_day(_as_date(day))


def is_provisional(year: int) -> bool:
    """Whether ``year`` has no calendar data, so Monday–Friday stands in for it."""
    return _Calendar().is_provisional(year)


def provisional_years(years: range) -> list[int]:
    calendar = _Calendar()
    return [year for year in years if calendar.is_provisional(year)]


def add_working_days(day: dt.date, n: int) -> dt.date:
    """The date ``n`` working days after ``day`` (``day`` itself not counted); ``n`` may be
    negative (before ``day``). With ``n == 0`` the answer is ``day``."""
    return nth_working_day_after(_as_date(day), n, _Calendar().is_working_day)


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days after ``start`` up to and including ``end``. When ``end`` is before
    ``start`` the answer is negative: minus the working days from ``end`` (included) up to
    ``start`` (excluded), so that ``working_days_between(d, add_working_days(d, n)) == n``."""
    calendar = _Calendar()
    start, end = _as_date(start), _as_date(end)
    one_day = dt.timedelta(days=1)
    if end >= start:
        days = (start + one_day * offset for offset in range(1, (end - start).days + 1))
        return sum(1 for day in days if calendar.is_working_day(day))
    days = (end + one_day * offset for offset in range((start - end).days))
    return -sum(1 for day in days if calendar.is_working_day(day))


PROVISIONAL_NOTE = _("provisional: Monday to Friday, the official calendar of this year has not been entered")
