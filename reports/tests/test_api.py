"""The report API: ``tech-reports/`` (the leader's drafts in multipart with the PDF, filing,
submission, confirmation, return, early release, extensions — T2–T5, T7),
``report-access-requests/`` (T6 authorisations) and the anonymous ``public/tech-reports/``.
Errors in the format of design §5; anything outside the caller's scope answers 404."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.tests.factories import UserFactory
from projects.models import Program
from projects.tests.factories import ProgramFactory, ProjectFactory
from reports import rules, services
from reports.models import AccessRequest, TechReport
from reports.rules import Access, DelayReason, Kind
from reports.tests.factories import (
    TechReportFactory,
    confirmed_report,
    filed_report,
    pdf_upload,
    project_people,
    report_values,
    submitted_report,
)

pytestmark = pytest.mark.django_db

REPORTS = "/api/v1/tech-reports/"
REQUESTS = "/api/v1/report-access-requests/"
PUBLIC = "/api/v1/public/tech-reports/"


@pytest.fixture
def api(api_client, english):
    return api_client


def as_user(api, user):
    api.force_authenticate(user)
    return api


def multipart(project, **overrides) -> dict:
    values = report_values(**overrides)
    data = {**values, "project": project.pk, "file": pdf_upload()}
    if isinstance(data.get("release_on"), dt.date):
        data["release_on"] = data["release_on"].isoformat()
    return {key: value for key, value in data.items() if value is not None}


# ---- Drafting and filing ----------------------------------------------------------------------------


def test_a_full_text_with_javascript_answers_400_naming_the_file(api):
    people = project_people()
    scripted = SimpleUploadedFile(
        "scripted.pdf", pdf_upload().read() + b"/AA << /O << /S /JavaScript >> >>", content_type="application/pdf"
    )
    data = {**multipart(people.project), "file": scripted}
    response = as_user(api, people.leader).post(REPORTS, data, format="multipart")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert body["fields"]["file"] == [
        "scripted.pdf contains scripts, launch actions or embedded files; save it again as a plain PDF."
    ]
    assert not TechReport.objects.exists()


def test_t2_the_leader_creates_a_draft_in_multipart_with_its_pdf(api):
    people = project_people()
    response = as_user(api, people.leader).post(REPORTS, multipart(people.project), format="multipart")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["state"] == "draft" and body["number"] is None
    assert body["keywords"] == ["合成生物学", "人工基因组", "酵母"]
    assert body["units"] == [
        {
            "id": people.project.lead_unit.pk,
            "name": people.project.lead_unit.name,
            "credit_code": people.project.lead_unit.credit_code,
        }
    ]
    assert body["full_text_url"].endswith(f"/tech-reports/{body['id']}/full-text.pdf")
    report = TechReport.objects.get(pk=body["id"])
    assert report.file.read(5) == b"%PDF-"
    report.file.close()


def test_only_the_leader_creates_and_the_project_of_another_answers_404(api):
    people = project_people()
    for user in (UserFactory(roles=["applicant"]), people.unit_admin):
        response = as_user(api, user).post(REPORTS, multipart(people.project), format="multipart")
        assert response.status_code == 404, user
    api.force_authenticate(None)
    assert api.post(REPORTS, multipart(people.project), format="multipart").status_code == 401
    assert not TechReport.objects.exists()


def test_the_leader_changes_a_draft_with_json(api):
    people = project_people()
    report = services.report_create(actor=people.leader, project=people.project, **report_values())
    response = as_user(api, people.leader).patch(
        f"{REPORTS}{report.pk}/", {"title": "新标题", "keywords": ["甲", "乙；丙"]}, format="json"
    )
    assert response.status_code == 200, response.json()
    report.refresh_from_db()
    assert report.title == "新标题" and report.keywords == ["甲", "乙", "丙"]


def test_t3_filing_with_a_release_date_one_day_past_the_maximum_is_refused_and_the_draft_kept(api):
    people = project_people()
    latest = rules.latest_release(timezone.localdate(), DelayReason.PAPER)
    data = multipart(people.project, access=Access.DELAYED, release_on=latest + dt.timedelta(days=1))
    created = as_user(api, people.leader).post(REPORTS, data, format="multipart").json()
    response = api.post(f"{REPORTS}{created['id']}/file/")
    assert response.status_code == 400
    body = response.json()
    assert body["rule"] == "T3" and body["code"] == "report_invalid"
    assert "at most 2 years (REPORTS §12(1))" in body["detail"]
    assert body["fields"]["release_on"] == [
        f"For this reason the release may be delayed at most 2 years (REPORTS §12(1)): release on {latest} at the latest."
    ]
    report = TechReport.objects.get(pk=created["id"])
    assert report.state == "draft" and report.release_on == latest + dt.timedelta(days=1)

    assert api.patch(f"{REPORTS}{report.pk}/", {"release_on": latest.isoformat()}, format="json").status_code == 200
    filed = api.post(f"{REPORTS}{report.pk}/file/")
    assert filed.status_code == 200 and filed.json()["state"] == "filed" and filed.json()["number"]


def test_t4_a_confidential_level_is_refused_at_once(api):
    people = project_people()
    data = multipart(people.project, access=Access.CLASSIFIED, secret_level="confidential", secret_years=5)
    response = as_user(api, people.leader).post(REPORTS, data, format="multipart")
    assert response.status_code == 400
    assert "REPORTS §12(2)" in response.json()["fields"]["secret_level"][0]


def test_t5_file_submit_confirm_each_by_its_party_and_404_to_the_others(api):
    people = project_people()
    report = services.report_create(
        actor=people.leader, project=people.project, file=pdf_upload(), **report_values(Access.DELAYED)
    )
    url = f"{REPORTS}{report.pk}/"
    assert as_user(api, people.unit_admin).post(f"{url}file/").status_code == 404
    assert as_user(api, people.leader).post(f"{url}file/").status_code == 200
    assert api.post(f"{url}file/").status_code == 409
    assert as_user(api, people.leader).post(f"{url}submit/").status_code == 404  # not a unit administrator
    assert as_user(api, UserFactory(roles=["unit_admin"])).post(f"{url}submit/").status_code == 404
    assert as_user(api, people.unit_admin).post(f"{url}submit/").status_code == 200
    assert as_user(api, UserFactory(roles=["agency"])).post(f"{url}confirm/").status_code == 404
    release = timezone.localdate() + dt.timedelta(days=100)
    response = as_user(api, people.agency).post(f"{url}confirm/", {"release_on": release.isoformat()}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["state"] == "confirmed" and body["release_on"] == release.isoformat()
    assert body["access_code"] == f"延期公开（{release.year}年{release.month}月{release.day}日公开）"


def test_t5_return_needs_a_reason(api):
    people = project_people()
    report = submitted_report(people)
    url = f"{REPORTS}{report.pk}/return/"
    assert as_user(api, people.agency).post(url, {}, format="json").status_code == 400
    response = api.post(url, {"reason": "密级需复核"}, format="json")
    assert response.status_code == 200 and response.json()["state"] == "returned"
    assert response.json()["returned_reason"] == "密级需复核"


def test_t3_t7_publication_and_extensions_through_the_api(api):
    people = project_people()
    report = confirmed_report(people, Access.DELAYED, release_on=timezone.localdate() + dt.timedelta(days=200))
    url = f"{REPORTS}{report.pk}/"
    later = report.release_on + dt.timedelta(days=60)
    response = as_user(api, people.unit_admin).post(
        f"{url}request-extension/", {"new_release_on": later.isoformat(), "reason": "专利未公开"}, format="json"
    )
    assert response.status_code == 200
    extension = response.json()["extensions"][0]
    assert extension["state"] == "requested"
    assert (
        as_user(api, people.leader)
        .post(f"{url}decide-extension/", {"extension": extension["id"], "approve": True}, format="json")
        .status_code
        == 404
    )
    response = as_user(api, people.agency).post(
        f"{url}decide-extension/", {"extension": extension["id"], "approve": True, "note": "同意"}, format="json"
    )
    assert response.status_code == 200 and response.json()["release_on"] == later.isoformat()
    response = as_user(api, people.leader).post(f"{url}record-publication/", {"note": "论文已发表"}, format="json")
    assert response.status_code == 200 and response.json()["release_basis"] == "published"
    assert response.json()["is_public"] is True


def test_search_and_scope_of_the_report_list(api):
    people = project_people()
    draft = services.report_create(actor=people.leader, project=people.project, **report_values(title="草稿里的合成酶"))
    public = TechReportFactory(title="公开的合成酶报告")
    outsider = UserFactory()
    body = as_user(api, outsider).get(REPORTS, {"q": "合成酶"}).json()
    assert [row["id"] for row in body["results"]] == [public.pk]
    assert api.get(f"{REPORTS}{draft.pk}/").status_code == 404
    body = as_user(api, people.leader).get(REPORTS, {"q": "合成酶"}).json()
    assert {row["id"] for row in body["results"]} == {draft.pk, public.pk}
    assert api.get(f"{REPORTS}{draft.pk}/").json()["title"] == "草稿里的合成酶"


def test_the_report_list_query_count_does_not_grow(api):
    people = project_people()
    as_user(api, people.agency)

    def queries_for(rows: int) -> int:
        TechReport.objects.all().delete()
        for _ in range(rows):
            TechReportFactory(project=people.project)
        with CaptureQueriesContext(connection) as captured:
            response = api.get(REPORTS)
        assert response.json()["count"] == rows
        return len(captured)

    queries_for(1)  # warms the content-type cache of the need-to-know filter
    assert queries_for(2) == queries_for(12)


# ---- Full-text requests (T6) ------------------------------------------------------------------------


def test_t6_a_request_is_made_by_a_real_name_user_and_decided_by_the_agency_or_the_unit(api):
    people = project_people()
    report = confirmed_report(people, Access.DELAYED)
    reader = UserFactory()
    response = as_user(api, reader).post(REQUESTS, {"report": report.pk, "purpose": "比较研究"}, format="json")
    assert response.status_code == 201
    request_id = response.json()["id"]
    refused = as_user(api, UserFactory(is_real_name_verified=False)).post(
        REQUESTS, {"report": report.pk, "purpose": "学习"}, format="json"
    )
    assert refused.status_code == 400 and refused.json()["rule"] == "T6"

    assert as_user(api, UserFactory(roles=["agency"])).get(f"{REQUESTS}{request_id}/").status_code == 404
    assert [row["id"] for row in as_user(api, people.unit_admin).get(REQUESTS).json()["results"]] == [request_id]
    assert as_user(api, people.agency).post(f"{REQUESTS}{request_id}/grant/", {}, format="json").status_code == 400
    until = timezone.localdate() + dt.timedelta(days=10)
    response = api.post(f"{REQUESTS}{request_id}/grant/", {"expires_on": until.isoformat()}, format="json")
    assert response.status_code == 200 and response.json()["state"] == "granted"
    assert AccessRequest.objects.get(pk=request_id).expires_on == until
    assert api.post(f"{REQUESTS}{request_id}/refuse/").status_code == 409

    detail = as_user(api, reader).get(f"{REPORTS}{report.pk}/").json()
    assert detail["full_text_url"] and detail["full_text_refusal"] == ""
    assert [row["id"] for row in api.get(REQUESTS).json()["results"]] == [request_id]


def test_t6_the_filing_unit_refuses(api):
    people = project_people()
    report = confirmed_report(people, Access.DELAYED)
    access_request = services.access_request(actor=UserFactory(), report=report, purpose="学习")
    response = as_user(api, people.unit_admin).post(f"{REQUESTS}{access_request.pk}/refuse/")
    assert response.status_code == 200 and response.json()["state"] == "refused"


# ---- The public depository --------------------------------------------------------------------------


def test_t6_the_public_api_gives_metadata_and_abstracts_to_anyone_and_never_a_file(api):
    major = ProgramFactory(code=Program.Code.MAJOR, name="国家科技重大专项")
    people = project_people(program=major)
    report = confirmed_report(people, Access.DELAYED)
    TechReportFactory(title="另一份报告", kind=Kind.SURVEY, submitted_on=dt.date(2025, 3, 1))
    TechReportFactory(title="草稿", state=TechReport.State.DRAFT, released_at=None)
    body = api.get(PUBLIC).json()
    assert body["count"] == 2
    row = next(row for row in body["results"] if row["id"] == report.pk)
    assert row["abstract"] == report.abstract and row["abstract_en"] == report.abstract_en
    assert row["access_code"].startswith("延期公开") and row["is_public"] is False
    assert "[R]" in row["citation"]
    payload = json.dumps(body, ensure_ascii=False)
    assert ".pdf" not in payload and "file" not in row and "full_text_url" not in row

    def ids(**query) -> set[int]:
        return {row["id"] for row in api.get(PUBLIC, query).json()["results"]}

    assert ids(q="酵母") == {report.pk}
    assert ids(program=major.pk) == {report.pk}
    assert ids(year=2025, kind=Kind.SURVEY) == {row["id"] for row in body["results"]} - {report.pk}
    assert ids(unit=people.project.lead_unit.name) == {report.pk}
    assert api.get(f"{PUBLIC}{report.pk}/").status_code == 200
    assert api.get(PUBLIC, {"year": "abc"}).status_code == 400


def test_the_public_list_query_count_does_not_grow(api):
    def queries_for(rows: int) -> int:
        TechReport.objects.all().delete()
        for _ in range(rows):
            TechReportFactory(project=ProjectFactory())
        with CaptureQueriesContext(connection) as captured:
            assert api.get(PUBLIC).json()["count"] == rows
        return len(captured)

    queries_for(1)  # warms the content-type cache of the need-to-know filter
    assert queries_for(2) == queries_for(15)


def test_a_filed_report_is_not_in_the_public_api(api):
    report = filed_report(project_people())
    assert api.get(f"{PUBLIC}{report.pk}/").status_code == 404
