"""The deadline sweep over 100 000 open obligations of which 10 000 are due."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from config.celery import app as celery_app
from core.deadlines import dispatch
from core.models import DeadlineDispatch, Obligation
from projects.models import Project

OBLIGATIONS = 100_000
DUE = 10_000
BENCH_QUEUE = "bench-deadlines"


def _generate(now: dt.datetime) -> None:
    """Obligations and their send-log rows made in SQL (a data generator, not the service)."""
    project = Project.objects.order_by("id").first()
    content_type = ContentType.objects.get_for_model(Project)
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE core_deadlinedispatch, core_emaildelivery, core_obligation RESTART IDENTITY CASCADE")
        cursor.execute(
            """
            INSERT INTO core_obligation (content_type_id, object_id, kind, period, title, rule, article, due_at,
                state, responsible_role, escalation_role, reminder_days, action, link, created_at, waived_reason)
            SELECT %s, %s, 'annual_report', 'bench-' || n, 'bench obligation ' || n, 'P6', 'KRD-MGMT §42',
                %s::timestamptz + (n || ' minutes')::interval, 'open', '', '', '[30, 7, 1]', '', '', %s, ''
            FROM generate_series(1, %s) AS n
            """,
            [content_type.pk, str(project.pk), now + dt.timedelta(days=8), now, OBLIGATIONS],
        )
        # Each obligation has four rows (30, 7, 1 days before and the due notice); for DUE of
        # them the 30-day reminder is due now, for the others everything lies ahead.
        cursor.execute(
            """
            INSERT INTO core_deadlinedispatch (obligation_id, key, due_at, scheduled_at, state, recipient_count)
            SELECT o.id, k.key, o.due_at,
                CASE WHEN k.key = 'remind:30' AND o.id <= %s THEN %s::timestamptz - interval '1 minute'
                     ELSE o.due_at - k.before END,
                'pending', 0
            FROM core_obligation o
            CROSS JOIN (VALUES ('remind:30', interval '30 days'), ('remind:7', interval '7 days'),
                               ('remind:1', interval '1 day'), ('due', interval '0')) AS k(key, before)
            WHERE o.id > 0 AND (k.key <> 'remind:30' OR o.id <= %s)
            """,
            [DUE, now, DUE],
        )
        cursor.execute("ANALYZE core_obligation; ANALYZE core_deadlinedispatch")


def deadline_sweep(median_seconds, report) -> None:
    now = timezone.now()
    _generate(now)
    open_count = Obligation.objects.filter(state="open").count()
    rows = DeadlineDispatch.objects.count()
    print(f"{'':<58} {open_count} open obligations, {rows} send-log rows")

    stale = now - dt.timedelta(seconds=settings.DEADLINE_REQUEUE_AFTER)
    find = (
        DeadlineDispatch.objects.filter(state=DeadlineDispatch.State.PENDING, scheduled_at__lte=now)
        .filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=stale))
        .order_by("scheduled_at")
        .values_list("id", flat=True)
    )
    print("EXPLAIN of the find step:")
    for line in find.explain(analyze=True).splitlines():
        print("    " + line)

    messages: list[int] = []

    def enqueue(ids: list[int]) -> None:
        celery_app.send_task("core.tasks.deadlines_process", args=[ids], queue=BENCH_QUEUE)
        messages.append(len(ids))

    def reset() -> None:
        DeadlineDispatch.objects.filter(enqueued_at__isnull=False).update(enqueued_at=None)

    def run() -> None:
        messages.clear()
        result = dispatch.sweep(now=now, enqueue_dispatches=enqueue, enqueue_emails=enqueue)
        assert result.dispatches == DUE, result

    queries: list[str] = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        run()
    samples = []
    for _ in range(5):
        reset()
        samples.append(median_seconds(run, repeat=1, warmup=0))
    seconds = sorted(samples)[len(samples) // 2]
    report(
        f"sweep: find and enqueue {DUE} of {OBLIGATIONS} obligations",
        seconds,
        f"({len(queries)} queries, {len(messages)} task messages of ≤{dispatch.BATCH_SIZE} rows)",
    )
    claim_samples = []
    for _ in range(5):
        reset()

        def claim_only() -> None:
            with transaction.atomic():
                dispatch._claim_due(DeadlineDispatch, "scheduled_at", now=now, stale=stale, limit=50_000)

        claim_samples.append(median_seconds(claim_only, repeat=1, warmup=0))
    claim = sorted(claim_samples)[len(claim_samples) // 2]
    report("  of which: find and stamp (one UPDATE … RETURNING)", claim, f"ratio to whole sweep {claim / seconds:.2f}")
    with celery_app.connection_for_write() as broker:
        broker.default_channel.queue_purge(BENCH_QUEUE)
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE core_deadlinedispatch, core_emaildelivery, core_obligation RESTART IDENTITY CASCADE")
