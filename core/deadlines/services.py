"""State changes of obligations: create, complete, move, waive — each audited."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import audit
from core.calendar import _Calendar
from core.deadlines import registry, rules
from core.exceptions import StateConflict
from core.locks import lock
from core.models import CalendarFeedToken, DeadlineDispatch, Obligation


def local_timezone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def due_in_calendar_days(start: dt.date, days: int) -> dt.datetime:
    return rules.due_after_calendar_days(start, days, local_timezone())


def due_in_months(start: dt.date, months: int) -> dt.datetime:
    return rules.due_after_months(start, months, local_timezone())


def due_in_working_days(start: dt.date, days: int) -> dt.datetime:
    return rules.due_after_working_days(start, days, local_timezone(), _Calendar().is_working_day)


def due_on(day: dt.date) -> dt.datetime:
    """A deadline "by <day>": the end of that day, local time."""
    return rules.end_of_day(day, local_timezone())


def _schedule(obligation: Obligation, *, now: dt.datetime) -> int:
    """Create the send-log rows of the obligation's current due moment (idempotent)."""
    schedule = rules.reminder_schedule(
        due_at=obligation.due_at,
        reminder_days=obligation.reminder_days,
        now=now,
        tz=local_timezone(),
        is_working_day=_Calendar().is_working_day,
    )
    schedule.append(("action" if obligation.action else "due", obligation.due_at))
    rows = [
        DeadlineDispatch(obligation=obligation, key=key, due_at=obligation.due_at, scheduled_at=moment)
        for key, moment in schedule
    ]
    DeadlineDispatch.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def _cancel_pending(obligation: Obligation) -> int:
    return obligation.dispatches.filter(state=DeadlineDispatch.State.PENDING).update(
        state=DeadlineDispatch.State.CANCELLED
    )


def _lock(obligation: Obligation) -> Obligation:
    return lock(Obligation, obligation.pk)


@transaction.atomic
def obligation_create(
    *,
    target: models.Model,
    kind: str,
    due_at: dt.datetime,
    title: str,
    period: str = "",
    responsible_users: Iterable = (),
    responsible_role: str = "",
    responsible_organisation=None,
    escalation_users: Iterable = (),
    escalation_role: str = "",
    escalation_organisation=None,
    managing_organisation=None,
    reminder_days: Iterable[int] | None = None,
    link: str = "",
    actor=None,
    now: dt.datetime | None = None,
) -> Obligation:
    """Create an obligation of a registered kind and schedule its reminders and due notice
    (or its timer action). Refuses a naive due moment."""
    if timezone.is_naive(due_at):
        raise ValidationError(_("A due moment needs a time zone."))
    definition = registry.kind(kind)
    obligation = Obligation.objects.create(
        content_type=ContentType.objects.get_for_model(target, for_concrete_model=False),
        object_id=str(target.pk),
        kind=kind,
        period=period,
        title=title[:300],
        rule=definition.rule,
        article=definition.article,
        due_at=due_at,
        responsible_role=responsible_role,
        responsible_organisation=responsible_organisation,
        escalation_role=escalation_role,
        escalation_organisation=escalation_organisation,
        managing_organisation=managing_organisation,
        reminder_days=sorted(set(definition.reminder_days if reminder_days is None else reminder_days), reverse=True),
        action=definition.action,
        link=link,
    )
    obligation.responsible_users.set(list(responsible_users))
    obligation.escalation_users.set(list(escalation_users))
    _schedule(obligation, now=now or timezone.now())
    audit.record(
        actor=actor,
        action="obligation.create",
        target=obligation,
        rule=definition.rule,
        changes={"kind": [None, kind], "due_at": [None, due_at], "title": [None, obligation.title]},
    )
    return obligation


def obligation_ensure(*, target: models.Model, kind: str, period: str, **fields) -> tuple[Obligation, bool]:
    """The obligation of ``target`` of this kind and period, created when missing (safe to
    call again and from concurrent sweeps)."""
    content_type = ContentType.objects.get_for_model(target, for_concrete_model=False)
    lookup = {"content_type": content_type, "object_id": str(target.pk), "kind": kind, "period": period}
    existing = Obligation.objects.filter(**lookup).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            return obligation_create(target=target, kind=kind, period=period, **fields), True
    except IntegrityError:
        return Obligation.objects.get(**lookup), False


@transaction.atomic
def obligation_complete(*, obligation: Obligation, actor=None, now: dt.datetime | None = None) -> Obligation:
    """The obligation was met: no more reminders. Completing twice changes nothing."""
    obligation = _lock(obligation)
    if obligation.state == Obligation.State.DONE:
        return obligation
    if obligation.state == Obligation.State.WAIVED:
        raise StateConflict(_("A waived obligation cannot be completed."), code="obligation_waived")
    before = obligation.state
    obligation.state = Obligation.State.DONE
    obligation.closed_at = now or timezone.now()
    obligation.save(update_fields=["state", "closed_at"])
    _cancel_pending(obligation)
    audit.record(
        actor=actor,
        action="obligation.complete",
        target=obligation,
        rule=obligation.rule,
        changes={"state": [before, obligation.state]},
    )
    return obligation


@transaction.atomic
def obligation_waive(*, obligation: Obligation, reason: str, actor=None, now: dt.datetime | None = None) -> Obligation:
    """The obligation no longer applies (e.g. P6: a project under 3 months old reports next
    year). A reason is required."""
    if not reason.strip():
        raise ValidationError({"reason": [_("Waiving an obligation needs a reason.")]})
    obligation = _lock(obligation)
    if not obligation.is_active:
        raise StateConflict(_("Only an open or overdue obligation can be waived."), code="obligation_closed")
    before = obligation.state
    obligation.state = Obligation.State.WAIVED
    obligation.waived_reason = reason.strip()
    obligation.closed_at = now or timezone.now()
    obligation.save(update_fields=["state", "waived_reason", "closed_at"])
    _cancel_pending(obligation)
    audit.record(
        actor=actor,
        action="obligation.waive",
        target=obligation,
        rule=obligation.rule,
        changes={"state": [before, obligation.state], "waived_reason": [None, obligation.waived_reason]},
    )
    return obligation


@transaction.atomic
def obligation_move(
    *, obligation: Obligation, due_at: dt.datetime, reason: str, actor=None, now: dt.datetime | None = None
) -> Obligation:
    """Move the due moment (an approved extension, a corrected date): reminders start again for
    the new moment; an overdue obligation moved into the future is open again."""
    if timezone.is_naive(due_at):
        raise ValidationError(_("A due moment needs a time zone."))
    now = now or timezone.now()
    obligation = _lock(obligation)
    if not obligation.is_active:
        raise StateConflict(_("Only an open or overdue obligation can be moved."), code="obligation_closed")
    before = {"due_at": obligation.due_at, "state": obligation.state}
    obligation.due_at = due_at
    if obligation.state == Obligation.State.OVERDUE and due_at > now:
        obligation.state = Obligation.State.OPEN
    obligation.save(update_fields=["due_at", "state"])
    _cancel_pending(obligation)
    _schedule(obligation, now=now)
    audit.record(
        actor=actor,
        action="obligation.move",
        target=obligation,
        rule=obligation.rule,
        changes={
            **audit.diff(before, {"due_at": obligation.due_at, "state": obligation.state}),
            "reason": [None, reason],
        },
    )
    return obligation


def obligations_open(target: models.Model, *, kinds: Iterable[str] | None = None) -> models.QuerySet[Obligation]:
    """The open or overdue obligations of ``target`` (only of ``kinds`` when given)."""
    obligations = Obligation.objects.filter(
        content_type=ContentType.objects.get_for_model(target, for_concrete_model=False),
        object_id=str(target.pk),
        state__in=[Obligation.State.OPEN, Obligation.State.OVERDUE],
    )
    return obligations if kinds is None else obligations.filter(kind__in=list(kinds))


def obligations_complete(*, target: models.Model, kinds: Iterable[str] | None = None, actor=None) -> int:
    """Complete the open or overdue obligations of ``target`` (of ``kinds``); how many."""
    done = 0
    for obligation in obligations_open(target, kinds=kinds):
        obligation_complete(obligation=obligation, actor=actor)
        done += 1
    return done


def timer_set(
    *,
    target: models.Model,
    kind: str,
    due_at: dt.datetime | None,
    title: str,
    link: str = "",
    move_reason: str,
    waive_reason: str = "",
) -> Obligation | None:
    """The one timer of ``kind`` on ``target`` (its action runs at ``due_at``): created when
    missing, moved when the moment changed, waived when there is no moment any more."""
    existing = obligations_open(target, kinds=[kind]).first()
    if due_at is None:
        if existing is not None:
            obligation_waive(obligation=existing, reason=waive_reason)
        return None
    if existing is not None:
        if existing.due_at != due_at:
            obligation_move(obligation=existing, due_at=due_at, reason=move_reason)
        return existing
    return obligation_create(
        target=target, kind=kind, period=str(target.pk), due_at=due_at, title=title, reminder_days=(), link=link
    )


def calendar_feed_token_for(user) -> CalendarFeedToken:
    """The user's feed token, created on first use."""
    feed, _created = CalendarFeedToken.objects.get_or_create(user=user, defaults={"token": secrets.token_urlsafe(32)})
    return feed


@transaction.atomic
def calendar_feed_token_reset(*, user) -> CalendarFeedToken:
    """A new secret URL; the old one answers 404 from now on."""
    feed = calendar_feed_token_for(user)
    feed.token = secrets.token_urlsafe(32)
    feed.save(update_fields=["token"])
    audit.record(actor=user, action="calendar_feed.reset", target=feed)
    return feed
