"""A real Celery worker on Redis: the task writes a row, the test sees it."""

import pytest
from django.conf import settings

from core.models import WorkerHeartbeat
from core.tasks import heartbeat
from core.testing import celery_worker, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


def test_broker_is_redis_in_the_test_run():
    assert settings.CELERY_BROKER_URL.startswith("redis://")


def test_task_round_trip_through_a_real_worker():
    with celery_worker() as worker:
        heartbeat.apply_async(args=["probe-round-trip"], queue=worker.queue)
        row = wait_for(lambda: WorkerHeartbeat.objects.filter(name="probe-round-trip").first())
    assert row.seen_at is not None
    # The worker also announced itself when it became ready.
    assert WorkerHeartbeat.objects.filter(name__startswith=worker.queue).exists()


def test_healthz_is_green_with_a_worker_running(client):
    with celery_worker() as worker:
        wait_for(lambda: WorkerHeartbeat.objects.filter(name__startswith=worker.queue).exists())
        response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert body["checks"]["database"]["vendor"] == "postgresql"
    assert body["checks"]["broker"]["transport"] == "redis"
    assert body["checks"]["worker"]["ok"] is True
