"""The benchmarks run by ``python -m bench``."""

from __future__ import annotations

import datetime as dt

from django.db import connection, transaction
from django.test import Client

from accounts.models import User
from bench.budgets import budget_page, budget_validation
from bench.deadlines import deadline_sweep
from bench.locks import concurrent_submit
from bench.proposals import agency_list, submission_burst
from bench.reports import release_sweep
from bench.reviews import review_assignment
from bench.secrecy import need_to_know_list
from bench.spending import spending_import
from core import audit, calendar
from core.models import AuditEvent


def working_days(median_seconds, report) -> None:
    """Deadline arithmetic: 20 and 250 working days across the 2026 holidays."""
    start = dt.date(2026, 1, 5)
    short = median_seconds(lambda: calendar.add_working_days(start, 20))
    long = median_seconds(lambda: calendar.add_working_days(start, 250))
    report("calendar.add_working_days(n=20)", short)
    report("calendar.add_working_days(n=250)", long, f"ratio 250/20 = {long / short:.1f}")


def audit_record(median_seconds, report) -> None:
    """Writing one audit event inside a transaction (rolled back)."""
    actor = User.objects.get(username="admin")

    def write() -> None:
        with transaction.atomic():
            audit.record(actor=actor, action="bench.write", target=actor, changes={"field": [1, 2]})
            transaction.set_rollback(True)

    report("audit.record (one event, PostgreSQL)", median_seconds(write, repeat=50))


def audit_list_page(median_seconds, report) -> None:
    """The audit trail page with a small and a large table: time and queries must not grow."""
    actor = User.objects.get(username="ministry")
    client = Client()
    client.force_login(actor)

    def grow_to(rows: int) -> None:
        missing = rows - AuditEvent.objects.filter(action="bench.row").count()
        if missing > 0:
            AuditEvent.objects.bulk_create(
                AuditEvent(actor=actor, actor_username=actor.username, action="bench.row", changes={"n": [None, i]})
                for i in range(missing)
            )

    results = {}
    for rows in (100, 20_000):
        grow_to(rows)
        queries: list[str] = []

        def count(execute, sql, params, many, context, log=queries):
            log.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            response = client.get("/audit/")
        assert response.status_code == 200, response.status_code
        seconds = median_seconds(lambda: client.get("/audit/"))
        results[rows] = seconds
        report(f"GET /audit/ with {rows:>6} events", seconds, f"({len(queries)} queries)")
    print(f"{'':<58} ratio 20000/100 = {results[20_000] / results[100]:.2f}")


ALL = [
    working_days,
    audit_record,
    audit_list_page,
    deadline_sweep,
    agency_list,
    submission_burst,
    concurrent_submit,
    budget_validation,
    budget_page,
    spending_import,
    review_assignment,
    need_to_know_list,
    release_sweep,
]
