import datetime as dt

import pytest
from django.utils import timezone

from core.models import WorkerHeartbeat

pytestmark = pytest.mark.django_db


def test_healthz_fails_without_a_worker_heartbeat(client):
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["broker"]["ok"] is True
    assert body["checks"]["worker"]["ok"] is False


def test_healthz_fails_on_a_stale_heartbeat(client, settings):
    WorkerHeartbeat.objects.create(
        name="celery@old", seen_at=timezone.now() - dt.timedelta(seconds=settings.WORKER_HEARTBEAT_MAX_AGE + 1)
    )
    assert client.get("/healthz").json()["checks"]["worker"]["ok"] is False


def test_healthz_is_green_with_a_recent_heartbeat(client):
    WorkerHeartbeat.objects.create(name="celery@fresh", seen_at=timezone.now())
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_heartbeat_is_registered_on_beat():
    from config.celery import app

    app.loader.import_default_modules()
    assert any(entry["task"] == "core.tasks.heartbeat" for entry in app.conf.beat_schedule.values())
