"""P3 — KRD-MGMT §26–§29: pre-applications, first-round results, the 3–4× shortlist (skipped
when pre-applications are fewer), the formal application within the invitation's window."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from accounts.tests.factories import UserFactory
from core.exceptions import RuleViolation, StateConflict
from core.models import Obligation
from projects import services
from projects.models import Call, Proposal
from projects.tests.builders import complete_proposal, open_call

pytestmark = pytest.mark.django_db


def pre_applications(call, count):
    proposals = []
    for number in range(count):
        proposal = complete_proposal(call, leader_id=f"1101011970010{number:05d}", title=f"预申报{number}")
        Proposal.objects.filter(pk=proposal.pk).update(stage=Proposal.Stage.PRE, state=Proposal.State.FORMAL_PASSED)
        proposals.append(Proposal.objects.get(pk=proposal.pk))
    return proposals


@pytest.fixture
def two_round():
    call = open_call(mode=Call.Mode.TWO_ROUND, shortlist_factor=3, formal_window_days=30)
    call.directions.update(planned_projects=1)  # shortlist of 3
    agency = UserFactory(organisation=call.special_project.managing_agency, roles=["agency"])
    return call, agency


def closed(call):
    return time_machine.travel(call.closes_at + dt.timedelta(hours=1), tick=False)


def test_shortlist_keeps_factor_times_planned_by_first_round_result(two_round):
    call, agency = two_round
    proposals = pre_applications(call, 5)
    for proposal, score in zip(proposals, [70, 91, 85, 60, 88], strict=True):
        services.first_round_score_set(actor=agency, proposal=proposal, score=score)
    with closed(call):
        [outcome] = services.shortlist_make(actor=agency, call=call)
    assert (outcome.candidates, outcome.size, outcome.first_round_skipped) == (5, 3, False)
    states = dict(Proposal.objects.filter(call=call).values_list("title", "state"))
    assert sorted(title for title, state in states.items() if state == "shortlisted") == [
        "预申报1",
        "预申报2",
        "预申报4",
    ]
    assert states["预申报0"] == states["预申报3"] == "not_shortlisted"
    invited = Proposal.objects.get(title="预申报1")
    assert Obligation.objects.filter(
        kind="formal_application", object_id=str(invited.pk), due_at=invited.formal_due_at
    ).exists()


def test_first_round_is_skipped_when_fewer_pre_applications_than_the_shortlist(two_round):
    call, agency = two_round
    pre_applications(call, 2)  # fewer than 3 × 1: no scores needed
    with closed(call):
        [outcome] = services.shortlist_make(actor=agency, call=call)
    assert outcome.first_round_skipped and len(outcome.shortlisted) == 2


def test_all_scores_are_needed_unless_skipped(two_round):
    call, agency = two_round
    proposals = pre_applications(call, 3)  # exactly 3: the first round happens
    services.first_round_score_set(actor=agency, proposal=proposals[0], score=80)
    with closed(call), pytest.raises(RuleViolation) as raised:
        services.shortlist_make(actor=agency, call=call)
    assert raised.value.code == "first_round_incomplete"


def test_no_shortlist_while_pre_applications_are_open(two_round):
    call, agency = two_round
    with pytest.raises(StateConflict):
        services.shortlist_make(actor=agency, call=call)


def test_formal_application_within_the_invitation_window(two_round):
    call, agency = two_round
    [pre] = pre_applications(call, 1)
    with closed(call):
        services.shortlist_make(actor=agency, call=call)
    pre.refresh_from_db()
    formal = services.formal_from_pre(actor=pre.applicant, pre_proposal=pre)
    assert (formal.stage, formal.title, formal.subjects.count()) == ("formal", pre.title, 2)
    assert (
        formal.people.filter(role="project_leader").get().id_number == pre.people.get(role="project_leader").id_number
    )
    # The budget, pledges and agreement are given for the formal application (KRD-FUNDS §23),
    # then it is submitted in time…
    from projects.tests.builders import fill_budget

    fill_budget(formal, pre.applicant)
    for party, organisation, person, _label in services.required_pledges(formal):
        services.proposal_pledge_confirm(
            actor=pre.applicant, proposal=formal, party=party, organisation=organisation, person=person
        )
    from projects.tests.builders import pdf_file

    services.proposal_attachment_add(
        actor=pre.applicant, proposal=formal, uploaded_file=pdf_file(), kind="joint_agreement"
    )
    with time_machine.travel(pre.formal_due_at - dt.timedelta(minutes=1), tick=False):
        services.proposal_submit(actor=pre.applicant, proposal=formal)
    # …while the unit's submission after the window is refused, whatever the call's own closing.
    unit_admin = UserFactory(organisation=formal.lead_unit, roles=["unit_admin"])
    with time_machine.travel(pre.formal_due_at, tick=False), pytest.raises(RuleViolation) as raised:
        services.proposal_unit_submit(actor=unit_admin, proposal=formal)
    assert raised.value.rule == "P3"


def test_formal_application_cannot_start_after_the_window(two_round):
    call, agency = two_round
    [pre] = pre_applications(call, 1)
    with closed(call):
        services.shortlist_make(actor=agency, call=call)
    pre.refresh_from_db()
    with time_machine.travel(pre.formal_due_at, tick=False), pytest.raises(RuleViolation):
        services.formal_from_pre(actor=pre.applicant, pre_proposal=pre)
    assert timezone.localtime(pre.formal_due_at).time() == dt.time(23, 59, 59)
