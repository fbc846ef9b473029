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
    assert public["directions"] == [{"code": "1.1", "title": "方向一", "planned_projects": 4, "budget_outline": None}]


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
