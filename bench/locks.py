"""Deadline evening: applicants of one programme submit at once.

``proposal_submit`` holds its proposal's row lock through every eligibility and budget check.
If that lock also held a row the proposals share (the programme, the call), submissions of the
whole programme would queue one behind the other: eight connections would submit no faster
than one. The bench submits complete proposals of four calls of one programme, first from one
connection, then from eight at once (eight processes, each with its own PostgreSQL connection,
so Python's GIL does not serialise them), and prints each submit's median and p95 time and the
throughput of both, side by side.
"""

from __future__ import annotations

import multiprocessing
import statistics
import time

from django.db import connections

from accounts.tests.factories import UserFactory
from bench.proposals import _continue_factory_sequences
from projects import services
from projects.models import Call, Proposal
from projects.tests.builders import complete_proposal, open_call
from projects.tests.factories import SpecialProjectFactory

CONNECTIONS = 8
PER_CONNECTION = 15
CALLS = 4
# With independent row locks, eight connections on this 2-core machine submit faster than one;
# a lock on a shared row would hold the ratio at 1.0 (every submission waits for the previous).
THROUGHPUT_GOAL = 1.5


def _percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[max(0, int(len(ordered) * share + 0.5) - 1)]


def _submit_all(work: list[tuple[int, int]]) -> list[float]:
    """Submit each (user id, proposal id), one after the other, on this process's connection."""
    from accounts.models import User

    connections.close_all()  # a forked child opens its own connection
    seconds = []
    for user_id, proposal_id in work:
        actor = User.objects.get(pk=user_id)
        proposal = Proposal.objects.get(pk=proposal_id)
        start = time.perf_counter()
        services.proposal_submit(actor=actor, proposal=proposal)
        seconds.append(time.perf_counter() - start)
    connections.close_all()
    return seconds


def _drafts(count: int, calls: list[Call], offset: int) -> list[tuple[int, int]]:
    made = []
    for number in range(offset, offset + count):
        applicant = UserFactory(roles=["applicant"])
        proposal = complete_proposal(
            calls[number % len(calls)],
            applicant=applicant,
            leader_id=f"7{number:017d}",
            subject_leader_id_prefix=f"6{number:013d}",
            subjects=1,
        )
        made.append((applicant.pk, proposal.pk))
    return made


def concurrent_submit(median_seconds, report) -> None:
    _continue_factory_sequences()
    special_project = SpecialProjectFactory()
    calls = [open_call(special_project=special_project) for _ in range(CALLS)]
    base = Proposal.objects.count() * 10
    started = time.perf_counter()
    single = _drafts(PER_CONNECTION * 2, calls, base)
    parallel = _drafts(CONNECTIONS * PER_CONNECTION, calls, base + PER_CONNECTION * 2)
    print(f"{'':<58} ({len(single) + len(parallel)} complete drafts in {time.perf_counter() - started:.0f} s)")
    connections.close_all()

    context = multiprocessing.get_context("fork")
    with context.Pool(1) as pool:
        start = time.perf_counter()
        one = pool.apply(_submit_all, (single,))
        one_elapsed = time.perf_counter() - start
    batches = [parallel[index::CONNECTIONS] for index in range(CONNECTIONS)]
    with context.Pool(CONNECTIONS) as pool:
        start = time.perf_counter()
        many = [seconds for batch in pool.map(_submit_all, batches) for seconds in batch]
        many_elapsed = time.perf_counter() - start

    # Checked by counting rows, not by what the submissions returned.
    submitted = Proposal.objects.filter(
        pk__in=[pk for _user, pk in single + parallel], state=Proposal.State.SUBMITTED
    ).count()
    assert submitted == len(single) + len(parallel), submitted

    one_rate = len(one) / one_elapsed
    many_rate = len(many) / many_elapsed
    report(
        f"proposal_submit, 1 connection ({len(one)} proposals)",
        statistics.median(one),
        f"p95 {_percentile(one, 0.95) * 1000:.1f} ms, {one_rate:.1f} submissions/s",
    )
    report(
        f"proposal_submit, {CONNECTIONS} connections at once ({len(many)} proposals)",
        statistics.median(many),
        f"p95 {_percentile(many, 0.95) * 1000:.1f} ms, {many_rate:.1f} submissions/s",
    )
    print(
        f"{'':<58} throughput {CONNECTIONS} / 1 connection(s) = {many_rate / one_rate:.2f} "
        f"(goal ≥ {THROUGHPUT_GOAL}; a shared lock would give about 1.0); "
        f"one programme, {CALLS} calls, all {submitted} submitted"
    )
