import socket

from celery import shared_task
from celery.signals import worker_ready

from core import services
from core.deadlines import dispatch


@shared_task(name="core.tasks.heartbeat")
def heartbeat(worker_name: str | None = None) -> None:
    """Record that a worker is alive (idempotent: one row per worker, upserted)."""
    services.worker_heartbeat_record(name=worker_name or f"celery@{socket.gethostname()}")


@worker_ready.connect
def _announce_worker(sender=None, **kwargs) -> None:
    services.worker_heartbeat_record(name=getattr(sender, "hostname", None) or f"celery@{socket.gethostname()}")


@shared_task(name="core.tasks.deadlines_sweep")
def deadlines_sweep() -> dict:
    """Beat, every minute: find due reminders, notices, timers and email retries; enqueue them."""
    result = dispatch.sweep()
    return {"dispatches": result.dispatches, "emails": result.emails}


@shared_task(name="core.tasks.deadlines_process")
def deadlines_process(dispatch_ids: list[int]) -> int:
    """Carry out a batch of due send-log rows, each in its own transaction, each once."""
    return sum(dispatch.process_dispatch(dispatch_id) for dispatch_id in dispatch_ids)


@shared_task(name="core.tasks.deadlines_send_emails")
def deadlines_send_emails(delivery_ids: list[int]) -> int:
    return sum(dispatch.send_email_delivery(delivery_id) for delivery_id in delivery_ids)
