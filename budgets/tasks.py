"""Celery tasks of the budgets: thin, idempotent wrappers over the services."""

from celery import shared_task

from budgets.services import spending_import


@shared_task(name="budgets.tasks.run_expenditure_import", acks_late=True)
def run_expenditure_import(record_id: int) -> str | None:
    """Import a queued spending file (all rows or none); safe to run twice."""
    record = spending_import.expenditure_import_run(record_id=record_id)
    return None if record is None else record.state
