import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from accounts.tests.factories import UserFactory
from projects.models import Call
from projects.tests.factories import SpecialProjectFactory

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_agency_creates_and_publishes_a_call_through_the_api(api_client):
    special = SpecialProjectFactory()
    agency = UserFactory(organisation=special.managing_agency, roles=["agency"])
    with time_machine.travel(dt.datetime(2027, 1, 10, 10, 0, tzinfo=SHANGHAI), tick=True):
        api_client.force_authenticate(agency)
        created = api_client.post(
            "/api/v1/calls/",
            {
                "special_project": special.pk,
                "title": "接口创建的指南",
                "year": 2027,
                "closes_at": "2027-02-28T17:00:00+08:00",
                "budget_outline": "50000000.00",
                "directions": [{"code": "1.1", "title": "方向一", "planned_projects": 4}],
            },
            format="json",
        )
        assert created.status_code == 201, created.json()
        call_id = created.json()["id"]

        refused = api_client.post(f"/api/v1/calls/{call_id}/publish/")
        assert refused.status_code == 400
        body = refused.json()
        assert body["rule"] == "P1" and body["code"] == "call_window_too_short"
        assert "第二十一条" in body["detail"] and "closes_at" in body["fields"]

        Call.objects.filter(pk=call_id).update(closes_at=dt.datetime(2027, 3, 1, 17, 0, tzinfo=SHANGHAI))
        published = api_client.post(f"/api/v1/calls/{call_id}/publish/")
        assert published.status_code == 200
        assert published.json()["state"] == "published"
        assert api_client.post(f"/api/v1/calls/{call_id}/publish/").status_code == 409

    api_client.force_authenticate(None)
    public = api_client.get(f"/api/v1/calls/{call_id}/").json()
    assert public["budget_outline"] is None  # not published by the agency
    assert public["directions"] == [
        {"code": "1.1", "title": "方向一", "discipline_code": "", "planned_projects": 4, "budget_outline": None}
    ]


def test_applicants_cannot_create_calls(api_client):
    special = SpecialProjectFactory()
    api_client.force_authenticate(UserFactory(roles=["applicant"]))
    response = api_client.post(
        "/api/v1/calls/",
        {"special_project": special.pk, "title": "x", "year": 2027, "closes_at": "2027-05-01T00:00:00+08:00"},
        format="json",
    )
    assert response.status_code == 404
    assert not Call.objects.exists()
    api_client.force_authenticate(None)
    assert api_client.post("/api/v1/calls/", {}, format="json").status_code == 401


def test_submission_chain_through_the_api(api_client):
    from projects.tests.builders import complete_proposal, open_call

    call = open_call()
    proposal = complete_proposal(call)
    unit_admin = UserFactory(organisation=proposal.lead_unit, roles=["unit_admin"])
    agency = UserFactory(organisation=call.special_project.managing_agency, roles=["agency"])

    api_client.force_authenticate(proposal.applicant)
    body = api_client.get(f"/api/v1/proposals/{proposal.pk}/").json()
    assert body["state"] == "draft" and [s["number"] for s in body["subjects"]] == [1, 2]
    assert (
        api_client.patch(
            f"/api/v1/proposals/{proposal.pk}/", {"keywords": "合成生物学；酵母"}, format="json"
        ).status_code
        == 200
    )
    assert api_client.post(f"/api/v1/proposals/{proposal.pk}/submit/").json()["state"] == "submitted"

    api_client.force_authenticate(UserFactory(roles=["unit_admin"]))  # another unit
    assert api_client.post(f"/api/v1/proposals/{proposal.pk}/unit-submit/").status_code == 404
    api_client.force_authenticate(unit_admin)
    assert api_client.post(f"/api/v1/proposals/{proposal.pk}/unit-submit/").json()["state"] == "received"

    api_client.force_authenticate(agency)
    review = api_client.post("/api/v1/formal-reviews/", {"proposal": proposal.pk}, format="json").json()
    refused = api_client.post(f"/api/v1/formal-reviews/{review['id']}/decide/", {"passed": False}, format="json")
    assert refused.status_code == 400 and "reasons" in refused.json()["fields"]
    decided = api_client.post(
        f"/api/v1/formal-reviews/{review['id']}/decide/", {"passed": False, "reasons": "缺少盖章"}, format="json"
    )
    assert decided.json()["result"] == "failed"

    api_client.force_authenticate(proposal.applicant)
    assert api_client.get(f"/api/v1/formal-reviews/{review['id']}/").json()["reasons"] == "缺少盖章"
    appeal = api_client.post("/api/v1/appeals/", {"proposal": proposal.pk, "grounds": "已盖章"}, format="json").json()
    api_client.force_authenticate(agency)
    answered = api_client.post(
        f"/api/v1/appeals/{appeal['id']}/answer/", {"upheld": True, "answer": "复核通过"}, format="json"
    )
    assert answered.json()["outcome"] == "upheld"
    api_client.force_authenticate(None)
    assert api_client.get(f"/api/v1/proposals/{proposal.pk}/").status_code == 401


def test_eligibility_failures_come_back_as_findings(api_client):
    from projects import services
    from projects.tests.builders import open_call

    applicant = UserFactory(roles=["applicant"])
    proposal = services.proposal_create(actor=applicant, call=open_call())
    api_client.force_authenticate(applicant)
    response = api_client.post(f"/api/v1/proposals/{proposal.pk}/submit/")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "eligibility" and body["rule"] == "P2"
    assert {"rule", "code", "message", "item"} <= set(body["findings"][0])
    assert "no_subject" in [finding["code"] for finding in body["findings"]]
    api_client.force_authenticate(UserFactory(roles=["applicant"]))
    assert api_client.get(f"/api/v1/proposals/{proposal.pk}/").status_code == 404


def test_public_notices_are_readable_without_login(api_client):
    import datetime as dt

    from django.utils import timezone

    from projects.models import PublicNotice
    from projects.tests.builders import open_call

    public = PublicNotice.objects.create(
        call=open_call(), title="公开公示", starts_at=timezone.now(), ends_at=timezone.now() + dt.timedelta(days=5)
    )
    PublicNotice.objects.create(
        call=open_call(is_secret=True), title="保密公示", starts_at=timezone.now(), ends_at=timezone.now()
    )
    titles = [notice["title"] for notice in api_client.get("/api/v1/public-notices/").json()["results"]]
    assert titles == ["公开公示"]
    assert api_client.get(f"/api/v1/public-notices/{public.pk}/").json()["entries"] == []
