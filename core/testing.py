"""Helpers for tests that need real processes (a Celery worker on the test database)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
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


@dataclass
class WorkerHandle:
    queue: str
    process: subprocess.Popen
    log_path: Path

    def kill(self) -> None:
        """SIGKILL the worker and its pool processes, as a crash would."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=20)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@contextlib.contextmanager
def celery_worker(
    *,
    queue: str | None = None,
    concurrency: int = 1,
    environment: dict[str, str] | None = None,
    timeout: float = 60.0,
) -> Iterator[WorkerHandle]:
    """Start ``celery worker`` on its own queue against the current test database and yield
    its handle once it is ready. Stops it on exit (unless it was killed)."""
    queue = queue or f"test-{uuid.uuid4().hex[:12]}"
    variables = {
        **os.environ,
        "DATABASE_URL": database_url_of_current_connection(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        # Files the test stored (uploads) are where the worker looks for them.
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        **(environment or {}),
    }
    base_dir = Path(settings.BASE_DIR)
    pool = ["--pool", "solo"] if concurrency == 1 else ["--pool", "prefork", "--concurrency", str(concurrency)]
    command = [
        sys.executable, "-m", "celery", "-A", "config", "worker",
        "--queues", queue, "--hostname", f"{queue}-{uuid.uuid4().hex[:6]}@%h", *pool,
        "--loglevel", "INFO", "--without-gossip", "--without-mingle", "--without-heartbeat",
    ]  # fmt: skip
    log_path = base_dir / "var" / f"worker-{queue}-{uuid.uuid4().hex[:6]}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603
            command, cwd=base_dir, env=variables, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        handle = WorkerHandle(queue=queue, process=process, log_path=log_path)
        try:
            deadline = time.monotonic() + timeout
            while b"ready." not in log_path.read_bytes():
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"Celery worker did not start:\n{handle.log()}")
                time.sleep(0.2)
            yield handle
        finally:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    handle.kill()
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
