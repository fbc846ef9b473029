"""State changes owned by core: the calendar table, notifications, worker heartbeats."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from core import audit
from core.locks import lock_first
from core.models import CalendarDay, Notification, WorkerHeartbeat


def worker_heartbeat_record(*, name: str) -> None:
    WorkerHeartbeat.objects.update_or_create(name=name, defaults={"seen_at": timezone.now()})


@transaction.atomic
def calendar_day_set(*, actor, date, is_working_day: bool, name: str = "") -> CalendarDay:
    """Enter or correct one day of the official calendar."""
    existing = lock_first(CalendarDay.objects.filter(date=date))
    before = audit.field_values(existing, ["is_working_day", "name"]) if existing else {}
    day, _created = CalendarDay.objects.update_or_create(
        date=date, defaults={"is_working_day": is_working_day, "name": name}
    )
    audit.record(
        actor=actor,
        action="calendar.set_day",
        target=day,
        changes=audit.diff(before, audit.field_values(day, ["is_working_day", "name"])),
    )
    return day


@transaction.atomic
def notifications_mark_read(*, user, ids: list[int] | None = None) -> int:
    """Mark the user's notifications read (all of them when ``ids`` is None)."""
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(id__in=ids)
    return unread.update(read_at=timezone.now())
