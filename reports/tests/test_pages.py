"""The pages of the depository: the public search and report pages (T6 — REPORTS §18, §21),
the stamped full text and its log, the project's plan and reports (T1), the leader's form
(T2–T4), the manage page with the actions of each party (T3, T5, T7) and the statistics."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from accounts.tests.factories import OrganisationFactory, UserFactory
from core.models import AuditEvent
from projects.models import Program
from projects.tests.factories import ProgramFactory, ProjectFactory
from reports import rules, services
from reports.models import AccessRequest, Download, PlanItem, TechReport
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


def as_user(client, user):
    client.force_login(user)
    return client


def text(response) -> str:
    return response.content.decode()


# ---- The public depository ------------------------------------------------------------------------


def test_t6_the_public_search_finds_confirmed_reports_by_words_programme_year_type_and_unit(english):
    client = english
    major = ProgramFactory(code=Program.Code.MAJOR, name="国家科技重大专项")
    unit = OrganisationFactory(name="华东示范研究所")
    enzyme = TechReportFactory(title="合成酶定向进化实验报告", keywords=["合成酶", "定向进化", "筛选"])
    survey = TechReportFactory(
        title="基因组设计软件调研报告",
        kind=Kind.SURVEY,
        project=ProjectFactory(program=major, lead_unit=unit),
        submitted_on=dt.date(2025, 5, 1),
    )
    draft = TechReportFactory(title="未提交的合成酶报告", state=TechReport.State.DRAFT, released_at=None)

    page = text(client.get(reverse("reports:public_list")))
    assert enzyme.title in page and survey.title in page and draft.title not in page
    assert enzyme.number in page and "公开" in page and enzyme.project.lead_unit.name in page

    def found(**query) -> set[str]:
        body = text(client.get(reverse("reports:public_list"), query))
        return {report.title for report in (enzyme, survey, draft) if report.title in body}

    assert found(q="合成酶") == {enzyme.title}
    assert found(q="定向进化 筛选") == {enzyme.title}
    assert found(program=major.pk) == {survey.title}
    assert found(year=2025) == {survey.title}
    assert found(kind=Kind.SURVEY) == {survey.title}
    assert found(unit="华东示范") == {survey.title}
    assert found(unit=enzyme.project.lead_unit.credit_code) == {enzyme.title}


def test_the_public_list_query_count_does_not_grow_with_the_rows(client):
    def queries_for(rows: int) -> int:
        TechReport.objects.all().delete()
        for _ in range(rows):
            TechReportFactory()
        with CaptureQueriesContext(connection) as captured:
            response = client.get(reverse("reports:public_list"))
        assert response.status_code == 200
        assert len(response.context["rows"]) == min(rows, 20)
        return len(captured)

    queries_for(1)  # warms the content-type cache of the need-to-know filter
    assert queries_for(3) == queries_for(30)


def test_t6_anyone_reads_the_metadata_abstracts_and_citation_but_logs_in_for_the_full_text(english):
    people = project_people()
    report = confirmed_report(people, related_papers="示范论文，2026。")
    response = english.get(reverse("reports:public_detail", args=[report.pk]))
    assert response.status_code == 200
    page = text(response)
    assert report.title in page and report.title_en in page
    assert report.abstract in page and report.abstract_en in page
    assert "合成生物学；人工基因组；酵母" in page and "张明、李华" in page
    assert report.number in page and "公开" in page
    assert "[R]" in page and f"报告编号: {report.number}" in page  # REPORTS §21
    assert "Log in with a registered real-name account" in page
    assert 'data-testid="full-text-link"' not in page
    assert english.get(reverse("reports:full_text", args=[report.pk])).status_code == 302  # to log in


def test_t6_the_full_text_is_stamped_on_every_page_and_each_download_is_logged(english):
    people = project_people()
    report = confirmed_report(people)
    reader = UserFactory(real_name="王读者")
    as_user(english, reader)
    assert 'data-testid="full-text-link"' in text(english.get(reverse("reports:public_detail", args=[report.pk])))

    response = english.get(reverse("reports:full_text", args=[report.pk]), REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    pages = PdfReader(io.BytesIO(response.content)).pages
    assert len(pages) == 3  # the cover and the two pages filed
    for page in pages:
        content = page.extract_text()
        assert "王读者" in content
        assert "公开" in content and report.number in content
    download = Download.objects.get(report=report)
    assert (download.user, download.ip_address) == (reader, "10.1.2.3")
    assert AuditEvent.objects.filter(action="tech_report.download", object_id=str(report.pk), rule="T6").exists()


def test_t6_a_user_without_real_name_verification_is_refused_the_full_text(english):
    report = confirmed_report(project_people())
    as_user(english, UserFactory(is_real_name_verified=False))
    page = text(english.get(reverse("reports:public_detail", args=[report.pk])))
    assert "Full texts are for registered real-name users (REPORTS §18)." in page
    response = english.get(reverse("reports:full_text", args=[report.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("reports:public_detail", args=[report.pk])
    assert not Download.objects.exists()


def test_t6_a_delayed_full_text_is_requested_and_granted_by_the_agency(english):
    people = project_people()
    report = confirmed_report(people, Access.DELAYED)
    reader = UserFactory()
    as_user(english, reader)
    page = text(english.get(reverse("reports:public_detail", args=[report.pk])))
    assert "needs an authorisation from the agency or the filing unit" in page
    assert 'data-testid="request-form"' in page
    assert english.get(reverse("reports:full_text", args=[report.pk])).status_code == 302

    english.post(reverse("reports:access_request", args=[report.pk]), {"purpose": "对比研究"})
    access_request = AccessRequest.objects.get(report=report, requester=reader)
    assert access_request.purpose == "对比研究"
    assert 'data-testid="request-form"' not in text(english.get(reverse("reports:public_detail", args=[report.pk])))

    as_user(english, people.agency)
    detail = text(english.get(reverse("reports:report_detail", args=[report.pk])))
    assert f'data-testid="access-request-{access_request.pk}"' in detail
    until = timezone.localdate() + dt.timedelta(days=30)
    english.post(
        reverse("reports:report_action", args=[report.pk, "decide-access"]),
        {"request": access_request.pk, "decision": "grant", "expires_on": until.isoformat()},
    )
    access_request.refresh_from_db()
    assert (access_request.state, access_request.expires_on) == (AccessRequest.State.GRANTED, until)

    as_user(english, reader)
    response = english.get(reverse("reports:full_text", args=[report.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"


def test_t6_the_filing_unit_refuses_a_request(english):
    people = project_people()
    report = confirmed_report(people, Access.DELAYED)
    access_request = services.access_request(actor=UserFactory(), report=report, purpose="学习")
    as_user(english, people.unit_admin)
    english.post(
        reverse("reports:report_action", args=[report.pk, "decide-access"]),
        {"request": access_request.pk, "decision": "refuse"},
    )
    access_request.refresh_from_db()
    assert access_request.state == AccessRequest.State.REFUSED


def test_the_cover_page_is_for_anyone_who_may_see_the_report(client):
    report = confirmed_report(project_people())
    response = client.get(reverse("reports:cover", args=[report.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert report.number in PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    draft = TechReportFactory(state=TechReport.State.DRAFT, released_at=None)
    assert client.get(reverse("reports:cover", args=[draft.pk])).status_code == 404


def test_a_report_still_with_its_project_has_no_public_page(client):
    people = project_people()
    report = filed_report(people)
    assert client.get(reverse("reports:public_detail", args=[report.pk])).status_code == 404
    as_user(client, people.leader)
    assert client.get(reverse("reports:public_detail", args=[report.pk])).status_code == 404
    assert client.get(reverse("reports:report_detail", args=[report.pk])).status_code == 200


# ---- The project's reports --------------------------------------------------------------------------


def test_t1_the_project_page_shows_the_plan_to_its_people_and_404_to_others(english):
    people = project_people()
    services.plan_ensure(project=people.project)
    url = reverse("reports:project_reports", args=[people.project.pk])
    for user in (people.leader, people.unit_admin, people.agency, UserFactory(roles=["ministry"])):
        as_user(english, user)
        response = english.get(url)
        assert response.status_code == 200, user
        assert "Final report" in text(response) and "2029-12-31" in text(response)
        assert ('data-testid="report-new"' in text(response)) == (user == people.leader)
    for user in (UserFactory(roles=["applicant"]), UserFactory(roles=["agency"]), UserFactory(roles=["unit_admin"])):
        as_user(english, user)
        assert english.get(url).status_code == 404


def test_t1_the_agency_adds_a_topical_report_to_the_plan(english):
    people = project_people()
    as_user(english, people.agency)
    english.post(
        reverse("reports:plan_add", args=[people.project.pk]),
        {"kind": Kind.TEST, "title": "样机测试报告", "due_on": "2027-06-30"},
    )
    item = PlanItem.objects.get(project=people.project, kind=Kind.TEST)
    assert (item.title, item.due_on) == ("样机测试报告", dt.date(2027, 6, 30))
    as_user(english, people.leader)
    english.post(reverse("reports:plan_add", args=[people.project.pk]), {"kind": Kind.TEST, "due_on": "2027-07-01"})
    assert PlanItem.objects.filter(project=people.project, kind=Kind.TEST).count() == 1


# ---- The leader's form ------------------------------------------------------------------------------


def form_data(**overrides) -> dict:
    values = report_values()
    data = {
        **{key: value for key, value in values.items() if key != "release_on"},
        "keywords": "合成生物学；人工基因组, 酵母\n基因组",
        "authors": "张明，李华",
        "units": "",
        "compiled_on": "2026-10-01",
        "access": Access.PUBLIC,
        "file": pdf_upload(),
        "action": "save",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def test_t2_the_leader_saves_a_draft_with_its_pdf_keywords_and_authors_split(english):
    people = project_people()
    as_user(english, people.leader)
    response = english.post(reverse("reports:report_new", args=[people.project.pk]), form_data())
    report = TechReport.objects.get(project=people.project)
    assert response.status_code == 302 and response["Location"] == reverse("reports:report_detail", args=[report.pk])
    assert report.state == TechReport.State.DRAFT
    assert report.keywords == ["合成生物学", "人工基因组", "酵母", "基因组"]
    assert report.authors == ["张明", "李华"]
    assert list(report.units.all()) == [people.project.lead_unit]
    assert report.file.read(5) == b"%PDF-"
    report.file.close()


def test_only_the_leader_opens_the_form(client):
    people = project_people()
    url = reverse("reports:report_new", args=[people.project.pk])
    as_user(client, UserFactory(roles=["applicant"]))
    assert client.get(url).status_code == 404
    as_user(client, people.unit_admin)
    assert client.get(url).status_code == 404
    as_user(client, people.leader)
    response = client.get(url)
    assert response.status_code == 200
    latest = rules.latest_release(timezone.localdate(), DelayReason.PAPER)
    assert latest.isoformat() in text(response)  # the latest allowed date next to the field


def test_t3_a_release_date_one_day_past_the_maximum_is_refused_keeping_what_was_typed(english):
    people = project_people()
    as_user(english, people.leader)
    latest = rules.latest_release(timezone.localdate(), DelayReason.PAPER)
    data = form_data(
        access=Access.DELAYED,
        delay_reason=DelayReason.PAPER,
        release_on=(latest + dt.timedelta(days=1)).isoformat(),
        title="延期公开的调研报告",
        action="file",
    )
    response = english.post(reverse("reports:report_new", args=[people.project.pk]), data)
    assert response.status_code == 400
    page = text(response)
    assert "the release may be delayed at most 2 years (REPORTS §12(1))" in page
    assert f"release on {latest} at the latest" in page
    assert 'data-testid="error-release_on"' in page
    assert "延期公开的调研报告" in page and (latest + dt.timedelta(days=1)).isoformat() in page
    # Nothing typed is lost: the draft is saved and the form now edits it.
    report = TechReport.objects.get(project=people.project)
    assert report.state == TechReport.State.DRAFT and report.release_on == latest + dt.timedelta(days=1)
    assert reverse("reports:report_edit", args=[report.pk]) in page

    data = form_data(
        access=Access.DELAYED, delay_reason=DelayReason.PAPER, release_on=latest.isoformat(), action="file", file=None
    )
    response = english.post(reverse("reports:report_edit", args=[report.pk]), data)
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.state == TechReport.State.FILED and report.number
    assert report.file  # the PDF uploaded with the refused attempt is kept


def test_t2_a_file_that_is_not_a_pdf_is_refused_and_nothing_is_saved(english):
    people = project_people()
    as_user(english, people.leader)
    fake = SimpleUploadedFile("report.docx", b"PK\x03\x04 not a pdf", content_type="application/octet-stream")
    response = english.post(reverse("reports:report_new", args=[people.project.pk]), form_data(file=fake))
    assert response.status_code == 400
    assert "Upload a PDF file." in text(response)
    assert not TechReport.objects.exists()


def test_a_full_text_with_javascript_is_refused_at_the_file_field_keeping_what_was_typed(english):
    people = project_people()
    as_user(english, people.leader)
    scripted = SimpleUploadedFile(
        "脚本报告.pdf", pdf_upload().read() + b"/OpenAction << /S /Launch >>", content_type="application/pdf"
    )
    data = form_data(file=scripted, title="含脚本的最终报告")
    response = english.post(reverse("reports:report_new", args=[people.project.pk]), data)
    assert response.status_code == 400
    page = text(response)
    assert "脚本报告.pdf contains scripts, launch actions or embedded files" in page
    assert 'data-testid="error-file"' in page and "含脚本的最终报告" in page
    assert not TechReport.objects.exists()


def test_t4_a_confidential_report_is_refused_when_filed(english):
    people = project_people()
    as_user(english, people.leader)
    data = form_data(access=Access.CLASSIFIED, secret_level="confidential", secret_years="5", action="file", file=None)
    response = english.post(reverse("reports:report_new", args=[people.project.pk]), data)
    assert response.status_code == 400
    assert "must be downgraded or desensitised before it is filed (REPORTS §12(2))" in text(response)


# ---- The manage page ------------------------------------------------------------------------------


def test_t5_file_submit_confirm_and_publication_through_the_manage_page(english):
    people = project_people()
    report = services.report_create(
        actor=people.leader, project=people.project, file=pdf_upload(), **report_values(Access.DELAYED)
    )
    detail = reverse("reports:report_detail", args=[report.pk])

    def act(user, action, data=None):
        as_user(english, user)
        response = english.post(reverse("reports:report_action", args=[report.pk, action]), data or {})
        assert response.status_code == 302 and response["Location"] == detail
        report.refresh_from_db()

    as_user(english, people.leader)
    assert 'data-testid="action-file"' in text(english.get(detail))
    act(people.leader, "file")
    assert report.state == TechReport.State.FILED and report.number
    act(people.agency, "confirm")  # not the agency's turn
    assert report.state == TechReport.State.FILED
    act(people.unit_admin, "submit")
    assert report.state == TechReport.State.SUBMITTED

    as_user(english, people.agency)
    page = text(english.get(detail))
    latest = rules.latest_release(report.submitted_on, DelayReason.PAPER)
    assert 'data-testid="confirm-form"' in page and latest.isoformat() in page
    new_release = report.submitted_on + dt.timedelta(days=90)
    act(people.agency, "confirm", {"release_on": new_release.isoformat()})
    assert report.state == TechReport.State.CONFIRMED and report.release_on == new_release

    as_user(english, people.leader)
    page = text(english.get(detail))
    assert 'data-testid="publication-form"' in page and 'data-testid="extension-deadline"' in page
    act(people.leader, "record-publication", {"note": "《示范学报》2027, 12(3): 1-10"})
    assert report.released_at is not None and report.release_basis == "published"


def test_t5_the_unit_returns_with_a_reason_and_the_leader_edits_again(english):
    people = project_people()
    report = filed_report(people)
    as_user(english, people.unit_admin)
    english.post(reverse("reports:report_action", args=[report.pk, "return"]), {"reason": ""})
    report.refresh_from_db()
    assert report.state == TechReport.State.FILED  # a reason is required
    english.post(reverse("reports:report_action", args=[report.pk, "return"]), {"reason": "摘要过短"})
    report.refresh_from_db()
    assert report.state == TechReport.State.RETURNED
    as_user(english, people.leader)
    page = text(english.get(reverse("reports:report_edit", args=[report.pk])))
    assert "摘要过短" in page and report.title in page


def test_a_filed_report_is_not_edited(english):
    people = project_people()
    report = filed_report(people)
    as_user(english, people.leader)
    response = english.get(reverse("reports:report_edit", args=[report.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("reports:report_detail", args=[report.pk])


def test_t7_the_extension_shows_its_deadline_and_the_agency_approves_it(english):
    people = project_people()
    report = confirmed_report(people, Access.DELAYED, release_on=timezone.localdate() + dt.timedelta(days=200))
    deadline = services.extension_deadline(report)
    as_user(english, people.unit_admin)
    page = text(english.get(reverse("reports:report_detail", args=[report.pk])))
    assert f"by {deadline:%Y-%m-%d} at the latest (REPORTS §19)" in page
    later = report.release_on + dt.timedelta(days=100)
    english.post(
        reverse("reports:report_action", args=[report.pk, "request-extension"]),
        {"new_release_on": later.isoformat(), "reason": "专利申请尚未公开"},
    )
    extension = report.extensions.get()
    as_user(english, people.agency)
    assert 'data-testid="extension-approve"' in text(english.get(reverse("reports:report_detail", args=[report.pk])))
    english.post(
        reverse("reports:report_action", args=[report.pk, "decide-extension"]),
        {"extension": extension.pk, "decision": "approve", "note": "同意"},
    )
    report.refresh_from_db()
    assert report.release_on == later


def test_the_download_log_is_shown_to_managers_not_to_the_leader(english):
    people = project_people()
    report = confirmed_report(people)
    reader = UserFactory(real_name="赵读者")
    as_user(english, reader)
    english.get(reverse("reports:full_text", args=[report.pk]))
    for user, shown in ((people.agency, True), (UserFactory(roles=["ministry"]), True), (people.leader, False)):
        as_user(english, user)
        page = text(english.get(reverse("reports:report_detail", args=[report.pk])))
        assert ("赵读者" in page) == shown, user


def test_a_reader_of_the_depository_is_sent_to_the_public_page(client):
    report = confirmed_report(project_people())
    as_user(client, UserFactory(roles=["expert"]))
    response = client.get(reverse("reports:report_detail", args=[report.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("reports:public_detail", args=[report.pk])


def test_an_action_not_yours_changes_nothing(english):
    people = project_people()
    report = submitted_report(people)
    as_user(english, people.unit_admin)
    response = english.post(reverse("reports:report_action", args=[report.pk, "confirm"]), follow=True)
    assert "This action is not yours to take on this report." in text(response)
    report.refresh_from_db()
    assert report.state == TechReport.State.SUBMITTED
    as_user(english, UserFactory(roles=["agency"]))  # another agency does not even see it
    assert english.post(reverse("reports:report_action", args=[report.pk, "confirm"])).status_code == 404


# ---- Statistics -------------------------------------------------------------------------------------


def test_t6_statistics_for_the_agency_of_its_projects_and_for_the_ministry_of_all(english):
    mine = project_people()
    other = ProjectFactory()
    services.plan_ensure(project=mine.project)
    services.plan_ensure(project=other)
    url = reverse("reports:statistics")
    as_user(english, mine.agency)
    page = text(english.get(url))
    assert mine.project.lead_unit.name in page and other.lead_unit.name not in page
    as_user(english, UserFactory(roles=["ministry"]))
    page = text(english.get(url))
    assert mine.project.lead_unit.name in page and other.lead_unit.name in page
    for role in ("applicant", "unit_admin", "expert"):
        as_user(english, UserFactory(roles=[role]))
        assert english.get(url).status_code == 404


# ---- Demo -------------------------------------------------------------------------------------------


def test_the_demo_project_has_its_plan_and_a_public_and_a_delayed_report(settings, client):
    from django.core.management import call_command

    from projects.demo import DEMO_PROJECT_NUMBER

    settings.DEMO_PASSWORD = "demo-pass-2026"
    call_command("load_demo")
    call_command("load_demo")  # idempotent
    reports = TechReport.objects.filter(project__number=DEMO_PROJECT_NUMBER)
    assert sorted(reports.values_list("access", "state")) == [("delayed", "confirmed"), ("public", "confirmed")]
    assert PlanItem.objects.filter(project__number=DEMO_PROJECT_NUMBER, kind=Kind.FINAL).exists()
    page = text(client.get(reverse("reports:public_list")))
    assert all(report.title in page for report in reports)
