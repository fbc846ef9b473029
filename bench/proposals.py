"""Establishment benchmarks: the agency's proposal list with 20 000 proposals in a call, and a
burst of 2 000 submissions through the API in the last minutes before the deadline."""

from __future__ import annotations

import datetime as dt
import http.client
import json
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from django.core.handlers.wsgi import WSGIHandler
from django.db import connection
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token

from accounts.tests.factories import UserFactory
from core.models import AuditEvent
from projects.models import Call, Proposal
from projects.tests.builders import complete_proposal, open_call

LIST_ROWS = 20_000
BURST = 2_000


def _continue_factory_sequences() -> None:
    """The bench database keeps earlier runs' rows: number new factory rows after them."""
    from accounts.models import Organisation, User
    from accounts.tests.factories import OrganisationFactory
    from projects.models import SpecialProject
    from projects.tests.factories import CallFactory, SpecialProjectFactory

    OrganisationFactory.reset_sequence(Organisation.objects.count() + 1)
    UserFactory.reset_sequence(User.objects.count() + 1)
    SpecialProjectFactory.reset_sequence(SpecialProject.objects.count() + 1)
    CallFactory.reset_sequence(Call.objects.count() + 1)


def copy_proposal(template: Proposal, rows: int) -> None:
    """Copies of one proposal as received, made in SQL (a data generator, not the service)."""
    columns = [f.column for f in Proposal._meta.concrete_fields if f.column not in ("id", "pre_proposal_id")]
    selected = ", ".join("'received'" if c == "state" else "'副本 ' || n" if c == "title" else c for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO projects_proposal ({', '.join(columns)}) "  # noqa: S608 - column names from the model
            f"SELECT {selected} FROM projects_proposal, generate_series(1, %s) AS n WHERE id = %s",
            [rows, template.pk],
        )


def agency_list(median_seconds, report) -> None:
    _continue_factory_sequences()
    call = open_call()
    agency = UserFactory(organisation=call.special_project.managing_agency, roles=["agency"])
    template = complete_proposal(call)
    copy_proposal(template, LIST_ROWS)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE projects_proposal")
    client = Client()
    client.force_login(agency)
    queries: list[str] = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        response = client.get("/proposals/")
    assert response.status_code == 200
    samples = []
    for _ in range(200):
        start = time.perf_counter()
        client.get("/proposals/")
        samples.append(time.perf_counter() - start)
    samples.sort()
    p95 = samples[int(len(samples) * 0.95) - 1]
    report(
        f"GET /proposals/ (agency, {LIST_ROWS} proposals in the call)",
        statistics.median(samples),
        f"p95 {p95 * 1000:.1f} ms over 200 requests, {len(queries)} queries",
    )


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


def submission_burst(median_seconds, report) -> None:
    """Every proposal is submitted twice at once: one must pass, the other must be refused."""
    _continue_factory_sequences()
    call = open_call(deadline_step=Call.DeadlineStep.APPLICANT)
    tokens = []
    started = time.perf_counter()
    for number in range(BURST):
        applicant = UserFactory(roles=["applicant"])
        proposal = complete_proposal(
            call,
            applicant=applicant,
            leader_id=f"9{number:017d}",
            subject_leader_id_prefix=f"8{number:013d}",
            subjects=1,
        )
        tokens.append((Token.objects.create(user=applicant).key, proposal.pk))
    print(f"{'':<58} ({BURST} complete drafts made in {time.perf_counter() - started:.0f} s)")
    Call.objects.filter(pk=call.pk).update(closes_at=timezone.now() + dt.timedelta(minutes=3))

    server = make_server("127.0.0.1", 0, WSGIHandler(), server_class=_ThreadingServer, handler_class=_QuietHandler)
    port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()

    def submit(item):
        key, pk = item
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        conn.request(
            "POST", f"/api/v1/proposals/{pk}/submit/", headers={"Authorization": f"Token {key}", "Host": "localhost"}
        )
        response = conn.getresponse()
        body = response.read()
        conn.close()
        return response.status, json.loads(body or b"{}").get("code")

    work = [item for item in tokens for _ in range(2)]
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(submit, work))
    elapsed = time.perf_counter() - start
    server.shutdown()
    statuses = [status for status, _code in results]
    submitted = Proposal.objects.filter(call=call, state=Proposal.State.SUBMITTED).count()
    events = AuditEvent.objects.filter(action="proposal.submit", object_id__in=[str(pk) for _key, pk in tokens]).count()
    lost = BURST - submitted
    duplicated = events - submitted
    print(
        f"submission burst: {len(work)} POST submit/ for {BURST} proposals, 16 clients, one threaded WSGI process: "
        f"{elapsed:.1f} s, {len(work) / elapsed:.0f} requests/s, {BURST / elapsed:.0f} submissions/s; 200: {statuses.count(200)}, "
        f"409: {statuses.count(409)}, other: {len(statuses) - statuses.count(200) - statuses.count(409)}; "
        f"lost {lost}, duplicated {duplicated}"
    )
    assert lost == 0 and duplicated == 0, (lost, duplicated)
