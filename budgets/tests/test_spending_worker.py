"""A large spending file is imported by a real Celery worker (design §5: scale imports run in
Celery with a progress indicator): the upload answers at once, the page polls the import's
state, and the worker applies every row — or, with one bad row, none."""

import contextlib
from decimal import Decimal

import pytest
from django.urls import reverse

from budgets.models import Expenditure, ExpenditureImport
from budgets.services import spending_import
from budgets.tests.builders import approved_budget
from budgets.tests.test_spending import csv_upload, lead_admin, row, subjects_of
from core.testing import celery_worker, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]

ROWS = 4000  # about 400 KiB: above the size imported in the request


def _large_file(budget, *, bad_row: int | None = None):
    subject = subjects_of(budget)[0]
    rows = [
        row(subject, amount="12.34", description=f"试剂采购 第{number}批 {'甲' * 40}", voucher=f"记-{number:05d}")
        for number in range(ROWS)
    ]
    if bad_row is not None:
        rows[bad_row][4] = "2026-12-31"  # booked before the year
    upload = csv_upload(rows, name="财务系统导出.csv")
    assert upload.size > spending_import.BACKGROUND_IMPORT_BYTES
    return upload


@contextlib.contextmanager
def worker_for_tasks():
    """A real worker on its own queue, and this process's tasks sent to it."""
    from config.celery import app

    default = app.conf.task_default_queue
    with celery_worker() as worker:
        app.conf.task_default_queue = worker.queue
        try:
            yield worker
        finally:
            app.conf.task_default_queue = default


def test_a_large_file_is_queued_and_applied_by_the_worker(client):
    budget = approved_budget()
    admin = lead_admin(budget)
    client.force_login(admin)
    with worker_for_tasks():
        response = client.post(
            reverse("budgets:spending_import", args=[budget.pk]), {"year": 2027, "file": _large_file(budget)}
        )
        assert response.status_code == 302
        record = ExpenditureImport.objects.get(budget=budget)
        assert record.state in (ExpenditureImport.State.QUEUED, ExpenditureImport.State.RUNNING, "applied")
        page = client.get(reverse("budgets:spending", args=[budget.pk])).content.decode()
        assert "import-status" in page
        done = wait_for(
            lambda: ExpenditureImport.objects.filter(pk=record.pk, state=ExpenditureImport.State.APPLIED).first(),
            timeout=120,
        )
    assert done.row_count == ROWS
    assert done.total == Decimal("12.34") * ROWS
    assert Expenditure.objects.filter(budget=budget).count() == ROWS
    assert not done.stored_file
    status = client.get(reverse("budgets:import_status", args=[budget.pk, record.pk]), headers={"HX-Request": "true"})
    assert status.headers.get("HX-Refresh") == "true"


def test_a_large_file_with_one_bad_row_imports_nothing_in_the_worker(client):
    budget = approved_budget()
    admin = lead_admin(budget)
    with worker_for_tasks():
        record = spending_import.expenditure_import_queue(
            actor=admin, budget=budget, year=2027, uploaded_file=_large_file(budget, bad_row=3999)
        )
        done = wait_for(
            lambda: ExpenditureImport.objects.filter(pk=record.pk, state=ExpenditureImport.State.REFUSED).first(),
            timeout=120,
        )
    assert Expenditure.objects.filter(budget=budget).count() == 0
    assert done.errors[0]["row"] == ROWS + 1  # the header is row 1
