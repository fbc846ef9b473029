"""From received proposal to project: formal review and appeals (P4), proposed list,
compliance review, public notice with objections, approval notice and number (P5), label (P11)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.tests.factories import UserFactory
from core.exceptions import RuleViolation, StateConflict
from core.models import Notification, Obligation
from projects import services
from projects.models import Proposal, PublicNotice
from projects.tests.builders import complete_proposal, open_call

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY = dt.datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture
def received():
    with time_machine.travel(MONDAY, tick=False):
        call = open_call()
        proposal = complete_proposal(call)
        unit_admin = UserFactory(organisation=proposal.lead_unit, roles=["unit_admin"])
        services.proposal_submit(actor=proposal.applicant, proposal=proposal)
        services.proposal_unit_submit(actor=unit_admin, proposal=proposal)
    agency = UserFactory(organisation=call.special_project.managing_agency, roles=["agency"])
    proposal.refresh_from_db()
    return proposal, agency


def test_formal_review_checklist_is_prefilled_and_a_failure_needs_reasons(received):
    proposal, agency = received
    review = services.formal_review_open(actor=agency, proposal=proposal)
    assert review.checklist[0]["source"] == "auto" and review.checklist[0]["ok"] is True
    assert [item["source"] for item in review.checklist[1:]] == ["manual", "manual", "manual"]
    with pytest.raises(ValidationError):
        services.formal_review_decide(actor=agency, proposal=proposal, passed=False, reasons="")
    with pytest.raises(PermissionDenied):
        services.formal_review_decide(actor=UserFactory(roles=["agency"]), proposal=proposal, passed=True, reasons="")


def test_p4_failed_formal_review_reasons_reach_the_applicant_who_appeals_in_time(received, client):
    proposal, agency = received
    services.formal_review_open(actor=agency, proposal=proposal)
    with time_machine.travel(MONDAY, tick=False):
        review = services.formal_review_decide(actor=agency, proposal=proposal, passed=False, reasons="缺少单位公章")
    # 10 working days from Monday 23 November 2026: Monday 7 December, end of day.
    assert review.appeal_until == dt.datetime(2026, 12, 7, 23, 59, 59, tzinfo=SHANGHAI)
    assert Notification.objects.filter(recipient=proposal.applicant, body="缺少单位公章").exists()
    client.force_login(proposal.applicant)
    assert "缺少单位公章" in client.get(f"/proposals/{proposal.pk}/").content.decode()

    with time_machine.travel(review.appeal_until + dt.timedelta(seconds=1), tick=False), pytest.raises(RuleViolation):
        services.appeal_file(actor=proposal.applicant, proposal=proposal, grounds="已补盖公章")
    with time_machine.travel(review.appeal_until, tick=False):
        appeal = services.appeal_file(actor=proposal.applicant, proposal=proposal, grounds="公章齐全，请复核")
    with pytest.raises(StateConflict):
        services.appeal_file(actor=proposal.applicant, proposal=proposal, grounds="再次申诉")
    services.appeal_answer(actor=agency, appeal=appeal, upheld=True, answer="复核后公章齐全，形式审查通过")
    proposal.refresh_from_db()
    assert proposal.state == Proposal.State.FORMAL_PASSED
    assert proposal.formal_review.result == "passed"


def pass_and_propose(proposal, agency):
    services.formal_review_open(actor=agency, proposal=proposal)
    services.formal_review_decide(actor=agency, proposal=proposal, passed=True, reasons="")
    services.proposal_propose(actor=agency, proposal=proposal)


def test_compliance_public_notice_objection_and_approval(received, client):
    proposal, agency = received
    pass_and_propose(proposal, agency)
    ministry = UserFactory(roles=["ministry"])
    with pytest.raises(PermissionDenied):
        services.compliance_approve(actor=agency, call=proposal.call, proposals=[proposal])
    with time_machine.travel(MONDAY, tick=False):
        notice = services.compliance_approve(actor=ministry, call=proposal.call, proposals=[proposal])
    assert notice.ends_at == dt.datetime(2026, 11, 30, 23, 59, 59, tzinfo=SHANGHAI)  # 5 working days
    assert Obligation.objects.filter(kind="public_notice_end", object_id=str(notice.pk)).exists()

    # The public page: no login needed; project, lead unit, leader and central funds.
    page = client.get(f"/public-notices/{notice.pk}/").content.decode()
    assert proposal.title in page and proposal.lead_unit.name in page and "10000000.00" in page

    objector = UserFactory(roles=["expert"])
    with time_machine.travel(MONDAY + dt.timedelta(days=1), tick=False):
        objection = services.objection_raise(
            actor=objector, notice=notice, proposal=proposal, text="研究基础与他人项目重复"
        )
    with time_machine.travel(notice.ends_at, tick=False), pytest.raises(RuleViolation):
        services.objection_raise(actor=objector, notice=notice, proposal=proposal, text="太晚了")

    with time_machine.travel(notice.ends_at - dt.timedelta(minutes=1), tick=False), pytest.raises(RuleViolation):
        services.approval_issue(actor=agency, proposal=proposal)
    with time_machine.travel(notice.ends_at, tick=False), pytest.raises(StateConflict):
        services.approval_issue(actor=agency, proposal=proposal)  # the objection is unresolved
    services.objection_resolve(actor=agency, objection=objection, sustained=False, resolution="经核实不存在重复")
    with time_machine.travel(notice.ends_at, tick=False):
        project = services.approval_issue(actor=agency, proposal=proposal)
    assert project.number.startswith(f"{proposal.call.year}YFA")
    assert project.leader == proposal.applicant and project.proposal == proposal
    proposal.refresh_from_db()
    assert proposal.state == Proposal.State.APPROVED

    client.force_login(proposal.applicant)
    label = client.get(f"/projects/{project.pk}/").context["funding_label"]
    assert label.startswith(f"国家重点研发计划资助（{project.number}）")
    client.force_login(UserFactory(roles=["applicant"]))
    assert client.get(f"/projects/{project.pk}/").status_code == 404


def test_a_sustained_objection_stops_the_approval(received):
    proposal, agency = received
    pass_and_propose(proposal, agency)
    with time_machine.travel(MONDAY, tick=False):
        notice = services.compliance_approve(
            actor=UserFactory(roles=["ministry"]), call=proposal.call, proposals=[proposal]
        )
        objection = services.objection_raise(
            actor=UserFactory(), notice=notice, proposal=proposal, text="负责人已有在研项目"
        )
    services.objection_resolve(actor=agency, objection=objection, sustained=True, resolution="异议属实")
    proposal.refresh_from_db()
    assert proposal.state == Proposal.State.NOT_APPROVED


def test_ministry_returns_a_proposed_project_with_reasons(received):
    proposal, agency = received
    pass_and_propose(proposal, agency)
    services.compliance_return(actor=UserFactory(roles=["ministry"]), proposal=proposal, reason="与指南方向不符")
    proposal.refresh_from_db()
    assert (proposal.state, proposal.returned_reason) == (Proposal.State.FORMAL_PASSED, "与指南方向不符")
    assert Notification.objects.filter(recipient=agency, body="与指南方向不符").exists()


def test_public_page_shows_no_secret_project(client):
    secret_call = open_call(is_secret=True)
    notice = PublicNotice.objects.create(
        call=secret_call, title="保密公示", starts_at=MONDAY, ends_at=MONDAY + dt.timedelta(days=7)
    )
    assert client.get(f"/public-notices/{notice.pk}/").status_code == 404
    assert "保密公示" not in client.get("/public-notices/").content.decode()


def test_the_notice_timer_closes_it(received, django_capture_on_commit_callbacks):
    from core.deadlines import dispatch

    proposal, agency = received
    pass_and_propose(proposal, agency)
    with time_machine.travel(MONDAY, tick=False):
        notice = services.compliance_approve(
            actor=UserFactory(roles=["ministry"]), call=proposal.call, proposals=[proposal]
        )
    with time_machine.travel(notice.ends_at, tick=False), django_capture_on_commit_callbacks(execute=True):
        dispatch.sweep(
            enqueue_dispatches=lambda ids: [dispatch.process_dispatch(i) for i in ids], enqueue_emails=lambda ids: None
        )
    notice.refresh_from_db()
    assert notice.is_closed


def test_p4_the_appeal_window_is_an_obligation_closed_by_filing(received):
    proposal, agency = received
    services.formal_review_open(actor=agency, proposal=proposal)
    with time_machine.travel(MONDAY, tick=False):
        review = services.formal_review_decide(actor=agency, proposal=proposal, passed=False, reasons="缺少单位公章")
    window = Obligation.objects.get(kind="appeal_window", object_id=str(proposal.pk))
    assert (window.due_at, window.state, window.action) == (review.appeal_until, "open", "projects.close_appeal_window")
    services.appeal_file(actor=proposal.applicant, proposal=proposal, grounds="已补盖")
    window.refresh_from_db()
    assert window.state == "done"


def test_defense_score_orders_the_compliance_list(received, client):
    proposal, agency = received
    services.formal_review_open(actor=agency, proposal=proposal)
    services.formal_review_decide(actor=agency, proposal=proposal, passed=True, reasons="")
    services.defense_score_set(actor=agency, proposal=proposal, score="88.50")
    services.proposal_propose(actor=agency, proposal=proposal)
    client.force_login(UserFactory(roles=["ministry"]))
    page = client.get(f"/calls/{proposal.call_id}/compliance/").content.decode()
    assert "88.50" in page


def test_each_section_shows_what_it_lacks(client):
    applicant = UserFactory(roles=["applicant"])
    proposal = services.proposal_create(actor=applicant, call=open_call())
    client.force_login(applicant)
    content = client.get(f"/proposals/{proposal.pk}/").content.decode()
    subject_header = content[content.index('id="subject"') :][:400]
    assert "section-mark" in subject_header and "待修改" in subject_header
