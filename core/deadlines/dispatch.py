"""The sweep and the dispatch of reminders, due notices and timer actions.

Every minute beat runs ``sweep``: one indexed query finds the send-log rows that are due (and
email deliveries waiting for a retry), marks them enqueued and hands them to workers in
batches. A worker claims each row with ``SELECT … FOR UPDATE SKIP LOCKED`` and a pending→done
update in the same transaction as its side effects, so a row happens exactly once however
often it is enqueued; a row whose worker died is enqueued again by a later sweep once it has
been waiting ``DEADLINE_REQUEUE_AFTER`` seconds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.mail import send_mail
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core import audit
from core.deadlines import registry
from core.locks import lock, locked
from core.models import DeadlineDispatch, EmailDelivery, Notification, Obligation
from core.roles import users_with_role

BATCH_SIZE = 200
MAX_EMAIL_ATTEMPTS = 8


@dataclass(frozen=True)
class SweepResult:
    dispatches: int
    emails: int
    batches: int


def _batches(ids: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), BATCH_SIZE):
        yield ids[start : start + BATCH_SIZE]


def sweep(
    *,
    now: dt.datetime | None = None,
    limit: int = 50_000,
    enqueue_dispatches: Callable[[list[int]], None] | None = None,
    enqueue_emails: Callable[[list[int]], None] | None = None,
) -> SweepResult:
    """Find what is due and enqueue it. Safe to run twice at once: rows are claimed with
    SKIP LOCKED, and a row enqueued twice is still processed once."""
    from core import tasks

    now = now or timezone.now()
    enqueue_dispatches = enqueue_dispatches or (lambda ids: tasks.deadlines_process.delay(ids))
    enqueue_emails = enqueue_emails or (lambda ids: tasks.deadlines_send_emails.delay(ids))
    stale = now - dt.timedelta(seconds=settings.DEADLINE_REQUEUE_AFTER)
    with transaction.atomic():
        dispatch_ids = _claim_due(DeadlineDispatch, "scheduled_at", now=now, stale=stale, limit=limit)
        email_ids = _claim_due(EmailDelivery, "next_attempt_at", now=now, stale=stale, limit=limit)
        batches = [*_batches(dispatch_ids)]
        email_batches = [*_batches(email_ids)]

        def enqueue() -> None:
            for batch in batches:
                enqueue_dispatches(batch)
            for batch in email_batches:
                enqueue_emails(batch)

        transaction.on_commit(enqueue)
    return SweepResult(dispatches=len(dispatch_ids), emails=len(email_ids), batches=len(batches) + len(email_batches))


def _claim_due(model, moment_field: str, *, now: dt.datetime, stale: dt.datetime, limit: int) -> list[int]:
    """Ids of the pending rows whose moment has come and that are not waiting in a queue,
    stamped as enqueued at ``now``. One indexed query (the partial index on pending rows);
    on PostgreSQL the find and the stamp are one statement."""
    due = (
        model.objects.filter(state="pending", **{f"{moment_field}__lte": now})
        .filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=stale))
        .order_by(moment_field)
    )
    if connection.vendor == "postgresql":
        find_sql, find_params = due.values("id")[:limit].query.sql_with_params()
        table = model._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET enqueued_at = %s WHERE id IN ({find_sql} FOR UPDATE SKIP LOCKED) RETURNING id",  # noqa: S608 - table name from the model, values bound
                [now, *find_params],
            )
            return [row[0] for row in cursor.fetchall()]
    ids = list(locked(due, skip_locked=True, order_by=(moment_field,)).values_list("id", flat=True)[:limit])
    if ids:
        model.objects.filter(id__in=ids).update(enqueued_at=now)
    return ids


def _active_users(direct, role: str, organisation_id: int | None) -> dict[int, AbstractBaseUser]:
    users = {user.pk: user for user in direct.filter(is_active=True)}
    for user in users_with_role(organisation_id=organisation_id, role=role):
        users[user.pk] = user
    return users


def responsible_users(obligation: Obligation) -> list[AbstractBaseUser]:
    """Who must act: the named users and the holders of the role within the unit."""
    return list(
        _active_users(
            obligation.responsible_users, obligation.responsible_role, obligation.responsible_organisation_id
        ).values()
    )


def escalation_users(obligation: Obligation) -> list[AbstractBaseUser]:
    """Who is told when the obligation is overdue."""
    return list(
        _active_users(
            obligation.escalation_users, obligation.escalation_role, obligation.escalation_organisation_id
        ).values()
    )


def _due_text(obligation: Obligation) -> str:
    due = timezone.localtime(obligation.due_at)
    return _("Due %(due)s. Rule %(rule)s, %(article)s.") % {
        "due": due.strftime("%Y-%m-%d %H:%M"),
        "rule": obligation.rule,
        "article": obligation.article,
    }


def _messages(
    dispatch: DeadlineDispatch, obligation: Obligation, now: dt.datetime
) -> list[tuple[list[AbstractBaseUser], str, str]]:
    """(recipients, title, body) of a reminder or due notice."""
    body = _due_text(obligation)
    if dispatch.key.startswith("remind:"):
        days = (timezone.localtime(obligation.due_at).date() - timezone.localdate(now)).days
        if days > 0:
            title = _("Deadline in %(days)d days: %(title)s") % {"days": days, "title": obligation.title}
        else:
            title = _("Deadline today: %(title)s") % {"title": obligation.title}
        return [(responsible_users(obligation), title, body)]
    overdue_title = _("Overdue: %(title)s") % {"title": obligation.title}
    escalation_title = _("Overdue, for your attention: %(title)s") % {"title": obligation.title}
    responsible = responsible_users(obligation)
    known = {user.pk for user in responsible}
    escalation = [user for user in escalation_users(obligation) if user.pk not in known]
    return [(responsible, overdue_title, body), (escalation, escalation_title, body)]


def _is_superseded(dispatch: DeadlineDispatch, now: dt.datetime) -> bool:
    """A reminder is not sent once its due moment has come, nor when a later reminder of the
    same due moment is due too (after an outage people get one reminder, the latest)."""
    if not dispatch.key.startswith("remind:"):
        return False
    if now >= dispatch.due_at:
        return True
    return (
        DeadlineDispatch.objects.filter(
            obligation_id=dispatch.obligation_id,
            due_at=dispatch.due_at,
            key__startswith="remind:",
            scheduled_at__gt=dispatch.scheduled_at,
            scheduled_at__lte=now,
        )
        .exclude(pk=dispatch.pk)
        .exists()
    )


def process_dispatch(
    dispatch_id: int,
    *,
    now: dt.datetime | None = None,
    enqueue_emails: Callable[[list[int]], None] | None = None,
) -> bool:
    """Carry out one send-log row exactly once. Returns whether this call did it. Its emails
    are handed to ``enqueue_emails`` (by default the email task) after commit."""
    now = now or timezone.now()
    # Stored texts are written in the portal's language, whoever triggered the work.
    with translation.override(settings.LANGUAGE_CODE), transaction.atomic():
        dispatch = locked(
            DeadlineDispatch.objects.filter(pk=dispatch_id, state=DeadlineDispatch.State.PENDING), skip_locked=True
        ).first()
        if dispatch is None:
            return False
        obligation = lock(Obligation, dispatch.obligation_id)
        if not obligation.is_active or dispatch.due_at != obligation.due_at or _is_superseded(dispatch, now):
            dispatch.state = DeadlineDispatch.State.CANCELLED
            dispatch.done_at = now
            dispatch.save(update_fields=["state", "done_at"])
            return False

        deliveries: list[EmailDelivery] = []
        if dispatch.key == "action":
            registry.action(obligation.action)(obligation)
            obligation.state = Obligation.State.DONE
            obligation.closed_at = now
            obligation.save(update_fields=["state", "closed_at"])
            audit.record(
                actor=None,
                action=f"obligation.action.{obligation.action}",
                target=obligation,
                rule=obligation.rule,
                changes={"state": ["open", "done"]},
            )
            recipient_count = 0
        else:
            if dispatch.key == "due" and obligation.state == Obligation.State.OPEN:
                obligation.state = Obligation.State.OVERDUE
                obligation.save(update_fields=["state"])
                audit.record(
                    actor=None,
                    action="obligation.overdue",
                    target=obligation,
                    rule=obligation.rule,
                    changes={"state": ["open", "overdue"]},
                )
            recipient_count = 0
            for recipients, title, body in _messages(dispatch, obligation, now):
                Notification.objects.bulk_create(
                    Notification(recipient=user, title=title[:200], body=body, link=obligation.link, created_at=now)
                    for user in recipients
                )
                link = f"{settings.PORTAL_BASE_URL.rstrip('/')}{obligation.link}" if obligation.link else ""
                deliveries += [
                    EmailDelivery(
                        dispatch=dispatch,
                        recipient=user,
                        address=user.email,
                        subject=f"[{settings.PORTAL_NAME}] {title}"[:300],
                        body=f"{body}\n\n{link}".strip(),
                        next_attempt_at=now,
                        enqueued_at=now,
                    )
                    for user in recipients
                    if user.email
                ]
                recipient_count += len(recipients)

        dispatch.state = DeadlineDispatch.State.DONE
        dispatch.done_at = now
        dispatch.recipient_count = recipient_count
        dispatch.save(update_fields=["state", "done_at", "recipient_count"])
        if deliveries:
            # This row was claimed exclusively, so its deliveries cannot exist yet.
            ids = [delivery.pk for delivery in EmailDelivery.objects.bulk_create(deliveries)]
            if enqueue_emails is None:
                from core import tasks

                enqueue_emails = tasks.deadlines_send_emails.delay
            transaction.on_commit(lambda: enqueue_emails(ids))
    return True


def email_backoff(attempts: int) -> dt.timedelta:
    """1, 2, 4 … minutes after each failure, at most an hour."""
    return dt.timedelta(seconds=min(60 * 2 ** max(attempts - 1, 0), 3600))


def send_email_delivery(delivery_id: int, *, now: dt.datetime | None = None) -> bool:
    """Send one pending email. A failure is retried by a later sweep with backoff; a sent row is
    never sent again."""
    now = now or timezone.now()
    with transaction.atomic():
        delivery = locked(
            EmailDelivery.objects.filter(pk=delivery_id, state=EmailDelivery.State.PENDING, next_attempt_at__lte=now),
            skip_locked=True,
        ).first()
        if delivery is None:
            return False
        try:
            send_mail(
                subject=delivery.subject,
                message=delivery.body,
                from_email=settings.DEFAULT_FROM_EMAIL,
                recipient_list=[delivery.address],
            )
        except Exception as error:  # noqa: BLE001 - any transport error is retried later
            delivery.attempts += 1
            delivery.last_error = f"{type(error).__name__}: {error}"[:2000]
            delivery.next_attempt_at = now + email_backoff(delivery.attempts)
            delivery.enqueued_at = None
            if delivery.attempts >= MAX_EMAIL_ATTEMPTS:
                delivery.state = EmailDelivery.State.FAILED
            delivery.save(update_fields=["attempts", "last_error", "next_attempt_at", "enqueued_at", "state"])
            return False
        delivery.attempts += 1
        delivery.state = EmailDelivery.State.SENT
        delivery.sent_at = now
        delivery.save(update_fields=["attempts", "state", "sent_at"])
    return True
