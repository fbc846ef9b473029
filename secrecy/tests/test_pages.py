"""The secrecy pages (S1–S10): who sees what (404 outside the need-to-know, S6), decisions made
and refused through the forms, the grant and approval flow, the filing register read by the
ministry, and a leak reported by anyone and acted on by the secrecy officer."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Organisation
from accounts.tests.factories import OrganisationFactory, UserFactory
from core.models import Obligation
from projects.tests.factories import ProjectFactory
from secrecy.models import Classification, Dispute, Filing, KnowledgeGrant, LeakReport, SecrecyReview
from secrecy.rules import Level, Tier
from secrecy.tests.factories import (
    AuthorityFactory,
    ClassificationFactory,
    DisputeFactory,
    FilingFactory,
    KnowledgeGrantFactory,
    LeakReportFactory,
    SecrecyReviewFactory,
    officer_of,
)

pytestmark = pytest.mark.django_db


def detail_url(classification) -> str:
    return reverse("secrecy:classification_detail", args=[classification.pk])


def text_of(response) -> str:
    return response.content.decode()


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]] if response.context else []


@pytest.fixture
def authority():
    return AuthorityFactory()


@pytest.fixture
def officer(authority):
    return officer_of(authority)


def login(client, user):
    client.force_login(user)
    return client


# ---- List ------------------------------------------------------------------------------------------


def test_list_shows_the_decisions_the_user_may_know_of_and_nothing_else(english_client, authority, officer):
    """S6: the authority's officer sees its decisions; a listed person sees theirs; others none."""
    own = ClassificationFactory(authority=authority, classifier=officer, name="本机关决定")
    other = ClassificationFactory(name="他机关决定")
    reader = UserFactory(roles=["applicant"])
    KnowledgeGrantFactory(classification=other, user=reader)

    page = text_of(login(english_client, officer).get(reverse("secrecy:classification_list")))
    assert "本机关决定" in page and "他机关决定" not in page
    assert own.mark in page and "New classification" in page

    page = text_of(login(english_client, reader).get(reverse("secrecy:classification_list")))
    assert "他机关决定" in page and "本机关决定" not in page
    assert "New classification" not in page

    page = text_of(login(english_client, UserFactory(roles=["secrecy_officer"])).get("/secrecy/classifications/"))
    assert "No classification decisions you may know of." in page


def test_list_filters_by_state_and_level(english_client, authority, officer):
    ClassificationFactory(authority=authority, name="秘密事项")
    ClassificationFactory(authority=authority, name="机密事项", level=Level.CONFIDENTIAL, period_years=20)
    ClassificationFactory(authority=authority, name="已解密事项", state=Classification.State.DECLASSIFIED)
    login(english_client, officer)
    page = text_of(english_client.get("/secrecy/classifications/?level=confidential"))
    assert "机密事项" in page and "秘密事项" not in page
    page = text_of(english_client.get("/secrecy/classifications/?state=declassified"))
    assert "已解密事项" in page and "机密事项" not in page


def test_list_query_count_does_not_grow_with_the_rows(client, authority, officer, django_assert_max_num_queries):
    def add(count):
        for _ in range(count):
            classification = ClassificationFactory(authority=authority)
            DisputeFactory(classification=classification)
            KnowledgeGrantFactory(classification=classification)

    login(client, officer)
    add(2)
    with CaptureQueriesContext(connection) as baseline:
        assert client.get("/secrecy/classifications/").status_code == 200
    add(8)
    with django_assert_max_num_queries(len(baseline)):
        response = client.get("/secrecy/classifications/")
    assert len(response.context["rows"]) == 10


# ---- Detail ----------------------------------------------------------------------------------------


def test_detail_for_a_listed_person_and_404_for_anyone_else(english_client, authority, officer):
    classification = ClassificationFactory(
        authority=authority, level=Level.CONFIDENTIAL, period_years=20, key_points="某工艺温度区间"
    )
    reader = UserFactory(roles=["applicant"])
    KnowledgeGrantFactory(classification=classification, user=reader)

    response = login(english_client, reader).get(detail_url(classification))
    assert response.status_code == 200
    page = text_of(response)
    assert "机密★20年" in page and "某工艺温度区间" in page
    assert "written record" in page  # S6 — SECRETS-REGS §14 for confidential and above
    assert "Add to the list" not in page and "Declassify early" not in page
    assert "Object to the level" in page and "Request a secrecy review" in page

    for outsider in (
        UserFactory(roles=["applicant"]),
        UserFactory(roles=["ministry"]),
        UserFactory(roles=["secrecy_officer"]),
        UserFactory(roles=["admin"]),
    ):
        assert login(english_client, outsider).get(detail_url(classification)).status_code == 404


def test_detail_for_the_officer_offers_the_authoritys_decisions(english_client, authority, officer):
    classification = ClassificationFactory(authority=authority)
    page = text_of(login(english_client, officer).get(detail_url(classification)))
    for action in ("Add to the list", "Change the level or period", "Extend the period", "Declassify early"):
        assert action in page
    assert reverse("secrecy:leak_new") in page


def test_an_unknown_decision_is_404(client, officer):
    assert login(client, officer).get("/secrecy/classifications/999999/").status_code == 404


# ---- New decision (S1–S3) ----------------------------------------------------------------------------


def _decision_form(project, **fields):
    return {
        "target": f"projects.project:{project.pk}",
        "name": "某型发动机燃烧室设计",
        "level": Level.SECRET,
        "period_years": "10",
        "start_date": timezone.localdate().isoformat(),
        "key_points": "燃烧室结构参数",
        "stage": "establishment",
        "confirmed_classifiable": "on",
        **fields,
    }


def test_the_officer_classifies_a_project_through_the_page(english_client, authority, officer):
    project = ProjectFactory()
    reader = UserFactory(roles=["applicant"])
    partner = OrganisationFactory()
    login(english_client, officer)
    form = english_client.get(f"/secrecy/classifications/new/?target=projects.project:{project.pk}")
    assert form.status_code == 200
    assert str(project) in text_of(form)
    assert form.context["form"].initial["stage"] == "establishment"

    response = english_client.post(
        f"/secrecy/classifications/new/?target=projects.project:{project.pk}",
        _decision_form(project, users=[reader.pk], organisations=[partner.pk]),
    )
    classification = Classification.objects.get()
    assert response.status_code == 302 and response.url == detail_url(classification)
    assert classification.target == project and classification.authority == authority
    assert classification.classifier == officer and classification.mark == "秘密★10年"
    assert {(grant.user_id, grant.organisation_id) for grant in classification.grants.all()} == {
        (reader.pk, None),
        (None, partner.pk),
    }
    # A central organ files its determinations in the annual summary (S5 — SECRECY §23(1)).
    annual = Filing.objects.get(authority=authority, event=Filing.Event.ANNUAL)
    assert annual.summary["entries"][0]["classification"] == classification.pk
    page = text_of(english_client.get(response.url))
    assert "秘密★10年" in page and "is classified" in page


def test_a_period_over_the_maximum_is_refused_with_s1_keeping_what_was_typed(english_client, officer):
    project = ProjectFactory()
    login(english_client, officer)
    response = english_client.post(
        "/secrecy/classifications/new/", _decision_form(project, period_years="11", name="保留我输入的名称")
    )
    assert response.status_code == 200
    assert not Classification.objects.exists()
    page = text_of(response)
    assert "SECRETS-LAW §15" in page and "at most 10 years" in page
    assert any("SECRETS-LAW §15" in message for message in messages_of(response))
    assert response.context["form"].errors["period_years"]
    assert 'value="保留我输入的名称"' in page and 'value="11"' in page


def test_a_provisional_level_and_a_missing_confirmation(english_client, officer):
    project = ProjectFactory()
    login(english_client, officer)
    data = _decision_form(project)
    del data["confirmed_classifiable"]
    response = english_client.post("/secrecy/classifications/new/", data)
    assert response.status_code == 200 and "SECRECY §11" in text_of(response)
    assert response.context["form"].errors["confirmed_classifiable"]

    response = english_client.post("/secrecy/classifications/new/", _decision_form(project, provisional="on"))
    classification = Classification.objects.get()
    assert classification.state == Classification.State.PROVISIONAL
    page = text_of(english_client.get(response.url))
    assert "Report the provisional level for a decision" in page


def test_an_unknown_target_is_a_field_error(english_client, officer):
    login(english_client, officer)
    response = english_client.post("/secrecy/classifications/new/", {"target": "projects.project:999999"})
    assert response.status_code == 200
    assert "No item of the portal has this reference" in text_of(response)


def test_an_officer_of_an_organisation_without_authority_is_told_so(english_client):
    user = UserFactory(roles=["secrecy_officer"])
    response = login(english_client, user).get("/secrecy/classifications/new/")
    assert response.status_code == 200
    page = text_of(response)
    assert "is not a classification authority" in page and "SECRECY §15(2)" in page
    assert 'data-testid="classification-form"' not in page
    response = english_client.post("/secrecy/classifications/new/", _decision_form(ProjectFactory()))
    assert response.status_code == 200 and not Classification.objects.exists()


def test_a_user_of_an_authority_who_is_not_a_classifier_may_not_decide(english_client, authority):
    clerk = UserFactory(organisation=authority.organisation, roles=["ministry"])
    page = text_of(login(english_client, clerk).get("/secrecy/classifications/new/"))
    assert "Only the responsible classifiers" in page


def test_the_head_decides_for_the_authority(english_client, authority):
    login(english_client, authority.head)
    response = english_client.post("/secrecy/classifications/new/", _decision_form(ProjectFactory()))
    assert response.status_code == 302
    assert Classification.objects.get().classifier == authority.head


# ---- Need-to-know (S6) -------------------------------------------------------------------------------


def test_grant_added_by_the_officer_waits_for_the_head_then_the_person_knows(english_client, authority, officer):
    classification = ClassificationFactory(authority=authority)
    newcomer = UserFactory(roles=["applicant"])
    assert login(english_client, newcomer).get(detail_url(classification)).status_code == 404

    login(english_client, officer)
    response = english_client.post(
        reverse("secrecy:grant_add", args=[classification.pk]), {"user": newcomer.pk, "reason": "参加联合攻关"}
    )
    assert response.status_code == 302
    grant = KnowledgeGrant.objects.get(classification=classification, user=newcomer)
    assert grant.is_pending and grant.granted_by == officer
    page = text_of(english_client.get(detail_url(classification)))
    assert "awaiting the head&#x27;s approval" in page or "awaiting the head's approval" in page
    assert 'data-testid="approve-grant"' not in page  # only the head approves
    assert login(english_client, newcomer).get(detail_url(classification)).status_code == 404

    login(english_client, authority.head)
    assert 'data-testid="approve-grant"' in text_of(english_client.get(detail_url(classification)))
    english_client.post(reverse("secrecy:grant_approve", args=[classification.pk, grant.pk]))
    grant.refresh_from_db()
    assert not grant.is_pending and grant.approved_by == authority.head
    assert login(english_client, newcomer).get(detail_url(classification)).status_code == 200

    login(english_client, officer)
    english_client.post(reverse("secrecy:grant_revoke", args=[classification.pk, grant.pk]))
    grant.refresh_from_db()
    assert grant.revoked_at is not None
    assert login(english_client, newcomer).get(detail_url(classification)).status_code == 404


def test_grant_form_errors_and_refusals_are_messages(english_client, authority, officer):
    classification = ClassificationFactory(authority=authority)
    login(english_client, officer)
    response = english_client.post(reverse("secrecy:grant_add", args=[classification.pk]), {}, follow=True)
    assert any("Why they need to know" in message for message in messages_of(response))
    assert not KnowledgeGrant.objects.filter(classification=classification).exists()

    reader = UserFactory(roles=["applicant"])
    KnowledgeGrantFactory(classification=classification, user=reader)
    response = english_client.post(
        reverse("secrecy:grant_approve", args=[classification.pk, classification.grants.get().pk]), follow=True
    )
    assert response.status_code == 404  # the officer is not the head: the service refuses


def test_a_listed_reader_may_not_add_to_the_list(client, authority):
    classification = ClassificationFactory(authority=authority)
    reader = UserFactory(roles=["applicant"])
    KnowledgeGrantFactory(classification=classification, user=reader)
    response = login(client, reader).post(
        reverse("secrecy:grant_add", args=[classification.pk]),
        {"user": UserFactory().pk, "reason": "想知道"},
    )
    assert response.status_code == 404
    assert classification.grants.count() == 1


def test_a_listed_organisation_names_its_people(english_client, authority):
    partner = OrganisationFactory()
    classification = ClassificationFactory(authority=authority, name="联合研制方案")
    KnowledgeGrantFactory(classification=classification, user=None, organisation=partner)
    administrator = UserFactory(organisation=partner, roles=["unit_admin"])
    engineer = UserFactory(organisation=partner, roles=["applicant"])

    page = text_of(login(english_client, administrator).get(reverse("secrecy:organisation_grants")))
    assert "联合研制方案" in page and engineer.real_name in page
    entry = classification.grants.get()
    response = english_client.post(reverse("secrecy:grant_name_person", args=[entry.pk]), {"user": engineer.pk})
    # The listed organisation's administrator knows of the decision (SECRETS-LAW §16(2)).
    assert response.status_code == 302 and response.url == detail_url(classification)
    named = KnowledgeGrant.objects.get(classification=classification, user=engineer)
    assert named.via == entry
    assert login(english_client, engineer).get(detail_url(classification)).status_code == 200
    # Another organisation's administrator does not see the entry.
    stranger = UserFactory(roles=["unit_admin"])
    assert "联合研制方案" not in text_of(login(english_client, stranger).get("/secrecy/need-to-know/"))
    assert english_client.post(f"/secrecy/need-to-know/{entry.pk}/name/", {"user": engineer.pk}).status_code == 404


# ---- Changes, objections, reviews, provisional levels ------------------------------------------------


def test_change_extend_and_declassify_through_the_page(english_client, authority, officer):
    classification = ClassificationFactory(authority=authority)
    login(english_client, officer)
    english_client.post(
        reverse("secrecy:classification_change", args=[classification.pk]),
        {"level": Level.CONFIDENTIAL, "period_years": "15", "reason": "范围扩大"},
    )
    classification.refresh_from_db()
    assert classification.level == Level.CONFIDENTIAL and classification.mark == "机密★15年"

    response = english_client.post(
        reverse("secrecy:classification_extend", args=[classification.pk]),
        {"period_years": "25", "reason": "仍需保密"},
        follow=True,
    )
    assert any("SECRETS-LAW §15" in message for message in messages_of(response))
    english_client.post(
        reverse("secrecy:classification_extend", args=[classification.pk]), {"period_years": "20", "reason": "仍需保密"}
    )
    classification.refresh_from_db()
    assert classification.period_years == 20

    english_client.post(
        reverse("secrecy:classification_declassify", args=[classification.pk]),
        {"ending": "harmless", "reason": "已公开"},
    )
    classification.refresh_from_db()
    assert classification.state == Classification.State.DECLASSIFIED
    page = text_of(english_client.get(detail_url(classification)))
    assert "Declassified: the mark no longer applies." in page
    assert "Declassify early" not in page


def test_an_objection_is_handled_at_the_highest_level_claimed_until_decided(english_client, authority, officer):
    classification = ClassificationFactory(authority=authority)
    reader = UserFactory(roles=["applicant"])
    KnowledgeGrantFactory(classification=classification, user=reader)
    login(english_client, reader)
    english_client.post(
        reverse("secrecy:dispute_raise", args=[classification.pk]),
        {"claimed_level": Level.CONFIDENTIAL, "reason": "涉及核心工艺"},
    )
    dispute = Dispute.objects.get()
    page = text_of(english_client.get(detail_url(classification)))
    assert "机密★10年" in page and 'data-testid="handled-at"' in page

    login(english_client, officer)
    english_client.post(
        reverse("secrecy:dispute_decide", args=[classification.pk, dispute.pk]), {"level": Level.SECRET}
    )
    dispute.refresh_from_db()
    assert dispute.state == Dispute.State.DECIDED
    assert 'data-testid="handled-at"' not in text_of(english_client.get(detail_url(classification)))


def test_secrecy_review_requested_and_decided(english_client, authority, officer):
    classification = ClassificationFactory(authority=authority, level=Level.TOP_SECRET, period_years=30)
    reader = UserFactory(roles=["applicant"])
    KnowledgeGrantFactory(classification=classification, user=reader)
    login(english_client, reader)
    response = english_client.post(
        reverse("secrecy:review_request", args=[classification.pk]),
        {"kind": "patent", "title": "一种装置", "patent_kind": "secret"},
        follow=True,
    )
    assert any("SECRECY §39(1)" in message for message in messages_of(response))
    english_client.post(
        reverse("secrecy:review_request", args=[classification.pk]), {"kind": "paper", "title": "综述论文"}
    )
    review = SecrecyReview.objects.get()
    login(english_client, officer)
    english_client.post(
        reverse("secrecy:review_decide", args=[classification.pk, review.pk]),
        {"decision": "approve", "conditions": "删去第三节"},
    )
    review.refresh_from_db()
    assert review.state == SecrecyReview.State.APPROVED and review.conditions == "删去第三节"


def test_provisional_level_reported_and_confirmed(english_client):
    superior = AuthorityFactory()
    unit = AuthorityFactory(tier=Tier.NONE, superior=superior)
    unit_officer = officer_of(unit)
    classification = ClassificationFactory(
        authority=unit, classifier=unit_officer, state=Classification.State.PROVISIONAL
    )
    login(english_client, unit_officer)
    english_client.post(reverse("secrecy:provisional_report", args=[classification.pk]))
    assert Obligation.objects.filter(kind="secrecy_provisional_decision").exists()
    response = english_client.post(reverse("secrecy:provisional_confirm", args=[classification.pk]), {}, follow=True)
    assert any("SECRECY §15(2)" in message for message in messages_of(response))

    login(english_client, officer_of(superior))
    english_client.post(reverse("secrecy:provisional_confirm", args=[classification.pk]), {"level": Level.SECRET})
    classification.refresh_from_db()
    assert classification.state == Classification.State.ACTIVE and classification.authority == superior


# ---- Filing register (S5) ---------------------------------------------------------------------------


def test_the_ministry_reads_the_filing_register_without_the_names_it_may_not_know(english_client, authority):
    filing = FilingFactory(classification=ClassificationFactory(authority=authority, name="不应显示的名称"))
    ministry = UserFactory(roles=["ministry"])
    response = login(english_client, ministry).get(reverse("secrecy:filing_list"))
    assert response.status_code == 200
    page = text_of(response)
    assert str(authority) in page and "Determination" in page
    assert "不应显示的名称" not in page
    assert f'data-testid="file-{filing.pk}"' not in page
    assert english_client.post(reverse("secrecy:filing_submit", args=[filing.pk])).status_code == 404


def test_the_officer_sees_and_files_the_authoritys_filings_only(english_client, authority, officer):
    own = FilingFactory(classification=ClassificationFactory(authority=authority, name="本机关事项"))
    other = FilingFactory()
    login(english_client, officer)
    page = text_of(english_client.get(reverse("secrecy:filing_list")))
    assert "本机关事项" in page and f'data-testid="file-{own.pk}"' in page
    assert str(other.authority) not in page
    english_client.post(reverse("secrecy:filing_submit", args=[own.pk]))
    own.refresh_from_db()
    assert own.filed_at is not None and own.filed_by == officer
    response = english_client.post(reverse("secrecy:filing_submit", args=[own.pk]), follow=True)
    assert any("already" in message for message in messages_of(response))
    assert english_client.post(reverse("secrecy:filing_submit", args=[other.pk])).status_code == 404
    page = text_of(english_client.get(reverse("secrecy:filing_list") + "?pending=1"))
    assert "本机关事项" not in page


def test_the_filing_register_is_404_for_other_roles(client):
    for role in ("applicant", "unit_admin", "agency", "expert"):
        assert login(client, UserFactory(roles=[role])).get(reverse("secrecy:filing_list")).status_code == 404


# ---- Leak reports (S10) -----------------------------------------------------------------------------


def test_an_applicant_reports_a_leak_and_the_officer_acts_on_it(english_client):
    unit = OrganisationFactory(kind=Organisation.Kind.UNIVERSITY)
    applicant = UserFactory(organisation=unit, roles=["applicant"])
    unit_officer = UserFactory(organisation=unit, roles=["secrecy_officer"])

    login(english_client, applicant)
    form = english_client.get(reverse("secrecy:leak_new"))
    assert form.status_code == 200 and form.context["form"].initial["organisation"] == unit.pk
    assert "classification" not in form.context["form"].fields  # the applicant knows of no decision
    response = english_client.post(
        reverse("secrecy:leak_new"), {"description": "会议室遗留涉密笔记本", "organisation": unit.pk}
    )
    leak = LeakReport.objects.get()
    assert response.status_code == 302 and response.url == reverse("secrecy:leak_detail", args=[leak.pk])
    assert leak.reported_by == applicant and leak.organisation == unit
    assert Obligation.objects.filter(kind="secrecy_leak_report", responsible_organisation=unit).exists()
    page = text_of(english_client.get(response.url))
    assert "会议室遗留涉密笔记本" in page and 'data-testid="record-measures"' not in page

    login(english_client, unit_officer)
    assert "会议室遗留涉密笔记本" in text_of(english_client.get(reverse("secrecy:leak_list")))
    english_client.post(reverse("secrecy:leak_act", args=[leak.pk]), {"measures": "已收回笔记本并封存"})
    leak.refresh_from_db()
    assert leak.state == LeakReport.State.ACTED and leak.acted_by == unit_officer
    english_client.post(reverse("secrecy:leak_escalate", args=[leak.pk]))
    leak.refresh_from_db()
    assert leak.state == LeakReport.State.ESCALATED
    assert not Obligation.objects.filter(
        kind="secrecy_leak_report", state__in=[Obligation.State.OPEN, Obligation.State.OVERDUE]
    ).exists()


def test_a_leak_report_is_404_for_anyone_but_the_reporter_and_the_officers(client):
    leak = LeakReportFactory()
    for user in (
        UserFactory(organisation=leak.organisation, roles=["applicant"]),
        UserFactory(roles=["secrecy_officer"]),
        UserFactory(roles=["ministry"]),
    ):
        assert login(client, user).get(reverse("secrecy:leak_detail", args=[leak.pk])).status_code == 404
    assert login(client, leak.reported_by).get(reverse("secrecy:leak_detail", args=[leak.pk])).status_code == 200
    outsider_officer = UserFactory(roles=["secrecy_officer"])
    login(client, outsider_officer)
    assert client.post(reverse("secrecy:leak_act", args=[leak.pk]), {"measures": "x"}).status_code == 404
    assert client.get(reverse("secrecy:leak_list")).status_code == 200
    assert login(client, leak.reported_by).get(reverse("secrecy:leak_list")).status_code == 404


def test_an_empty_leak_report_is_refused(english_client):
    user = UserFactory(roles=["expert"])
    response = login(english_client, user).post(reverse("secrecy:leak_new"), {"description": ""})
    assert response.status_code == 200 and not LeakReport.objects.exists()


def test_the_leak_link_is_in_every_users_navigation(english_client):
    page = text_of(login(english_client, UserFactory(roles=["expert"])).get(reverse("core:dashboard")))
    assert re.search(r'href="/secrecy/leaks/new/"', page)


# ---- The dashboard ----------------------------------------------------------------------------------


def test_the_head_finds_pending_additions_on_the_dashboard(english_client, authority):
    classification = ClassificationFactory(authority=authority, name="待批准事项")
    KnowledgeGrantFactory(classification=classification, is_pending=True)
    SecrecyReviewFactory(classification=classification)
    page = text_of(login(english_client, authority.head).get(reverse("core:dashboard")))
    assert "待批准事项" in page
