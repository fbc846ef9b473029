"""The secrecy API (design §5): classifications and their actions, need-to-know entries, the
filing register, secrecy reviews and leak reports — happy paths, 404 outside the need-to-know
(S6) and rule refusals as 400 with the rule's code."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import OrganisationFactory, UserFactory
from projects.tests.factories import CallFactory, ProjectFactory
from secrecy.models import Classification, Dispute, KnowledgeGrant, LeakReport, SecrecyReview
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


@pytest.fixture
def authority():
    return AuthorityFactory()


@pytest.fixture
def officer(authority):
    return officer_of(authority)


@pytest.fixture
def api(english_api_client):
    def as_user(user):
        english_api_client.force_authenticate(user)
        return english_api_client

    return as_user


def _decision(target, **fields):
    return {
        "target_type": target._meta.label_lower,
        "target_id": target.pk,
        "name": "某型芯片架构",
        "level": Level.SECRET,
        "period_years": 10,
        "key_points": "指令集与微架构",
        "stage": "establishment",
        "confirmed_classifiable": True,
        **fields,
    }


# ---- Classifications ---------------------------------------------------------------------------------


def test_list_and_retrieve_within_the_need_to_know_and_404_outside(api, authority):
    known = ClassificationFactory(authority=authority, name="已知事项")
    ClassificationFactory(authority=authority, name="未知事项")
    reader = UserFactory(roles=["applicant"])
    KnowledgeGrantFactory(classification=known, user=reader)

    body = api(reader).get("/api/v1/classifications/").json()
    assert [row["name"] for row in body["results"]] == ["已知事项"]
    row = body["results"][0]
    assert row["mark"] == "秘密★10年" and row["target_type"] == "projects.project"
    assert row["target_label"] == str(known.target) and row["authority_name"] == str(authority)
    assert api(reader).get(f"/api/v1/classifications/{known.pk}/").status_code == 200

    outsider = UserFactory(roles=["ministry"])
    response = api(outsider).get(f"/api/v1/classifications/{known.pk}/")
    assert response.status_code == 404 and set(response.json()) == {"code", "detail", "fields"}
    assert api(outsider).get("/api/v1/classifications/").json()["results"] == []


def test_list_filters(api, authority, officer):
    ClassificationFactory(authority=authority, name="秘密事项")
    ClassificationFactory(authority=authority, name="机密事项", level=Level.CONFIDENTIAL, period_years=20)
    names = [row["name"] for row in api(officer).get("/api/v1/classifications/?level=confidential").json()["results"]]
    assert names == ["机密事项"]


def test_list_query_count_does_not_grow_with_the_rows(api, authority, officer, django_assert_max_num_queries):
    def add(count):
        for _ in range(count):
            classification = ClassificationFactory(authority=authority)
            DisputeFactory(classification=classification)
            FilingFactory(classification=classification)

    client = api(officer)
    add(2)
    with CaptureQueriesContext(connection) as baseline:
        assert client.get("/api/v1/classifications/").status_code == 200
        assert client.get("/api/v1/secrecy-filings/").status_code == 200
    add(8)
    with django_assert_max_num_queries(len(baseline)):
        classifications = client.get("/api/v1/classifications/").json()
        filings = client.get("/api/v1/secrecy-filings/").json()
    assert classifications["count"] == 10 and filings["count"] == 10


def test_anonymous_gets_401(api_client):
    assert api_client.get("/api/v1/classifications/").status_code == 401


def test_create_a_decision(api, authority, officer):
    call = CallFactory()
    reader = UserFactory(roles=["applicant"])
    response = api(officer).post(
        "/api/v1/classifications/", _decision(call, stage="call", users=[reader.pk]), format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["target_type"] == "projects.call" and body["target_id"] == call.pk
    assert body["mark"] == "秘密★10年" and body["state"] == "active" and body["authority"] == authority.pk
    assert KnowledgeGrant.objects.filter(classification_id=body["id"], user=reader).exists()
    assert api(reader).get(f"/api/v1/classifications/{body['id']}/").status_code == 200


def test_create_over_the_maximum_is_400_with_rule_s1(api, officer):
    response = api(officer).post(
        "/api/v1/classifications/", _decision(ProjectFactory(), period_years=11), format="json"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["rule"] == "S1" and body["code"] == "period"
    assert "SECRETS-LAW §15" in body["detail"] and body["fields"]["period_years"]
    assert not Classification.objects.exists()


def test_create_beyond_the_authoritys_tier_is_400_with_rule_s3(api):
    city = AuthorityFactory(tier=Tier.MUNICIPAL)
    response = api(officer_of(city)).post(
        "/api/v1/classifications/",
        _decision(ProjectFactory(), level=Level.TOP_SECRET, period_years=30),
        format="json",
    )
    assert response.status_code == 400 and response.json()["rule"] == "S3"


def test_create_without_an_authority_or_by_a_non_classifier(api, authority):
    response = api(UserFactory(roles=["secrecy_officer"])).post(
        "/api/v1/classifications/", _decision(ProjectFactory()), format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "no_authority" and "SECRECY §15(2)" in response.json()["detail"]
    clerk = UserFactory(organisation=authority.organisation, roles=["applicant"])
    response = api(clerk).post("/api/v1/classifications/", _decision(ProjectFactory()), format="json")
    assert response.status_code == 404
    response = api(officer_of(authority)).post(
        "/api/v1/classifications/", {**_decision(ProjectFactory()), "target_id": 999999}, format="json"
    )
    assert response.status_code == 400 and "target_id" in response.json()["fields"]


def test_a_second_decision_on_the_same_item_is_409(api, authority, officer):
    project = ProjectFactory()
    ClassificationFactory(authority=authority, target=project)
    response = api(officer).post("/api/v1/classifications/", _decision(project), format="json")
    assert response.status_code == 409 and response.json()["code"] == "classified"


def test_change_extend_declassify(api, authority, officer):
    classification = ClassificationFactory(authority=authority)
    url = f"/api/v1/classifications/{classification.pk}"
    response = api(officer).post(f"{url}/change/", {"level": "confidential", "reason": "范围扩大"}, format="json")
    assert response.status_code == 200 and response.json()["mark"] == "机密★10年"

    response = api(officer).post(f"{url}/extend/", {"period_years": 21, "reason": "仍需保密"}, format="json")
    assert response.status_code == 400 and response.json()["rule"] == "S1"
    response = api(officer).post(f"{url}/extend/", {"period_years": 20, "reason": "仍需保密"}, format="json")
    assert response.status_code == 200 and response.json()["period_years"] == 20

    response = api(officer).post(f"{url}/declassify/", {"ending": "expired"}, format="json")
    assert response.status_code == 400 and "ending" in response.json()["fields"]
    response = api(officer).post(f"{url}/declassify/", {"ending": "spread", "reason": "已广泛传播"}, format="json")
    assert response.status_code == 200 and response.json()["state"] == "declassified"
    response = api(officer).post(f"{url}/declassify/", {"ending": "spread"}, format="json")
    assert response.status_code == 409


def test_a_listed_reader_may_not_change_and_an_outsider_gets_404(api, authority):
    classification = ClassificationFactory(authority=authority)
    reader = UserFactory(roles=["applicant"])
    KnowledgeGrantFactory(classification=classification, user=reader)
    url = f"/api/v1/classifications/{classification.pk}/change/"
    assert api(reader).post(url, {"level": "confidential", "reason": "x"}, format="json").status_code == 404
    assert api(UserFactory(roles=["secrecy_officer"])).post(url, {"reason": "x"}, format="json").status_code == 404
    classification.refresh_from_db()
    assert classification.level == Level.SECRET


def test_dispute_raises_the_handled_level(api, authority):
    classification = ClassificationFactory(authority=authority)
    reader = UserFactory(roles=["applicant"])
    KnowledgeGrantFactory(classification=classification, user=reader)
    url = f"/api/v1/classifications/{classification.pk}/dispute/"
    response = api(reader).post(url, {"claimed_level": "secret", "reason": "同级"}, format="json")
    assert response.status_code == 400 and response.json()["rule"] == "S7"
    response = api(reader).post(url, {"claimed_level": "top_secret", "reason": "涉及核心"}, format="json")
    assert response.status_code == 201 and response.json()["state"] == "open"
    detail = api(reader).get(f"/api/v1/classifications/{classification.pk}/").json()
    assert detail["handled_level"] == "top_secret" and detail["level"] == "secret"
    assert detail["mark"].startswith("绝密")
    assert Dispute.objects.count() == 1


# ---- Need-to-know entries ----------------------------------------------------------------------------


def test_grants_added_approved_revoked_and_named(api, authority, officer):
    classification = ClassificationFactory(authority=authority)
    newcomer = UserFactory(roles=["applicant"])
    response = api(officer).post(
        "/api/v1/knowledge-grants/",
        {"classification": classification.pk, "user": newcomer.pk, "reason": "联合攻关"},
        format="json",
    )
    assert response.status_code == 201 and response.json()["is_pending"] is True
    grant_id = response.json()["id"]
    assert api(officer).post(f"/api/v1/knowledge-grants/{grant_id}/approve/").status_code == 404  # not the head
    response = api(authority.head).post(f"/api/v1/knowledge-grants/{grant_id}/approve/")
    assert response.status_code == 200 and response.json()["approved_by"] == authority.head.pk
    assert api(newcomer).get(f"/api/v1/classifications/{classification.pk}/").status_code == 200
    listed = api(newcomer).get(f"/api/v1/knowledge-grants/?classification={classification.pk}").json()["results"]
    assert [row["user"] for row in listed] == [newcomer.pk]

    partner = OrganisationFactory()
    response = api(authority.head).post(
        "/api/v1/knowledge-grants/",
        {"classification": classification.pk, "organisation": partner.pk, "reason": "协作单位"},
        format="json",
    )
    assert response.status_code == 201 and response.json()["is_pending"] is False
    entry_id = response.json()["id"]
    administrator = UserFactory(organisation=partner, roles=["unit_admin"])
    engineer = UserFactory(organisation=partner, roles=["applicant"])
    response = api(administrator).post(
        f"/api/v1/knowledge-grants/{entry_id}/name-person/", {"user": engineer.pk}, format="json"
    )
    assert response.status_code == 201 and response.json()["via"] == entry_id
    response = api(administrator).post(
        f"/api/v1/knowledge-grants/{entry_id}/name-person/", {"user": newcomer.pk}, format="json"
    )
    assert response.status_code == 400 and response.json()["rule"] == "S6"

    response = api(officer).post(f"/api/v1/knowledge-grants/{grant_id}/revoke/")
    assert response.status_code == 200 and response.json()["revoked_at"]
    assert api(newcomer).get(f"/api/v1/classifications/{classification.pk}/").status_code == 404


def test_grants_of_an_unknown_decision_are_404(api, authority):
    classification = ClassificationFactory(authority=authority)
    grant = KnowledgeGrantFactory(classification=classification)
    outsider = UserFactory(roles=["secrecy_officer"])
    assert api(outsider).get(f"/api/v1/knowledge-grants/{grant.pk}/").status_code == 404
    response = api(outsider).post(
        "/api/v1/knowledge-grants/",
        {"classification": classification.pk, "user": outsider.pk, "reason": "想知道"},
        format="json",
    )
    assert response.status_code == 404
    assert api(outsider).get("/api/v1/knowledge-grants/").json()["results"] == []


def test_a_grant_naming_nobody_is_400_with_rule_s6(api, authority, officer):
    classification = ClassificationFactory(authority=authority)
    response = api(officer).post(
        "/api/v1/knowledge-grants/", {"classification": classification.pk, "reason": "x"}, format="json"
    )
    assert response.status_code == 400 and response.json()["rule"] == "S6"


# ---- Filing register ---------------------------------------------------------------------------------


def test_the_ministry_reads_every_filing_and_the_officer_files_their_own(api, authority, officer):
    own = FilingFactory(classification=ClassificationFactory(authority=authority, name="本机关事项"))
    other = FilingFactory()
    ministry = UserFactory(roles=["ministry"])
    rows = api(ministry).get("/api/v1/secrecy-filings/").json()["results"]
    assert {row["id"] for row in rows} == {own.pk, other.pk}
    assert all(row["classification"] is None and row["classification_name"] == "" for row in rows)
    assert api(ministry).post(f"/api/v1/secrecy-filings/{own.pk}/file/").status_code == 404

    rows = api(officer).get("/api/v1/secrecy-filings/").json()["results"]
    assert [(row["id"], row["classification_name"]) for row in rows] == [(own.pk, "本机关事项")]
    response = api(officer).post(f"/api/v1/secrecy-filings/{own.pk}/file/")
    assert response.status_code == 200 and response.json()["filed_at"]
    assert api(officer).post(f"/api/v1/secrecy-filings/{own.pk}/file/").status_code == 409
    assert api(officer).get(f"/api/v1/secrecy-filings/{other.pk}/").status_code == 404
    assert api(UserFactory(roles=["applicant"])).get("/api/v1/secrecy-filings/").status_code == 404


# ---- Secrecy reviews ---------------------------------------------------------------------------------


def test_secrecy_review_requested_refused_by_s9_and_decided(api, authority, officer):
    classification = ClassificationFactory(authority=authority, level=Level.TOP_SECRET, period_years=30)
    reader = UserFactory(roles=["applicant"])
    KnowledgeGrantFactory(classification=classification, user=reader)
    response = api(reader).post(
        "/api/v1/secrecy-reviews/",
        {"classification": classification.pk, "kind": "patent", "title": "一种装置", "patent_kind": "secret"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["rule"] == "S9" and response.json()["code"] == "patent_refused"
    response = api(reader).post(
        "/api/v1/secrecy-reviews/",
        {"classification": classification.pk, "kind": "conference", "title": "学术报告"},
        format="json",
    )
    assert response.status_code == 201
    review_id = response.json()["id"]
    assert api(reader).post(f"/api/v1/secrecy-reviews/{review_id}/decide/", {"decision": "approve"}).status_code == 404
    response = api(officer).post(f"/api/v1/secrecy-reviews/{review_id}/decide/", {"decision": "refuse"}, format="json")
    assert response.status_code == 400 and response.json()["rule"] == "S9"
    response = api(officer).post(
        f"/api/v1/secrecy-reviews/{review_id}/decide/",
        {"decision": "refuse", "conditions": "涉及核心参数"},
        format="json",
    )
    assert response.status_code == 200 and response.json()["state"] == SecrecyReview.State.REFUSED


def test_reviews_outside_the_need_to_know_are_404(api, authority):
    review = SecrecyReviewFactory(classification=ClassificationFactory(authority=authority))
    outsider = UserFactory(roles=["applicant"])
    assert api(outsider).get(f"/api/v1/secrecy-reviews/{review.pk}/").status_code == 404
    response = api(outsider).post(
        "/api/v1/secrecy-reviews/",
        {"classification": review.classification_id, "kind": "paper", "title": "论文"},
        format="json",
    )
    assert response.status_code == 404


# ---- Leak reports ------------------------------------------------------------------------------------


def test_leak_reported_by_anyone_then_acted_on_and_escalated_by_the_officer(api):
    unit = OrganisationFactory()
    reporter = UserFactory(organisation=unit, roles=["expert"])
    unit_officer = UserFactory(organisation=unit, roles=["secrecy_officer"])
    response = api(reporter).post("/api/v1/leak-reports/", {"description": "涉密文件误发邮件"}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["organisation"] == unit.pk and body["state"] == "reported" and body["report_due"]
    leak_id = body["id"]
    assert api(reporter).post(f"/api/v1/leak-reports/{leak_id}/act/", {"measures": "x"}).status_code == 404

    assert [row["id"] for row in api(unit_officer).get("/api/v1/leak-reports/").json()["results"]] == [leak_id]
    response = api(unit_officer).post(f"/api/v1/leak-reports/{leak_id}/escalate/")
    assert response.status_code == 409 and response.json()["code"] == "no_measures"
    response = api(unit_officer).post(f"/api/v1/leak-reports/{leak_id}/act/", {"measures": "已撤回邮件"}, format="json")
    assert response.status_code == 200 and response.json()["state"] == "acted"
    response = api(unit_officer).post(f"/api/v1/leak-reports/{leak_id}/escalate/")
    assert response.status_code == 200 and response.json()["escalated_at"]
    assert LeakReport.objects.get().state == LeakReport.State.ESCALATED


def test_leak_reports_are_404_outside_the_reporter_and_the_officers(api):
    leak = LeakReportFactory()
    for user in (UserFactory(organisation=leak.organisation, roles=["applicant"]), UserFactory(roles=["ministry"])):
        assert api(user).get(f"/api/v1/leak-reports/{leak.pk}/").status_code == 404
    other_officer = UserFactory(roles=["secrecy_officer"])
    assert api(other_officer).post(f"/api/v1/leak-reports/{leak.pk}/act/", {"measures": "x"}).status_code == 404


def test_a_leak_naming_an_unknown_decision_is_404_and_an_empty_one_is_400(api, authority):
    classification = ClassificationFactory(authority=authority)
    user = UserFactory(roles=["applicant"])
    response = api(user).post(
        "/api/v1/leak-reports/", {"description": "x", "classification": classification.pk}, format="json"
    )
    assert response.status_code == 404
    response = api(user).post("/api/v1/leak-reports/", {"description": " "}, format="json")
    assert response.status_code == 400
    assert not LeakReport.objects.exists()
