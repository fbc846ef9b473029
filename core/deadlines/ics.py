"""The iCalendar feed of a user's deadlines (RFC 5545)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.utils import timezone
from icalendar import Alarm, Calendar, Event

from core.deadlines import registry
from core.models import Obligation


def render_feed(obligations: Iterable[Obligation], *, host: str) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//National S&T Program Management Portal//Deadlines//ZH")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", str(settings.PORTAL_NAME))
    calendar.add("x-wr-timezone", settings.TIME_ZONE)
    now = timezone.now()
    for obligation in obligations:
        event = Event()
        event.add("uid", f"obligation-{obligation.pk}@{host}")
        event.add("dtstamp", now)
        event.add("dtstart", obligation.due_at)
        event.add("dtend", obligation.due_at)
        event.add("summary", obligation.title)
        try:
            label = str(registry.kind(obligation.kind).label)
        except LookupError:
            label = obligation.kind
        event.add("description", f"{label} · {obligation.rule} {obligation.article}")
        event.add("status", "CONFIRMED")
        if obligation.link:
            event.add("url", f"{settings.PORTAL_BASE_URL.rstrip('/')}{obligation.link}")
        for days in obligation.reminder_days:
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", obligation.title)
            alarm.add("trigger", -dt.timedelta(days=days))
            event.add_component(alarm)
        calendar.add_component(event)
    return calendar.to_ical()
