import socket

from celery import shared_task
from celery.signals import worker_ready

from core import services


@shared_task(name="core.tasks.heartbeat")
def heartbeat(worker_name: str | None = None) -> None:
    """Record that a worker is alive (idempotent: one row per worker, upserted)."""
    services.worker_heartbeat_record(name=worker_name or f"celery@{socket.gethostname()}")


@worker_ready.connect
def _announce_worker(sender=None, **kwargs) -> None:
    services.worker_heartbeat_record(name=getattr(sender, "hostname", None) or f"celery@{socket.gethostname()}")
