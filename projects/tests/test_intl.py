"""P12 — the international program: applications come from the project library (INTL §22);
a fast-track call approves first and evaluates later (INTL §10)."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from accounts.tests.factories import OrganisationFactory, UserFactory
from core.exceptions import RuleViolation
from core.models import Obligation
from projects import services
from projects.tests.builders import complete_proposal, open_call
from projects.tests.factories import ProgramFactory, SpecialProjectFactory

pytestmark = pytest.mark.django_db


def intl_call(**fields):
    return open_call(
        special_project=SpecialProjectFactory(program=ProgramFactory(code="intl", name="国合专项")), **fields
    )


def test_p12_an_intl_application_needs_its_units_library_entry():
    call = intl_call()
    applicant = UserFactory(roles=["applicant"])
    with pytest.raises(RuleViolation) as raised:
        services.proposal_create(actor=applicant, call=call)
    assert raised.value.rule == "P12" and "第二十二条" in raised.value.message
    recommender = UserFactory(organisation=OrganisationFactory(kind="recommending_department"), roles=["recommender"])
    other_units = services.library_entry_create(
        actor=recommender,
        title="别的单位的项目",
        lead_unit=OrganisationFactory(),
        foreign_partner="Univ. X",
        foreign_partner_country="德国",
    )
    with pytest.raises(RuleViolation):
        services.proposal_create(actor=applicant, call=call, library_entry=other_units)
    entry = services.library_entry_create(
        actor=recommender,
        title="中德联合研究",
        lead_unit=applicant.organisation,
        foreign_partner="TU München",
        foreign_partner_country="德国",
    )
    proposal = services.proposal_create(actor=applicant, call=call, library_entry=entry)
    assert (proposal.title, proposal.foreign_partner, proposal.recommending_department) == (
        "中德联合研究",
        "TU München",
        recommender.organisation,
    )


def test_only_recommenders_agencies_and_the_ministry_enter_the_library():
    with pytest.raises(PermissionDenied):
        services.library_entry_create(
            actor=UserFactory(roles=["applicant"]),
            title="x",
            lead_unit=OrganisationFactory(),
            foreign_partner="y",
            foreign_partner_country="z",
        )


def test_p12_fast_track_project_gets_an_evaluation_obligation():
    call = intl_call(is_fast_track=True, requires_recommendation=False)
    proposal = complete_proposal(call, foreign_partner="TU München")
    agency = UserFactory(organisation=call.special_project.managing_agency, roles=["agency"])
    from projects.models import Proposal

    Proposal.objects.filter(pk=proposal.pk).update(state=Proposal.State.PROPOSED)
    notice = services.compliance_approve(actor=UserFactory(roles=["ministry"]), call=call, proposals=[proposal])
    with time_machine.travel(notice.ends_at + dt.timedelta(minutes=1), tick=False):
        project = services.approval_issue(actor=agency, proposal=proposal)
    evaluation = Obligation.objects.get(kind="post_evaluation", object_id=str(project.pk))
    assert (evaluation.rule, evaluation.article, evaluation.responsible_role) == ("P12", "INTL §10", "agency")
