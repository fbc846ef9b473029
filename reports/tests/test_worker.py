"""The release sweep through a real Celery worker (T7 — REPORTS §19): delayed reports confirmed
in the past (the clock is moved back while they are filed and confirmed) become public at their
release date, each exactly once, with the people concerned told; one whose date lies ahead stays
closed."""

from __future__ import annotations

import datetime as dt
import time

import pytest
import time_machine
from django.utils import timezone

from core import tasks
from core.models import AuditEvent, Obligation
from core.testing import celery_worker, wait_for
from projects.tests.factories import ProjectFactory
from reports import selectors
from reports.models import TechReport
from reports.rules import Access, DelayReason
from reports.tests.builders import confirmed, people

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


def test_the_worker_releases_each_due_report_once_and_nothing_early():
    project = ProjectFactory()
    who = people(project)
    today = timezone.localdate()
    with time_machine.travel(timezone.now() - dt.timedelta(days=400), tick=False):
        due = [
            confirmed(
                project,
                who=who,
                title=f"到期报告{n}",
                access=Access.DELAYED,
                delay_reason=DelayReason.PAPER,
                release_on=today - dt.timedelta(days=n + 1),
            )
            for n in range(3)
        ]
        later = confirmed(
            project, who=who, title="未到期报告", access=Access.DELAYED, delay_reason=DelayReason.KNOW_HOW,
            release_on=today + dt.timedelta(days=30),
        )  # fmt: skip
    assert (
        not selectors.public_reports()
        .filter(pk__in=[report.pk for report in due])
        .filter(released_at__isnull=False)
        .exists()
    )

    with celery_worker() as worker:

        def all_released() -> bool:
            tasks.deadlines_sweep.apply_async(queue=worker.queue)
            time.sleep(0.5)
            return (
                TechReport.objects.filter(pk__in=[report.pk for report in due], released_at__isnull=False).count() == 3
            )

        wait_for(all_released, timeout=90, interval=0)
        tasks.deadlines_sweep.apply_async(queue=worker.queue).get(timeout=30)  # beat keeps sweeping
        time.sleep(1)

    for report in due:
        report.refresh_from_db()
        assert report.is_public and report.release_basis == "expired"
        assert AuditEvent.objects.filter(action="tech_report.release", object_id=str(report.pk)).count() == 1
    later.refresh_from_db()
    assert later.released_at is None
    assert Obligation.objects.filter(kind="tech_report_release", state="done").count() == 3
    assert Obligation.objects.filter(kind="tech_report_release", state="open").count() == 1
