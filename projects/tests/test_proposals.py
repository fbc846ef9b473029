"""The application and its submission chain: eligibility at submission (P2), the closing minute
(P1), returns with reasons (P4), recommendation (P12), withdrawal, and who sees what."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import CreditRecord
from accounts.tests.factories import OrganisationFactory, UserFactory
from core.exceptions import RuleViolation
from core.models import AuditEvent, Notification
from projects import selectors, services
from projects.models import Person, Proposal
from projects.tests.builders import PDF, complete_proposal, open_call, pdf_file
from projects.tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db


def codes(error) -> list[str]:
    return [finding["code"] for finding in error.value.findings]


def test_complete_proposal_goes_through_the_chain_to_the_agency():
    call = open_call()
    proposal = complete_proposal(call)
    unit_admin = UserFactory(organisation=proposal.lead_unit, roles=["unit_admin"])
    services.proposal_submit(actor=proposal.applicant, proposal=proposal)
    assert Notification.objects.filter(recipient=unit_admin).exists()
    services.proposal_unit_submit(actor=unit_admin, proposal=proposal)
    proposal.refresh_from_db()
    assert proposal.state == Proposal.State.RECEIVED
    actions = AuditEvent.objects.filter(
        object_id=str(proposal.pk), action__in=["proposal.submit", "proposal.unit_submit"]
    )
    assert list(actions.order_by("id").values_list("action", flat=True)) == ["proposal.submit", "proposal.unit_submit"]


def test_recommending_department_step_when_the_call_needs_one():
    call = open_call(requires_recommendation=True)
    department = OrganisationFactory(kind="recommending_department")
    proposal = complete_proposal(call, recommending_department=department)
    unit_admin = UserFactory(organisation=proposal.lead_unit, roles=["unit_admin"])
    recommender = UserFactory(organisation=department, roles=["recommender"])
    services.proposal_submit(actor=proposal.applicant, proposal=proposal)
    services.proposal_unit_submit(actor=unit_admin, proposal=proposal)
    proposal.refresh_from_db()
    assert proposal.state == Proposal.State.UNIT_SUBMITTED
    with pytest.raises(PermissionDenied):
        services.proposal_recommend(actor=UserFactory(roles=["recommender"]), proposal=proposal)
    services.proposal_recommend(actor=recommender, proposal=proposal)
    proposal.refresh_from_db()
    assert proposal.state == Proposal.State.RECEIVED


@pytest.mark.parametrize("step", ["unit_admin", "agency"])
def test_each_step_can_return_with_a_reason(step):
    call = open_call()
    proposal = complete_proposal(call)
    unit_admin = UserFactory(organisation=proposal.lead_unit, roles=["unit_admin"])
    services.proposal_submit(actor=proposal.applicant, proposal=proposal)
    actor = unit_admin
    if step == "agency":
        services.proposal_unit_submit(actor=unit_admin, proposal=proposal)
        actor = UserFactory(organisation=call.special_project.managing_agency, roles=["agency"])
    with pytest.raises(ValidationError):
        services.proposal_return(actor=actor, proposal=proposal, reason=" ")
    services.proposal_return(actor=actor, proposal=proposal, reason="课题2预算测算依据不足")
    proposal.refresh_from_db()
    assert (proposal.state, proposal.returned_reason) == (Proposal.State.RETURNED, "课题2预算测算依据不足")
    assert Notification.objects.filter(recipient=proposal.applicant, body="课题2预算测算依据不足").exists()
    # The applicant edits and submits again.
    services.proposal_save_section(actor=proposal.applicant, proposal=proposal, summary="补充后的摘要")
    services.proposal_submit(actor=proposal.applicant, proposal=proposal)
    proposal.refresh_from_db()
    assert proposal.state == Proposal.State.SUBMITTED and proposal.returned_reason == ""


def test_p1_the_closing_minute_is_enforced_for_the_unit_step():
    call = open_call()
    proposal = complete_proposal(call)
    unit_admin = UserFactory(organisation=proposal.lead_unit, roles=["unit_admin"])
    services.proposal_submit(actor=proposal.applicant, proposal=proposal)
    with time_machine.travel(call.closes_at, tick=False), pytest.raises(RuleViolation) as raised:
        services.proposal_unit_submit(actor=unit_admin, proposal=proposal)
    assert raised.value.code == "deadline_passed"
    with time_machine.travel(call.closes_at - dt.timedelta(seconds=1), tick=False):
        services.proposal_unit_submit(actor=unit_admin, proposal=proposal)
    proposal.refresh_from_db()
    assert proposal.state == Proposal.State.RECEIVED


def test_p1_applicant_step_deadline_when_the_call_says_so():
    call = open_call(deadline_step="applicant")
    proposal = complete_proposal(call)
    with time_machine.travel(call.closes_at, tick=False), pytest.raises(RuleViolation):
        services.proposal_submit(actor=proposal.applicant, proposal=proposal)


def test_withdraw_before_the_deadline_only():
    call = open_call()
    proposal = complete_proposal(call)
    with time_machine.travel(call.closes_at, tick=False), pytest.raises(RuleViolation):
        services.proposal_withdraw(actor=proposal.applicant, proposal=proposal)
    services.proposal_withdraw(actor=proposal.applicant, proposal=proposal)
    proposal.refresh_from_db()
    assert proposal.state == Proposal.State.WITHDRAWN


def test_empty_draft_lists_what_is_missing_and_keeps_everything():
    call = open_call(leader_max_age=60)
    applicant = UserFactory(roles=["applicant"])
    proposal = services.proposal_create(actor=applicant, call=call)
    services.proposal_save_section(actor=applicant, proposal=proposal, title="半成品")
    with pytest.raises(RuleViolation) as raised:
        services.proposal_submit(actor=applicant, proposal=proposal)
    assert {"leader_id_missing", "no_subject", "pledge_missing", "leader_birth_date_missing"} <= set(codes(raised))
    proposal.refresh_from_db()
    assert proposal.title == "半成品" and proposal.state == Proposal.State.DRAFT


def test_p2_leader_age_boundary():
    call = open_call(year=2027, leader_max_age=60)
    young_enough = complete_proposal(call)
    leader = young_enough.people.get(role=Person.Role.PROJECT_LEADER)
    services.proposal_person_save(
        actor=young_enough.applicant, proposal=young_enough, person=leader, birth_date=dt.date(1967, 1, 1)
    )
    assert "leader_too_old" not in [f.code for f in services.proposal_findings(young_enough)]
    services.proposal_person_save(
        actor=young_enough.applicant, proposal=young_enough, person=leader, birth_date=dt.date(1966, 12, 31)
    )
    assert "leader_too_old" in [f.code for f in services.proposal_findings(young_enough)]


def test_p2_units_must_be_mainland_legal_entities_registered_before_the_cut_off():
    call = open_call(unit_registered_before=dt.date(2026, 1, 1))
    proposal = complete_proposal(call)
    partner = proposal.subjects.get(number=2).unit
    partner.registration_date = dt.date(2026, 1, 1)
    partner.is_independent_legal_entity = False
    partner.save()
    found = {(f.code, f.item) for f in services.proposal_findings(proposal)}
    assert ("unit_registered_too_late", partner.name) in found
    assert ("unit_not_legal_entity", partner.name) in found


def test_p2_a_person_leads_one_application_per_call():
    call = open_call()
    first = complete_proposal(call, leader_id="110101197001010099")
    services.proposal_submit(actor=first.applicant, proposal=first)
    second = complete_proposal(call, leader_id="110101197001010099")
    assert "leads_twice_in_call" in [f.code for f in services.proposal_findings(second)]
    other_call = complete_proposal(open_call(), leader_id="110101197001010099")
    assert "leads_twice_in_call" not in [f.code for f in services.proposal_findings(other_call)]


def test_p2_at_most_n_applications_and_projects_together():
    """Every proposal of the builder has the same two subject leaders (fixed ID numbers)."""
    call = open_call(max_participations=2)
    first = complete_proposal(call, leader_id="110101197001010011")
    services.proposal_submit(actor=first.applicant, proposal=first)
    second = complete_proposal(call, leader_id="110101197001010022")
    assert "too_many_participations" not in [f.code for f in services.proposal_findings(second)]  # 2 of 2
    services.proposal_submit(actor=second.applicant, proposal=second)
    third = complete_proposal(call, leader_id="110101197001010033")
    over = [f for f in services.proposal_findings(third) if f.code == "too_many_participations"]
    assert {f.item for f in over} == {"课题负责人1", "课题负责人2"}  # 3 of 2
    services.proposal_withdraw(actor=first.applicant, proposal=first)
    assert "too_many_participations" not in [f.code for f in services.proposal_findings(third)]


def test_p2_a_leader_who_also_leads_a_subject_counts_once():
    call = open_call(max_participations=1)
    proposal = complete_proposal(call, leader_id="110101197001010055")
    leader = proposal.people.get(role=Person.Role.PROJECT_LEADER)
    subject = proposal.subjects.get(number=1)
    services.proposal_subject_save(actor=proposal.applicant, proposal=proposal, subject=subject, leader=leader)
    assert "too_many_participations" not in [f.code for f in services.proposal_findings(proposal)]


def test_p2_in_progress_project_counts_and_excluded_programs_block():
    call = open_call(max_participations=1, excluded_leader_programs=["key_rd"])
    earlier_call = open_call()
    earlier = complete_proposal(earlier_call, leader_id="110101197001010033")
    ProjectFactory(proposal=earlier, leader=earlier.applicant, program=earlier_call.special_project.program)
    proposal = complete_proposal(call, leader_id="110101197001010033")
    found = {f.code for f in services.proposal_findings(proposal)}
    assert {"too_many_participations", "leads_excluded_project"} <= found


def test_p2_serious_dishonesty_blocks():
    call = open_call()
    proposal = complete_proposal(call)
    CreditRecord.objects.create(
        organisation=proposal.lead_unit, severity="serious", description="伪造数据", recorded_on=dt.date(2026, 1, 1)
    )
    assert "serious_dishonesty" in [f.code for f in services.proposal_findings(proposal)]


def test_counts_of_subjects_and_units():
    call = open_call(max_subjects=1)
    proposal = complete_proposal(call, subjects=2)
    assert "too_many_subjects" in [f.code for f in services.proposal_findings(proposal)]


def test_major_needs_ip_analysis_and_intl_needs_partner_and_agreement():
    from projects.tests.factories import ProgramFactory, SpecialProjectFactory

    major = open_call(special_project=SpecialProjectFactory(program=ProgramFactory(code="major", name="重大专项")))
    assert "ip_analysis_missing" in [f.code for f in services.proposal_findings(complete_proposal(major))]
    intl = open_call(special_project=SpecialProjectFactory(program=ProgramFactory(code="intl", name="国合专项")))
    found = [f.code for f in services.proposal_findings(complete_proposal(intl))]
    assert {"foreign_partner_missing", "agreement_missing"} <= set(found)


def test_only_plain_pdfs_are_attached():
    call = open_call()
    proposal = complete_proposal(call)
    from django.core.files.uploadedfile import SimpleUploadedFile

    with pytest.raises(ValidationError):
        services.proposal_attachment_add(
            actor=proposal.applicant, proposal=proposal, uploaded_file=SimpleUploadedFile("a.docx", b"PK\x03\x04")
        )
    with pytest.raises(ValidationError):
        services.proposal_attachment_add(
            actor=proposal.applicant,
            proposal=proposal,
            uploaded_file=SimpleUploadedFile(
                "s.pdf", PDF.replace(b"/Catalog", b"/Catalog /OpenAction << /S /JavaScript >>")
            ),
        )
    attachment = services.proposal_attachment_add(
        actor=proposal.applicant, proposal=proposal, uploaded_file=pdf_file("附件.pdf")
    )
    assert attachment.original_name == "附件.pdf" and attachment.file.name.endswith(".pdf")
    assert "附件" not in attachment.file.name  # stored under a random name


def test_who_sees_which_proposals():
    call = open_call()
    mine = complete_proposal(call)
    theirs = complete_proposal(call)
    services.proposal_submit(actor=theirs.applicant, proposal=theirs)
    my_unit_admin = UserFactory(organisation=mine.lead_unit, roles=["unit_admin"])
    their_unit_admin = UserFactory(organisation=theirs.lead_unit, roles=["unit_admin"])
    agency = UserFactory(organisation=call.special_project.managing_agency, roles=["agency"])

    assert list(selectors.proposals_for_user(mine.applicant)) == [mine]
    assert list(selectors.proposals_for_user(my_unit_admin)) == []  # a draft stays with its applicant
    assert list(selectors.proposals_for_user(their_unit_admin)) == [theirs]
    assert list(selectors.proposals_for_user(agency)) == []  # not received yet
    services.proposal_unit_submit(actor=their_unit_admin, proposal=theirs)
    assert list(selectors.proposals_for_user(agency)) == [theirs]
    assert list(selectors.proposals_for_user(UserFactory(roles=["expert"]))) == []


def test_the_agency_keeps_seeing_a_proposal_after_deciding_on_it():
    call = open_call()
    proposal = complete_proposal(call)
    services.proposal_submit(actor=proposal.applicant, proposal=proposal)
    services.proposal_unit_submit(
        actor=UserFactory(organisation=proposal.lead_unit, roles=["unit_admin"]), proposal=proposal
    )
    agency = UserFactory(organisation=call.special_project.managing_agency, roles=["agency"])
    services.formal_review_open(actor=agency, proposal=proposal)
    services.formal_review_decide(actor=agency, proposal=proposal, passed=False, reasons="材料不全")
    assert list(selectors.proposals_for_user(agency)) == [proposal]
