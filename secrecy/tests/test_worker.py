"""Automatic declassification through a real Celery worker (S4 — SECRETS-LAW §19, SECRECY
§21): classifications decided in the past (the clock is moved back while they are decided) end
when their period is over, each exactly once, with the list told and the filing due; one whose
period has not ended stays classified."""

from __future__ import annotations

import datetime as dt
import time

import pytest
import time_machine
from django.utils import timezone

from accounts.tests.factories import UserFactory
from core import tasks
from core.models import AuditEvent, Notification, Obligation
from core.testing import celery_worker, wait_for
from projects.models import Project
from projects.tests.factories import ProjectFactory
from secrecy import selectors
from secrecy.models import Classification, Filing
from secrecy.rules import Level, Stage, Tier
from secrecy.tests.test_services import authority

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


def _classify(by, project, *, years: int, reader):
    from secrecy import services

    return services.classify(
        actor=by.officer,
        target=project,
        authority=by,
        name=f"项目{project.pk}的保密事项",
        level=Level.SECRET,
        period_years=years,
        key_points="关键参数",
        stage=Stage.ESTABLISHMENT,
        users=[reader],
        confirmed_classifiable=True,
    )


def test_the_worker_declassifies_what_is_due_once_and_nothing_else():
    city = authority(Tier.MUNICIPAL)
    reader = UserFactory()
    outsider = UserFactory(roles=["agency"])
    due_projects = [ProjectFactory() for _ in range(3)]
    later_project = ProjectFactory()
    today = timezone.localdate()
    with time_machine.travel(timezone.now() - dt.timedelta(days=2 * 366), tick=False):
        due = [_classify(city, project, years=1, reader=reader) for project in due_projects]
        later = _classify(city, later_project, years=10, reader=reader)
    assert all(classification.expires_on < today for classification in due)
    visible_before = set(selectors.need_to_know(Project.objects.all(), outsider).values_list("pk", flat=True))
    assert not visible_before & {project.pk for project in [*due_projects, later_project]}

    with celery_worker() as worker:

        def all_declassified() -> bool:
            tasks.deadlines_sweep.apply_async(queue=worker.queue)
            time.sleep(0.5)
            return Classification.objects.filter(state="declassified").count() == len(due)

        wait_for(all_declassified, timeout=90, interval=0)
        # Beat keeps sweeping: a second pass changes nothing.
        tasks.deadlines_sweep.apply_async(queue=worker.queue).get(timeout=30)
        time.sleep(1)

    for classification in due:
        classification.refresh_from_db()
        assert classification.ending == Classification.Ending.EXPIRED
        events = AuditEvent.objects.filter(action="classification.declassify", object_id=str(classification.pk))
        assert events.count() == 1
        assert Filing.objects.filter(classification=classification, event="declassification").count() == 1
    later.refresh_from_db()
    assert later.state == Classification.State.ACTIVE
    assert Obligation.objects.filter(kind="secrecy_expiry", state="done").count() == len(due)
    # The reader was told twice of each due one (put on the list, declassified), once of the other.
    for classification, told in [*((item, 2) for item in due), (later, 1)]:
        assert Notification.objects.filter(recipient=reader, title__contains=classification.name).count() == told
    visible_after = set(selectors.need_to_know(Project.objects.all(), outsider).values_list("pk", flat=True))
    assert {project.pk for project in due_projects} <= visible_after
    assert later_project.pk not in visible_after
