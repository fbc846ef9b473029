"""Report depository benchmarks (T7, T6 — REPORTS §18–§19).

1. The release sweep: 100 000 confirmed delayed reports, each with its release timer in the
   deadline engine, of which 10 000 are due. The sweep finds the due timers with one indexed
   query and hands them out in batches; each release is then carried out per row (lock, update,
   audit event, notices, timer done) in batches — no Python loop over the 100 000.
2. The public search over the same 100 000 reports (trigram index): median and p95.

The rows are generated in SQL (a data generator, not the services)."""

from __future__ import annotations

import datetime as dt
import statistics
import time

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.utils import timezone

from bench.proposals import _continue_factory_sequences
from core.deadlines import dispatch
from core.models import DeadlineDispatch
from projects.models import Project
from reports import selectors
from reports.models import TechReport
from reports.tests.builders import confirmed, people

REPORTS = 100_000
DUE = 10_000
SAMPLE_BATCHES = 5  # the releases carried out here: 5 batches of 200 (the workers' share of one sweep)
TOPICS = ["高温合金", "海洋微生物", "量子通信", "合成生物学", "人工智能", "新能源汽车", "稀土材料", "深海探测"]


def _generate(project: Project, template: TechReport, now: dt.datetime) -> None:
    today = timezone.localdate(now)
    content_type = ContentType.objects.get_for_model(TechReport)
    topics = "ARRAY[" + ", ".join(f"'{topic}'" for topic in TOPICS) + "]"
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM reports_techreport")
        first_id = cursor.fetchone()[0] + 1
        cursor.execute(
            f"""
            INSERT INTO reports_techreport (project_id, kind, title, title_en, abstract, abstract_en, keywords, authors,
                compiled_on, related_papers, related_patents, file, access, delay_reason, release_on, secret_level,
                number, state, created_by_id, submitted_on, confirmed_at, returned_reason, release_basis,
                publication_note, search_text, created_at, updated_at)
            SELECT project_id, kind, ({topics})[1 + n %% 8] || '研究报告 ' || n, title_en, abstract, abstract_en,
                keywords, authors, compiled_on, '', '', file, 'delayed', 'paper',
                CASE WHEN n <= %s THEN %s::date - 1 ELSE %s::date + 200 + n %% 300 END, '',
                'BENCH-' || %s || '-' || n, 'confirmed', created_by_id, submitted_on, now(), '', '', '',
                lower(({topics})[1 + n %% 8] || '研究报告 ' || n || ' ' || abstract || ' ' || keywords::text),
                now(), now()
            FROM reports_techreport, generate_series(1, %s) AS n WHERE id = %s
            """,  # noqa: S608 - fixed vocabulary
            [DUE, today, today, first_id, REPORTS, template.pk],
        )
        cursor.execute(
            """
            INSERT INTO core_obligation (content_type_id, object_id, kind, period, title, rule, article, due_at,
                state, responsible_role, escalation_role, reminder_days, action, link, created_at, waived_reason)
            SELECT %s, r.id::text, 'tech_report_release', r.id::text, 'release ' || r.number, 'T7', 'REPORTS §19',
                (r.release_on::timestamp AT TIME ZONE 'Asia/Shanghai'), 'open', '', '', '[]', 'reports.release', '', now(), ''
            FROM reports_techreport r WHERE r.id >= %s
            """,
            [content_type.pk, first_id],
        )
        cursor.execute(
            """
            INSERT INTO core_deadlinedispatch (obligation_id, key, due_at, scheduled_at, state, recipient_count)
            SELECT o.id, 'action', o.due_at, o.due_at, 'pending', 0 FROM core_obligation o
            WHERE o.kind = 'tech_report_release' AND o.object_id::bigint >= %s
            """,
            [first_id],
        )
        cursor.execute("ANALYZE reports_techreport; ANALYZE core_obligation; ANALYZE core_deadlinedispatch")


def release_sweep(median_seconds, report) -> None:
    _continue_factory_sequences()
    project = Project.objects.order_by("id").first()
    who = people(project)
    template = confirmed(project, who=who, title="模板报告")
    now = timezone.now()
    started = time.perf_counter()
    _generate(project, template, now)
    print(f"{'':<58} ({REPORTS} delayed reports with their timers generated in {time.perf_counter() - started:.1f} s)")

    batches: list[list[int]] = []
    queries: list[str] = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    start = time.perf_counter()
    with connection.execute_wrapper(count):
        result = dispatch.sweep(now=now, enqueue_dispatches=batches.append, enqueue_emails=lambda ids: None)
    find_seconds = time.perf_counter() - start
    assert result.dispatches >= DUE, result
    report(
        f"release sweep: find {DUE} due of {REPORTS} delayed reports",
        find_seconds,
        f"({len(queries)} queries, {len(batches)} batches of ≤{dispatch.BATCH_SIZE}, single run)",
    )
    find = (
        DeadlineDispatch.objects.filter(state=DeadlineDispatch.State.PENDING, scheduled_at__lte=now)
        .order_by("scheduled_at")
        .values_list("id", flat=True)
    )
    plan = find.explain()
    print(f"{'':<58} plan of the find step: {plan.splitlines()[0].strip()[:100]}")

    queries.clear()
    start = time.perf_counter()
    with connection.execute_wrapper(count):
        released = sum(
            dispatch.process_dispatch(dispatch_id) for ids in batches[:SAMPLE_BATCHES] for dispatch_id in ids
        )
    process_seconds = time.perf_counter() - start
    public = TechReport.objects.filter(number__startswith="BENCH-", released_at__isnull=False).count()
    report(
        f"release: carry out {released} of the {DUE} releases (per row, in batches)",
        process_seconds,
        f"({len(queries)} queries, {len(queries) / max(released, 1):.1f} per report, "
        f"{released / process_seconds:.0f} reports/s, single run; {public} now public)",
    )

    public_reports = selectors.public_reports(None)
    for term in ("合金", "海洋微生物", "研究报告 12345", "不存在的词"):
        samples = []
        for _ in range(40):
            start = time.perf_counter()
            page = list(selectors.search(public_reports, term).order_by("-id")[:20])
            total = selectors.search(public_reports, term).count()
            samples.append(time.perf_counter() - start)
        samples.sort()
        report(
            f"public search “{term}” over {REPORTS} reports",
            statistics.median(samples),
            f"p95 {samples[int(len(samples) * 0.95) - 1] * 1000:.1f} ms, {total} hits, first page {len(page)}",
        )
