"""The deadline engine in-process: reminders at each offset exactly once, escalation, timers,
completion and waiving, moving, email retries. (The real-worker crash test is in
test_deadlines_worker.py.)"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError

from accounts.tests.factories import UserFactory
from core.deadlines import dispatch
from core.deadlines import services as deadlines
from core.exceptions import StateConflict
from core.models import AuditEvent, DeadlineDispatch, EmailDelivery, Notification, Obligation
from core.tests import deadline_kinds  # noqa: F401 - registers the test kinds
from core.tests.deadline_helpers import FlakyEmailBackend, run_sweep
from projects.tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
CREATED = dt.datetime(2026, 9, 1, 10, 0, tzinfo=SHANGHAI)
DUE = dt.datetime(2026, 11, 30, 23, 59, 59, tzinfo=SHANGHAI)


@pytest.fixture
def people():
    project = ProjectFactory()
    unit_admin = UserFactory(organisation=project.lead_unit, roles=["unit_admin"])
    agency_user = UserFactory(organisation=project.managing_agency, roles=["agency"])
    outsider = UserFactory(roles=["unit_admin"])
    return {
        "project": project,
        "leader": project.leader,
        "unit_admin": unit_admin,
        "agency": agency_user,
        "outsider": outsider,
    }


@pytest.fixture
def obligation(people):
    with time_machine.travel(CREATED, tick=False):
        return deadlines.obligation_create(
            target=people["project"],
            kind="test_report",
            period="2026",
            due_at=DUE,
            title="2026年度执行情况报告",
            responsible_users=[people["leader"]],
            responsible_role="unit_admin",
            responsible_organisation=people["project"].lead_unit,
            escalation_role="agency",
            escalation_organisation=people["project"].managing_agency,
            managing_organisation=people["project"].managing_agency,
            link="/deadlines/",
        )


def at(month, day, hour=9, minute=0, second=0):
    return dt.datetime(2026, month, day, hour, minute, second, tzinfo=SHANGHAI)


def titles(user):
    return list(Notification.objects.filter(recipient=user).order_by("id").values_list("title", flat=True))


def test_reminders_go_out_at_each_offset_exactly_once(obligation, people, django_capture_on_commit_callbacks):
    leader, unit_admin, agency, outsider = people["leader"], people["unit_admin"], people["agency"], people["outsider"]
    steps = [
        (at(10, 30, 8, 59), 0),  # one minute before the 30-day reminder (Oct 31 is a Saturday)
        (at(10, 30), 1),
        (at(10, 30, 9, 1), 0),  # a second sweep sends nothing again
        (at(11, 23), 1),  # 7 days before
        (at(11, 23), 0),
        (at(11, 27), 1),  # 1 day before, moved from Sunday Nov 29 to Friday
        (at(11, 30, 23, 59, 58), 0),
        (DUE, 1),  # the due moment: overdue notice
        (at(12, 1), 0),
        (at(12, 20), 0),
    ]
    sent = 0
    for moment, new in steps:
        run_sweep(moment, django_capture_on_commit_callbacks)
        sent += new
        assert DeadlineDispatch.objects.filter(state="done").count() == sent, moment
        assert len(titles(leader)) == sent, moment
    assert titles(leader) == [
        "距截止还有 31 天：2026年度执行情况报告",
        "距截止还有 7 天：2026年度执行情况报告",
        "距截止还有 3 天：2026年度执行情况报告",
        "已逾期：2026年度执行情况报告",
    ]
    assert titles(unit_admin) == titles(leader)  # the role within the lead unit
    assert titles(agency) == ["已逾期，请督促：2026年度执行情况报告"]  # escalation only when overdue
    assert titles(outsider) == []  # same role, other organisation
    obligation.refresh_from_db()
    assert obligation.state == Obligation.State.OVERDUE
    assert AuditEvent.objects.filter(action="obligation.overdue", object_id=str(obligation.pk)).count() == 1
    assert EmailDelivery.objects.filter(state="sent").count() == 4 + 4 + 1
    assert len(mail.outbox) == 9
    assert "P6" in mail.outbox[0].body and "KRD-MGMT §42" in mail.outbox[0].body


def test_two_sweeps_at_once_enqueue_each_row_once(obligation, django_capture_on_commit_callbacks):
    enqueued: list[int] = []
    with time_machine.travel(at(10, 30, 9, 5), tick=False), django_capture_on_commit_callbacks(execute=True):
        first = dispatch.sweep(enqueue_dispatches=enqueued.extend, enqueue_emails=lambda ids: None)
        second = dispatch.sweep(enqueue_dispatches=enqueued.extend, enqueue_emails=lambda ids: None)
    assert (first.dispatches, second.dispatches) == (1, 0)
    assert enqueued == [obligation.dispatches.get(key="remind:30").pk]


def test_a_row_processed_twice_happens_once(obligation, people):
    row = obligation.dispatches.get(key="remind:30")
    assert dispatch.process_dispatch(row.pk, now=at(10, 30), enqueue_emails=lambda ids: None) is True
    assert dispatch.process_dispatch(row.pk, now=at(10, 30), enqueue_emails=lambda ids: None) is False
    assert len(titles(people["leader"])) == 1


def test_a_stale_enqueued_row_is_enqueued_again(obligation, settings, django_capture_on_commit_callbacks):
    settings.DEADLINE_REQUEUE_AFTER = 120
    enqueued: list[int] = []
    for moment in (at(10, 30, 9, 0), at(10, 30, 9, 1), at(10, 30, 9, 3)):  # its worker died: picked up again
        with time_machine.travel(moment, tick=False), django_capture_on_commit_callbacks(execute=True):
            dispatch.sweep(enqueue_dispatches=enqueued.extend, enqueue_emails=lambda ids: None)
    row = obligation.dispatches.get(key="remind:30")
    assert enqueued == [row.pk, row.pk]


def test_completed_before_due_sends_nothing_more(obligation, people, django_capture_on_commit_callbacks):
    run_sweep(at(10, 30), django_capture_on_commit_callbacks)
    with time_machine.travel(at(11, 2), tick=False):
        deadlines.obligation_complete(obligation=obligation, actor=people["leader"])
    for moment in (at(11, 23), at(11, 27), DUE, at(12, 31)):
        run_sweep(moment, django_capture_on_commit_callbacks)
    assert len(titles(people["leader"])) == 1
    assert titles(people["agency"]) == []
    obligation.refresh_from_db()
    assert obligation.state == Obligation.State.DONE
    assert not obligation.dispatches.filter(state="pending").exists()
    # Completing twice is harmless.
    deadlines.obligation_complete(obligation=obligation, actor=people["leader"])


def test_waived_sends_nothing(obligation, people, django_capture_on_commit_callbacks):
    with pytest.raises(ValidationError):
        deadlines.obligation_waive(obligation=obligation, reason="  ", actor=people["agency"])
    deadlines.obligation_waive(
        obligation=obligation, reason="项目执行不足3个月，下一年度一并上报", actor=people["agency"]
    )
    for moment in (at(10, 30), at(11, 23), DUE, at(12, 31)):
        run_sweep(moment, django_capture_on_commit_callbacks)
    assert Notification.objects.count() == 0
    assert len(mail.outbox) == 0
    with pytest.raises(StateConflict):
        deadlines.obligation_complete(obligation=obligation, actor=people["leader"])


def test_moving_the_due_moment_restarts_reminders(obligation, people, django_capture_on_commit_callbacks):
    run_sweep(at(11, 23), django_capture_on_commit_callbacks)  # the 30- and 7-day reminders, both due
    assert titles(people["leader"]) == ["距截止还有 7 天：2026年度执行情况报告"]  # only the latest is sent
    assert obligation.dispatches.get(key="remind:30").state == "cancelled"
    new_due = dt.datetime(2026, 12, 31, 23, 59, 59, tzinfo=SHANGHAI)
    with time_machine.travel(at(11, 24), tick=False):
        deadlines.obligation_move(obligation=obligation, due_at=new_due, reason="延期获批", actor=people["agency"])
    for moment in (at(11, 27), DUE, at(12, 24), at(12, 30), new_due):
        run_sweep(moment, django_capture_on_commit_callbacks)
    leader_titles = titles(people["leader"])
    assert leader_titles[-1] == "已逾期：2026年度执行情况报告"
    assert sum("已逾期" in title for title in leader_titles) == 1  # not at the old due moment
    assert AuditEvent.objects.filter(action="obligation.move").count() == 1


def test_reminders_are_not_sent_after_the_due_moment(obligation, people, django_capture_on_commit_callbacks):
    """After an outage spanning the due moment, the notice goes out, not "7 days left"."""
    run_sweep(at(12, 2), django_capture_on_commit_callbacks)
    assert titles(people["leader"]) == ["已逾期：2026年度执行情况报告"]
    assert set(obligation.dispatches.values_list("key", "state")) == {
        ("remind:30", "cancelled"),
        ("remind:7", "cancelled"),
        ("remind:1", "cancelled"),
        ("due", "done"),
    }


def test_timer_action_runs_once_and_closes_the_obligation(people, django_capture_on_commit_callbacks):
    with time_machine.travel(CREATED, tick=False):
        timer = deadlines.obligation_create(
            target=people["project"],
            kind="test_timer",
            due_at=DUE,
            title="延期公开到期",
            responsible_users=[people["leader"]],
        )
    run_sweep(DUE, django_capture_on_commit_callbacks)
    run_sweep(at(12, 1), django_capture_on_commit_callbacks)
    timer.refresh_from_db()
    assert timer.state == Obligation.State.DONE
    assert AuditEvent.objects.filter(action="test.fired", object_id=str(timer.pk)).count() == 1
    assert not Notification.objects.filter(title__contains="已逾期").exists()


def test_failed_email_is_retried_with_backoff_and_sent_once(obligation, settings, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "core.tests.deadline_helpers.FlakyEmailBackend"
    obligation.responsible_role = ""
    obligation.save(update_fields=["responsible_role"])
    FlakyEmailBackend.failures = 2
    run_sweep(at(10, 30), django_capture_on_commit_callbacks)
    delivery = EmailDelivery.objects.get()
    assert (delivery.state, delivery.attempts) == ("pending", 1)
    assert delivery.next_attempt_at == at(10, 30, 9, 1)  # one minute later
    run_sweep(at(10, 30, 9, 0, 30), django_capture_on_commit_callbacks)  # too early: not retried
    delivery.refresh_from_db()
    assert delivery.attempts == 1
    run_sweep(at(10, 30, 9, 1), django_capture_on_commit_callbacks)
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.next_attempt_at) == (2, at(10, 30, 9, 3))  # then two minutes
    run_sweep(at(10, 30, 9, 3), django_capture_on_commit_callbacks)
    run_sweep(at(10, 30, 9, 10), django_capture_on_commit_callbacks)
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == ("sent", 3)
    assert len(mail.outbox) == 1
    assert "ConnectionError" in delivery.last_error


@pytest.mark.parametrize(("attempts", "minutes"), [(1, 1), (2, 2), (3, 4), (6, 32), (7, 60), (12, 60)])
def test_email_backoff_doubles_up_to_an_hour(attempts, minutes):
    assert dispatch.email_backoff(attempts) == dt.timedelta(minutes=minutes)


def test_due_moment_helpers_use_the_official_calendar():
    assert deadlines.due_in_working_days(dt.date(2026, 2, 13), 20) == dt.datetime(
        2026, 3, 19, 23, 59, 59, tzinfo=SHANGHAI
    )
    assert deadlines.due_in_months(dt.date(2026, 11, 30), 3) == dt.datetime(2027, 2, 28, 23, 59, 59, tzinfo=SHANGHAI)
    assert deadlines.due_in_calendar_days(dt.date(2026, 11, 30), 1) == dt.datetime(
        2026, 12, 1, 23, 59, 59, tzinfo=SHANGHAI
    )


def test_naive_due_moment_is_refused(people):
    with pytest.raises(ValidationError):
        deadlines.obligation_create(
            target=people["project"],
            kind="test_report",
            due_at=dt.datetime(2026, 11, 30, 23, 59),  # noqa: DTZ001 - naive on purpose
            title="x",
        )


def test_ensure_is_idempotent(people):
    fields = {"due_at": DUE, "title": "年度报告", "responsible_users": [people["leader"]]}
    first, created = deadlines.obligation_ensure(target=people["project"], kind="test_report", period="2026", **fields)
    again, created_again = deadlines.obligation_ensure(
        target=people["project"], kind="test_report", period="2026", **fields
    )
    assert (created, created_again) == (True, False)
    assert first == again
