"""With a real Celery worker on Redis: 1 000 obligations fall due, the worker is SIGKILLed in
the middle of the work and a new one started; afterwards every reminder, due notice and timer
action has happened exactly once."""

import datetime as dt
import time
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone

from accounts.tests.factories import UserFactory
from core import tasks
from core.deadlines import services as deadlines
from core.models import AuditEvent, DeadlineDispatch, EmailDelivery, Notification, Obligation
from core.testing import celery_worker, wait_for
from core.tests import deadline_kinds  # noqa: F401 - registers the test kinds
from projects.tests.factories import ProjectFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]

TIMERS, NOTICES, REMINDERS = 400, 300, 300  # 1 000 obligations


def _delivered_messages(folder: Path) -> int:
    return sum(file.read_text(errors="replace").count("\nSubject: ") for file in folder.glob("*.log"))


def test_exactly_once_through_a_worker_crash(tmp_path):
    # Given 1 000 obligations made 40 days ago that fall due now: 400 timers whose action runs,
    # 300 whose due notice goes out (and escalates), 300 whose 7-day reminder goes out.
    project = ProjectFactory()
    leader = project.leader
    agency = UserFactory(organisation=project.managing_agency, roles=["agency"])
    now = timezone.now()
    groups = [
        ("test_timer", TIMERS, now - dt.timedelta(minutes=1), []),
        ("test_report", NOTICES, now - dt.timedelta(minutes=1), []),
        ("test_report", REMINDERS, now + dt.timedelta(days=3), [7]),
    ]
    with time_machine.travel(now - dt.timedelta(days=40), tick=False):
        for group, (kind, count, due, reminder_days) in enumerate(groups):
            for number in range(count):
                deadlines.obligation_create(
                    target=project,
                    kind=kind,
                    period=f"{group}-{number}",
                    due_at=due,
                    title=f"事项{group}-{number}",
                    responsible_users=[leader],
                    escalation_users=[agency],
                    reminder_days=reminder_days,
                )
    expected = TIMERS + NOTICES + REMINDERS
    assert DeadlineDispatch.objects.filter(state="pending", scheduled_at__lte=now).count() == expected

    mail_folder = tmp_path / "mail"
    mail_folder.mkdir()
    environment = {
        "DEADLINE_REQUEUE_AFTER": "3",
        "CELERY_EXTRA_IMPORTS": "core.tests.deadline_kinds",
        "EMAIL_URL": f"filemail:///{mail_folder}",  # four slashes: an absolute path
    }

    # When the sweep runs in a worker that is SIGKILLed in the middle of the work…
    with celery_worker(concurrency=2, environment=environment) as first:
        tasks.deadlines_sweep.apply_async(queue=first.queue)
        wait_for(lambda: DeadlineDispatch.objects.filter(state="done").count() >= expected // 4, timeout=120)
        first.kill()
    assert DeadlineDispatch.objects.filter(state="done").count() < expected, "finished before the kill"

    # …and a new worker takes over while beat keeps sweeping,
    with celery_worker(queue=first.queue, concurrency=2, environment=environment) as second:

        def everything_done() -> bool:
            tasks.deadlines_sweep.apply_async(queue=second.queue)
            time.sleep(1)
            return not (
                DeadlineDispatch.objects.filter(state="pending", scheduled_at__lte=now).exists()
                or EmailDelivery.objects.filter(state="pending").exists()
            )

        wait_for(everything_done, timeout=240, interval=0)

    # Then every due row of the send log happened once, and so did every side effect.
    assert DeadlineDispatch.objects.filter(state="done").count() == expected
    assert not DeadlineDispatch.objects.filter(state="cancelled").exists()
    assert Notification.objects.filter(recipient=leader).count() == NOTICES + REMINDERS
    assert Notification.objects.filter(recipient=agency).count() == NOTICES
    fired = list(AuditEvent.objects.filter(action="test.fired").values_list("object_id", flat=True))
    assert len(fired) == TIMERS == len(set(fired))
    assert Obligation.objects.filter(kind="test_timer", state="done").count() == TIMERS
    assert Obligation.objects.filter(state="overdue").count() == NOTICES
    assert AuditEvent.objects.filter(action="obligation.overdue").count() == NOTICES

    emails = EmailDelivery.objects.count()
    assert emails == REMINDERS + 2 * NOTICES
    assert EmailDelivery.objects.filter(state="sent").count() == emails
    # SMTP cannot be made exactly-once: a send in flight when the worker died (at most one per
    # pool process) may go out again. Everything else was delivered once.
    assert emails <= _delivered_messages(mail_folder) <= emails + 2
