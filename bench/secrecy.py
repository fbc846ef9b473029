"""Need-to-know benchmark (S6 — SECRETS-LAW §16): the agency's proposal list when 100 000
proposals of its call are classified, for an agency user on the list of 1 000 of them and for
one on none. Query counts must not exceed those of the same page with nothing classified; the plan must answer the filter from the ``classification_in_force`` index."""

from __future__ import annotations

import statistics
import time

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test import Client

from accounts.models import Organisation
from accounts.tests.factories import OrganisationFactory, UserFactory
from bench.proposals import _continue_factory_sequences, copy_proposal
from projects import selectors as project_selectors
from projects.models import Proposal
from projects.tests.builders import complete_proposal, open_call
from secrecy import selectors
from secrecy.models import Authority
from secrecy.rules import Tier

CLASSIFIED = 100_000
ON_THE_LIST = 1_000


def _classify_all(call, authority: Authority, classifier) -> None:
    """One classification in force per proposal of the call, written in SQL."""
    content_type = ContentType.objects.get_for_model(Proposal)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO secrecy_classification (content_type_id, object_id, name, level, period_years, condition, "
            "start_date, expires_on, key_points, stage, authority_id, classifier_id, confirmed_classifiable, state, "
            "ending, created_at, updated_at) "
            "SELECT %s, p.id, '保密事项 ' || p.id, 'secret', 10, '', CURRENT_DATE, CURRENT_DATE + INTERVAL '10 years', "
            "'关键参数', 'establishment', %s, %s, true, 'active', '', now(), now() "
            "FROM projects_proposal p WHERE p.call_id = %s",
            [content_type.pk, authority.pk, classifier.pk, call.pk],
        )


def _grant(user, classifier, call, rows: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO secrecy_knowledgegrant (classification_id, user_id, reason, is_pending, granted_by_id, "
            "granted_at) SELECT c.id, %s, '工作需要', false, %s, now() FROM secrecy_classification c "
            "JOIN projects_proposal p ON p.id = c.object_id AND c.content_type_id = %s "
            "WHERE p.call_id = %s ORDER BY c.id LIMIT %s",
            [user.pk, classifier.pk, ContentType.objects.get_for_model(Proposal).pk, call.pk, rows],
        )


def _page(client: Client, url: str) -> tuple[list[float], int]:
    queries: list[str] = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        response = client.get(url)
    assert response.status_code == 200, response.status_code
    samples = []
    for _ in range(60):
        start = time.perf_counter()
        client.get(url)
        samples.append(time.perf_counter() - start)
    samples.sort()
    return samples, len(queries)


def need_to_know_list(median_seconds, report) -> None:
    _continue_factory_sequences()
    call = open_call()
    agency_org = call.special_project.managing_agency
    template = complete_proposal(call)
    Proposal.objects.filter(pk=template.pk).update(state=Proposal.State.RECEIVED)
    ministry = OrganisationFactory(kind=Organisation.Kind.MINISTRY)
    head = UserFactory(organisation=ministry, roles=["secrecy_officer"])
    authority = Authority.objects.create(organisation=ministry, tier=Tier.CENTRAL, head=head)
    on_list = UserFactory(organisation=agency_org, roles=["agency"])
    on_none = UserFactory(organisation=agency_org, roles=["agency"])

    started = time.perf_counter()
    copy_proposal(template, CLASSIFIED - 1)
    plain_client = Client()
    plain_client.force_login(on_none)
    plain_samples, plain_queries = _page(plain_client, "/proposals/")
    _classify_all(call, authority, head)
    _grant(on_list, head, call, ON_THE_LIST)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE projects_proposal; ANALYZE secrecy_classification; ANALYZE secrecy_knowledgegrant")
    print(
        f"{'':<58} ({CLASSIFIED} proposals classified, {ON_THE_LIST} granted, in {time.perf_counter() - started:.1f} s)"
    )
    report(
        f"GET /proposals/ (agency, {CLASSIFIED} proposals, none classified)",
        statistics.median(plain_samples),
        f"p95 {plain_samples[int(len(plain_samples) * 0.95) - 1] * 1000:.1f} ms, {plain_queries} queries",
    )

    counts = {}
    for label, user in (("on the list of 1 000", on_list), ("on no list", on_none)):
        client = Client()
        client.force_login(user)
        samples, queries = _page(client, "/proposals/")
        counts[label] = queries
        visible = project_selectors.proposals_for_user(user).filter(call=call).count()
        report(
            f"GET /proposals/ (agency {label})",
            statistics.median(samples),
            f"p95 {samples[int(len(samples) * 0.95) - 1] * 1000:.1f} ms, {queries} queries, {visible} proposals visible",
        )
        assert visible == (ON_THE_LIST if user is on_list else 0), visible
    # Constant: no more queries than the same page with nothing classified (an empty page runs
    # fewer, having no rows to fetch details for).
    assert max(counts.values()) <= plain_queries, (counts, plain_queries)

    query = selectors.need_to_know(Proposal.objects.filter(call=call), on_list).values("id")[:50]
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = [row[0] for row in cursor.fetchall()]
    indexed = [line.strip() for line in plan if "classification_in_force" in line or "grant_live_by_user" in line]
    print(f"{'':<58} plan of the filter uses: {'; '.join(indexed) or 'NO INDEX'}")
    assert indexed, "\n".join(plan)
