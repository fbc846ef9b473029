"""Helpers for tests that need real processes (a Celery worker on the test database)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.db import connection


def database_url_of_current_connection() -> str:
    """The URL of the database the tests use now (the test database, not the configured one)."""
    params = connection.settings_dict
    if connection.vendor != "postgresql":
        raise RuntimeError("A real worker needs the PostgreSQL test database.")
    user = params.get("USER") or "postgres"
    password = f":{params['PASSWORD']}" if params.get("PASSWORD") else ""
    host = params.get("HOST") or "127.0.0.1"
    port = params.get("PORT") or "5432"
    return f"postgres://{user}{password}@{host}:{port}/{params['NAME']}"


@contextlib.contextmanager
def celery_worker(*, beat: bool = False, timeout: float = 60.0) -> Iterator[str]:
    """Start ``celery worker`` on its own queue against the current test database and yield
    the queue name once it is ready. Stops it on exit."""
    queue = f"test-{uuid.uuid4().hex[:12]}"
    environment = {
        **os.environ,
        "DATABASE_URL": database_url_of_current_connection(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    base_dir = Path(settings.BASE_DIR)
    command = [
        sys.executable, "-m", "celery", "-A", "config", "worker",
        "--queues", queue, "--hostname", f"{queue}@%h", "--pool", "solo",
        "--concurrency", "1", "--loglevel", "INFO", "--without-gossip", "--without-mingle",
    ]  # fmt: skip
    if beat:
        command += ["--beat", "--schedule", str(base_dir / "var" / f"beat-{queue}")]
    log_path = base_dir / "var" / f"worker-{queue}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=base_dir, env=environment, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
        try:
            deadline = time.monotonic() + timeout
            while b"ready." not in log_path.read_bytes():
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"Celery worker did not start:\n{log_path.read_text(errors='replace')}")
                time.sleep(0.2)
            yield queue
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    log_path.unlink(missing_ok=True)


def wait_for(predicate, *, timeout: float = 30.0, interval: float = 0.2):
    """Poll ``predicate`` until it returns a truthy value; return it, or fail on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"Condition not met within {timeout} seconds")
