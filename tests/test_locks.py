"""Row locks on PostgreSQL: a lock taken through ``core.locks`` holds its own row and nothing
it joined, so on deadline day proposals of one programme, and of one call, lock independently.

Each case holds a lock in one connection (a thread) and tries others from a second connection
with a short ``lock_timeout``: a row that is free is locked at once, a held row times out.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager

import pytest
from django.db import OperationalError, connection, transaction

from accounts.tests.factories import UserFactory
from core.locks import lock, lock_all
from projects import services
from projects.models import Program, Proposal
from projects.tests.builders import open_call
from projects.tests.factories import SpecialProjectFactory

pytestmark = pytest.mark.django_db(transaction=True)

# What proposal_submit reads with the locked proposal: its call, special project and programme.
SUBMIT_JOINS = ("call__special_project__program",)
WAIT = "300ms"


@pytest.fixture
def proposals() -> dict[str, Proposal]:
    """Proposals A and B of one call and C of another call of the same programme."""
    special_project = SpecialProjectFactory()
    first_call = open_call(special_project=special_project)
    second_call = open_call(special_project=special_project)
    made = {}
    for name, call in (("A", first_call), ("B", first_call), ("C", second_call)):
        applicant = UserFactory(roles=["applicant"])
        made[name] = services.proposal_create(actor=applicant, call=call)
    assert made["A"].call.special_project.program_id == made["C"].call.special_project.program_id
    return made


@contextmanager
def held(take):
    """Run ``take`` in a transaction on another connection and keep its locks until the block ends."""
    locked = threading.Event()
    release = threading.Event()
    failure: list[BaseException] = []

    def hold() -> None:
        try:
            with transaction.atomic():
                take()
                locked.set()
                release.wait(timeout=30)
        except BaseException as error:  # noqa: BLE001 - reported to the test below
            failure.append(error)
            locked.set()
        finally:
            connection.close()

    thread = threading.Thread(target=hold)
    thread.start()
    assert locked.wait(timeout=30), "the holding transaction did not start"
    assert not failure, failure
    try:
        yield
    finally:
        release.set()
        thread.join(timeout=30)
        assert not thread.is_alive()


def acquires(take) -> bool:
    """True when ``take`` gets its locks within the wait, False when it times out waiting."""
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(f"SET LOCAL lock_timeout = '{WAIT}'")
            take()
        return True
    except OperationalError as error:
        assert "lock timeout" in str(error)
        return False


def test_a_proposal_locked_for_submission_leaves_the_others_of_its_call_and_programme_free(proposals):
    with held(lambda: lock(Proposal, proposals["A"].pk, related=SUBMIT_JOINS)):
        assert acquires(lambda: lock(Proposal, proposals["B"].pk, related=SUBMIT_JOINS))  # same call
        assert acquires(lambda: lock(Proposal, proposals["C"].pk, related=SUBMIT_JOINS))  # same programme
        program = proposals["A"].call.special_project.program_id
        assert acquires(lambda: lock(Program, program))  # the joined programme row is not held
        assert not acquires(lambda: lock(Proposal, proposals["A"].pk))  # only its own row waits


def test_a_third_transaction_waits_only_for_the_row_it_needs(proposals):
    with (
        held(lambda: lock(Proposal, proposals["A"].pk, related=SUBMIT_JOINS)),
        held(lambda: lock(Proposal, proposals["B"].pk, related=SUBMIT_JOINS)),
    ):
        assert acquires(lambda: lock(Proposal, proposals["C"].pk, related=SUBMIT_JOINS))
        assert not acquires(lambda: lock(Proposal, proposals["B"].pk, related=SUBMIT_JOINS))
        assert not acquires(lambda: lock_all(Proposal.objects.filter(pk__in=[proposals["C"].pk, proposals["A"].pk])))


def test_a_plain_for_update_with_joins_would_hold_the_programme(proposals):
    """Why the helper exists: without ``of`` PostgreSQL locks every joined row, so a second
    proposal of the same programme would queue behind the first."""

    def plain() -> None:
        Proposal.objects.select_for_update().select_related(*SUBMIT_JOINS).get(pk=proposals["A"].pk)

    with held(plain):
        assert not acquires(lambda: lock(Program, proposals["C"].call.special_project.program_id))
        assert not acquires(
            lambda: Proposal.objects.select_for_update().select_related(*SUBMIT_JOINS).get(pk=proposals["C"].pk)
        )
