"""Tech report services on the database: the plan (T1 — REPORTS §10–§11), filing checks and
numbering (T2 — §12, GB/T 15416-2014), delayed release (T3 — §12(1)), secret only (T4 —
§12(2)), the agency's confirmation (T5 — §14), full-text authorisations (T6 — §18), automatic
and early release, extensions (T7 — §19), declassification of classified reports (§20) and the
acceptance gate (T1, A3 — §15)."""

from __future__ import annotations

import datetime as dt
import io
from concurrent.futures import ThreadPoolExecutor

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from accounts.tests.factories import UserFactory
from core.exceptions import RuleViolation, StateConflict
from core.models import AuditEvent, Obligation
from core.uploads import MAX_ATTACHMENT_BYTES
from projects.documents import task_book_pdf
from projects.models import TaskBook
from projects.tests.factories import ProjectFactory
from reports import policies, selectors, services
from reports.models import PlanItem, TechReport
from reports.rules import Access, DelayReason, Kind
from reports.tests.builders import confirmed, draft, pdf_upload, people
from secrecy.models import Authority, Classification
from secrecy.services import classification_declassify, classify

pytestmark = pytest.mark.django_db

SUBMISSION = dt.datetime(2026, 3, 16, 2, 0, tzinfo=dt.UTC)  # Monday 16 March 2026, 10:00 in Beijing


def test_t1_the_plan_of_a_three_year_project_and_its_obligations():
    project = ProjectFactory(start_date=dt.date(2027, 1, 1), end_date=dt.date(2029, 12, 31))
    items = services.plan_ensure(project=project)
    assert [(item.kind, item.due_on) for item in items] == [
        (Kind.ANNUAL, dt.date(2027, 12, 31)),
        (Kind.ANNUAL, dt.date(2028, 12, 31)),
        (Kind.FINAL, dt.date(2029, 12, 31)),
    ]
    assert Obligation.objects.filter(kind=services.PLAN_KIND).count() == 3
    services.plan_ensure(project=project)
    assert PlanItem.objects.filter(project=project).count() == 3
    assert Obligation.objects.filter(kind=services.PLAN_KIND).count() == 3


def test_t1_the_agency_adds_a_topical_report():
    project = ProjectFactory()
    who = people(project)
    with pytest.raises(PermissionDenied):
        services.plan_add_topical(
            actor=who["leader"], project=project, kind=Kind.TEST, title="测试报告", due_on=dt.date(2027, 6, 30)
        )
    item = services.plan_add_topical(
        actor=who["agency"], project=project, kind=Kind.TEST, title="样机测试报告", due_on=dt.date(2027, 6, 30)
    )
    assert item.sequence == 1
    with pytest.raises(RuleViolation):
        services.plan_add_topical(
            actor=who["agency"], project=project, kind=Kind.FINAL, title="x", due_on=dt.date(2027, 6, 30)
        )


def test_a_draft_keeps_whatever_was_typed_and_filing_checks_everything():
    project = ProjectFactory()
    report = draft(project, abstract_en="", keywords="只有一个", file=None)
    assert TechReport.objects.filter(pk=report.pk, state="draft").exists()
    with pytest.raises(RuleViolation) as raised:
        services.report_file(actor=project.leader, report=report)
    assert {"abstract_en", "keywords", "file"} <= set(raised.value.fields)
    report.refresh_from_db()
    assert report.state == TechReport.State.DRAFT and report.number is None


def test_t2_only_a_pdf_is_filed():
    project = ProjectFactory()
    with pytest.raises(RuleViolation) as raised:
        draft(project, file=pdf_upload(name="report.docx"))
    assert raised.value.rule == "T2"


def _upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def test_a_full_text_with_javascript_is_refused_naming_the_file_and_nothing_is_saved():
    """Public full texts are served to anyone registered (T6): no scripts in them."""
    project = ProjectFactory()
    scripted = pdf_upload().read() + b"\n<< /S /JavaScript /JS (app.alert(1)) >>\n"
    with pytest.raises(ValidationError) as raised:
        draft(project, file=_upload("年度报告-脚本.pdf", scripted))
    messages = raised.value.message_dict["file"]
    assert messages == [
        "年度报告-脚本.pdf contains scripts, launch actions or embedded files; save it again as a plain PDF."
    ]
    assert not TechReport.objects.exists()


def test_a_full_text_that_is_not_a_pdf_inside_is_refused_and_an_edit_keeps_the_old_one():
    project = ProjectFactory()
    with pytest.raises(ValidationError) as raised:
        draft(project, file=_upload("report.pdf", b"PK\x03\x04 a word file renamed"))
    assert raised.value.message_dict["file"] == ["report.pdf is not a PDF file: only PDF attachments are accepted."]
    assert not TechReport.objects.exists()
    report = draft(project)
    with pytest.raises(ValidationError):
        services.report_update(actor=project.leader, report=report, title="改名", file=_upload("x.pdf", b"GIF89a"))
    report.refresh_from_db()
    assert report.title != "改名"
    with report.file.open("rb") as stored:
        assert stored.read(5) == b"%PDF-"


def test_a_full_text_just_over_20_mb_is_refused_and_one_of_20_mb_is_accepted():
    project = ProjectFactory()
    head = b"%PDF-1.7\n"
    with pytest.raises(ValidationError) as raised:
        draft(project, file=_upload("big.pdf", head + b"0" * (MAX_ATTACHMENT_BYTES + 1 - len(head))))
    assert raised.value.message_dict["file"] == ["big.pdf is larger than 20 MB."]
    assert not TechReport.objects.exists()
    report = draft(project, file=_upload("limit.pdf", head + b"0" * (MAX_ATTACHMENT_BYTES - len(head))))
    assert report.file.size == MAX_ATTACHMENT_BYTES


def test_a_normal_pdf_full_text_is_accepted_whole():
    project = ProjectFactory()
    content = pdf_upload().read()
    report = draft(project, file=_upload("final.pdf", content))
    with report.file.open("rb") as stored:
        assert stored.read() == content


def test_t2_numbers_are_unit_project_and_sequence():
    project = ProjectFactory()
    who = people(project)
    first = services.report_file(actor=who["leader"], report=draft(project))
    second = services.report_file(actor=who["leader"], report=draft(project, kind="survey"))
    prefix = f"{project.lead_unit.credit_code}-{project.number}"
    assert (first.number, second.number) == (f"{prefix}-001", f"{prefix}-002")


@pytest.mark.django_db(transaction=True)
def test_t2_numbers_stay_unique_when_reports_are_filed_at_once():
    project = ProjectFactory()
    reports = [draft(project, title=f"报告{n}") for n in range(8)]

    def file(report):
        try:
            return services.report_file(actor=project.leader, report=report).number
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=4) as pool:
        numbers = list(pool.map(file, reports))
    assert len(set(numbers)) == 8
    assert sorted(int(number.rsplit("-", 1)[1]) for number in numbers) == list(range(1, 9))


@pytest.mark.parametrize(
    ("reason", "years"), [(DelayReason.PAPER, 2), (DelayReason.PATENT, 3), (DelayReason.KNOW_HOW, 5)]
)
def test_t3_the_release_date_counts_from_submission_exactly_and_one_day_more(reason, years):
    project = ProjectFactory()
    who = people(project)
    exactly = SUBMISSION.date().replace(year=SUBMISSION.year + years)
    too_late = draft(project, access=Access.DELAYED, delay_reason=reason, release_on=exactly + dt.timedelta(days=1))
    fine = draft(project, access=Access.DELAYED, delay_reason=reason, release_on=exactly, title="另一份")
    with time_machine.travel(SUBMISSION, tick=False):
        with pytest.raises(RuleViolation) as raised:
            services.report_file(actor=who["leader"], report=too_late)
        assert raised.value.rule == "T3" and "REPORTS §12(1)" in raised.value.message
        services.report_file(actor=who["leader"], report=fine)
        services.report_submit(actor=who["unit"], report=fine)
    fine.refresh_from_db()
    assert fine.submitted_on == SUBMISSION.date() and fine.release_on == exactly


@pytest.mark.parametrize("level", ["confidential", "top_secret"])
def test_t4_a_classified_report_above_secret_is_refused(level):
    project = ProjectFactory()
    report = draft(project, access=Access.CLASSIFIED, secret_level="secret", secret_years=5, file=None)
    TechReport.objects.filter(pk=report.pk).update(secret_level="")  # the constraint allows secret only
    report.refresh_from_db()
    report.secret_level = level
    with pytest.raises(RuleViolation) as raised:
        services._raise(services._check(report))
    assert raised.value.rule == "T4" and "REPORTS §12(2)" in raised.value.message


def test_t4_a_classified_report_needs_a_classification_and_holds_no_full_text():
    project = ProjectFactory()
    who = people(project)
    with pytest.raises(RuleViolation) as raised:
        draft(project, access=Access.CLASSIFIED, secret_level="secret", secret_years=5)
    assert raised.value.rule == "S11"
    report = draft(project, access=Access.CLASSIFIED, secret_level="secret", secret_years=5, file=None)
    services.report_file(actor=who["leader"], report=report)
    services.report_submit(actor=who["unit"], report=report)
    with pytest.raises(RuleViolation) as raised:
        services.report_confirm(actor=who["agency"], report=report)
    assert raised.value.code == "no_classification"
    ministry = UserFactory(roles=["secrecy_officer"])
    authority = Authority.objects.create(organisation=ministry.organisation, tier="central", head=ministry)
    classify(
        actor=ministry, target=project, authority=authority, name="项目保密事项", level="secret", period_years=5,
        key_points="工艺参数", stage="establishment", users=[who["leader"], who["unit"], who["agency"]], confirmed_classifiable=True,
    )  # fmt: skip
    services.report_confirm(actor=who["agency"], report=report)
    assert services.access_code(TechReport.objects.get(pk=report.pk)) == "秘密★5年"


def test_t5_the_agency_confirms_a_public_report_which_is_public_at_once():
    project = ProjectFactory()
    report = confirmed(project)
    assert report.is_public and report.release_basis == "public"
    assert selectors.public_reports().filter(pk=report.pk).exists()


def test_t5_the_unit_or_the_agency_returns_with_a_reason():
    project = ProjectFactory()
    who = people(project)
    report = services.report_file(actor=who["leader"], report=draft(project))
    with pytest.raises(PermissionDenied):
        services.report_return(actor=who["agency"], report=report, reason="x")
    services.report_return(actor=who["unit"], report=report, reason="摘要过短")
    report.refresh_from_db()
    assert report.state == TechReport.State.RETURNED
    services.report_update(actor=who["leader"], report=report, abstract="补充后的摘要。")
    number = report.number
    report = services.report_file(actor=who["leader"], report=report)
    assert report.number == number  # the number stays with the report


def _delayed(project, who, *, release: dt.date, reason=DelayReason.PAPER):
    with time_machine.travel(SUBMISSION, tick=False):
        return confirmed(project, who=who, access=Access.DELAYED, delay_reason=reason, release_on=release)


def test_t7_the_release_timer_is_due_at_the_start_of_the_release_date_and_fires_once():
    project = ProjectFactory()
    who = people(project)
    report = _delayed(project, who, release=dt.date(2027, 9, 1))
    obligation = Obligation.objects.get(kind=services.RELEASE_KIND, object_id=str(report.pk))
    assert timezone.localtime(obligation.due_at).replace(tzinfo=None) == dt.datetime(2027, 9, 1)  # noqa: DTZ001
    assert not services.release_due(report=report, today=dt.date(2027, 8, 31))
    assert services.release_due(report=report, today=dt.date(2027, 9, 1))
    assert not services.release_due(report=report, today=dt.date(2027, 9, 2))
    report.refresh_from_db()
    assert report.is_public and report.release_basis == "expired"
    assert AuditEvent.objects.filter(action="tech_report.release", object_id=str(report.pk)).count() == 1


def test_t3_publication_releases_early_and_cancels_the_timer():
    project = ProjectFactory()
    who = people(project)
    report = _delayed(project, who, release=dt.date(2027, 9, 1))
    with pytest.raises(RuleViolation):
        services.record_publication(actor=who["leader"], report=report, note="")
    services.record_publication(actor=who["leader"], report=report, note="《生物工程学报》2026年第5期")
    report.refresh_from_db()
    assert report.is_public and report.release_basis == "published"
    obligation = Obligation.objects.get(kind=services.RELEASE_KIND, object_id=str(report.pk))
    assert obligation.state == Obligation.State.WAIVED


def test_t7_an_extension_lodged_14_working_days_before_release_is_refused_15_is_accepted():
    """REPORTS §19 across the National Day and Mid-autumn holidays: release on 16 October 2026;
    the last day is Sunday 20 September (a working day), Monday 21 September is too late."""
    project = ProjectFactory()
    who = people(project)
    with time_machine.travel(dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC), tick=False):
        report = confirmed(
            project, who=who, access=Access.DELAYED, delay_reason=DelayReason.PAPER, release_on=dt.date(2026, 10, 16)
        )
    assert services.extension_deadline(report) == dt.date(2026, 9, 20)
    with pytest.raises(RuleViolation) as raised:
        services.extension_request(
            actor=who["unit"],
            report=report,
            new_release_on=dt.date(2027, 3, 1),
            reason="专利尚未公开",
            today=dt.date(2026, 9, 21),
        )
    assert raised.value.code == "extension_too_late" and "REPORTS §19" in raised.value.message
    extension = services.extension_request(
        actor=who["unit"],
        report=report,
        new_release_on=dt.date(2027, 3, 1),
        reason="专利尚未公开",
        today=dt.date(2026, 9, 20),
    )
    services.extension_decide(actor=who["agency"], extension=extension, approve=True)
    report.refresh_from_db()
    assert report.release_on == dt.date(2027, 3, 1)
    obligation = Obligation.objects.get(kind=services.RELEASE_KIND, object_id=str(report.pk))
    assert timezone.localtime(obligation.due_at).date() == dt.date(2027, 3, 1)


def test_t6_a_delayed_full_text_needs_an_unexpired_authorisation():
    project = ProjectFactory()
    who = people(project)
    report = _delayed(project, who, release=dt.date(2027, 9, 1))
    reader = UserFactory(is_real_name_verified=True)
    assert policies.full_text_refusal(reader, report)
    assert policies.full_text_refusal(who["agency"], report) == ""  # manager within its remit
    with pytest.raises(RuleViolation):
        services.access_request(actor=UserFactory(is_real_name_verified=False), report=report, purpose="研究")
    request = services.access_request(actor=reader, report=report, purpose="课题调研")
    with pytest.raises(RuleViolation):
        services.access_decide(actor=who["agency"], request=request, grant=True)
    services.access_decide(
        actor=who["unit"], request=request, grant=True, expires_on=timezone.localdate() + dt.timedelta(days=30)
    )
    assert policies.full_text_refusal(reader, report) == ""
    with time_machine.travel(timezone.now() + dt.timedelta(days=31)):
        assert policies.full_text_refusal(reader, report)


def test_a_classified_report_becomes_public_when_its_project_is_declassified(django_capture_on_commit_callbacks):
    project = ProjectFactory()
    who = people(project)
    officer = UserFactory(roles=["secrecy_officer"])
    authority = Authority.objects.create(organisation=officer.organisation, tier="central", head=officer)
    decision = classify(
        actor=officer, target=project, authority=authority, name="项目保密事项", level="secret", period_years=5,
        key_points="工艺参数", stage="establishment", users=[who["leader"], who["unit"], who["agency"]], confirmed_classifiable=True,
    )  # fmt: skip
    report = confirmed(project, who=who, access=Access.CLASSIFIED, secret_level="secret", secret_years=5, file=None)
    outsider = UserFactory()
    assert not selectors.reports_for_user(outsider).filter(pk=report.pk).exists()
    with django_capture_on_commit_callbacks(execute=True):
        classification_declassify(actor=officer, classification=decision, ending=Classification.Ending.HARMLESS)
    report.refresh_from_db()
    assert (report.access, report.release_basis) == (Access.PUBLIC, "declassified")
    assert selectors.public_reports(outsider).filter(pk=report.pk).exists()


def test_t1_the_acceptance_gate_needs_the_final_report_confirmed():
    project = ProjectFactory()
    who = people(project)
    assert not selectors.final_report_filed(project)
    report = services.report_submit(
        actor=who["unit"], report=services.report_file(actor=who["leader"], report=draft(project))
    )
    assert not selectors.final_report_filed(project)
    services.report_confirm(actor=who["agency"], report=report)
    assert selectors.final_report_filed(project)


def test_search_finds_chinese_substrings_of_titles_keywords_and_authors():
    project = ProjectFactory()
    confirmed(project, title="高温合金叶片制备工艺研究", keywords="高温合金；叶片；铸造")
    confirmed(project, title="海洋微生物资源调查", keywords="海洋；微生物；资源", kind="survey")
    public = selectors.public_reports()
    assert [report.title for report in selectors.search(public, "合金")] == ["高温合金叶片制备工艺研究"]
    assert selectors.search(public, "微生物 调查").count() == 1
    assert selectors.search(public, "张三").count() == 2  # an author of both
    assert selectors.search(public, "不存在").count() == 0


def test_statistics_count_due_filed_and_overdue_per_unit():
    project = ProjectFactory(start_date=dt.date(2024, 1, 1), end_date=dt.date(2026, 12, 31))
    who = people(project)
    items = services.plan_ensure(project=project)
    first = items[0]
    report = confirmed(project, who=who, kind=first.kind, plan_item=first)
    assert report.plan_item == first
    (row,) = selectors.statistics(who["agency"], today=dt.date(2025, 6, 1))
    assert (row["planned"], row["due"], row["filed"], row["overdue"]) == (3, 1, 1, 0)
    (row,) = selectors.statistics(who["agency"], today=dt.date(2026, 1, 2))
    assert (row["due"], row["filed"], row["overdue"]) == (2, 1, 1)
    assert selectors.statistics(UserFactory(roles=["applicant"])) == []


def test_only_the_leader_edits_and_not_after_filing():
    project = ProjectFactory()
    who = people(project)
    report = draft(project)
    with pytest.raises(PermissionDenied):
        services.report_update(actor=who["unit"], report=report, title="x")
    services.report_file(actor=who["leader"], report=report)
    with pytest.raises(StateConflict):
        services.report_update(actor=who["leader"], report=report, title="x")


def test_t1_the_task_book_lists_the_reports_it_requires_on_its_page_and_in_its_pdf(client):
    """T1 — REPORTS §11: the task book states the type and time of each report owed."""
    project = ProjectFactory(start_date=dt.date(2027, 1, 1), end_date=dt.date(2029, 12, 31))
    book = TaskBook.objects.create(project=project, party_a=project.managing_agency, party_b=project.lead_unit)
    services.plan_ensure(project=project)
    client.force_login(project.leader)
    page = client.get(reverse("projects:task_book_detail", args=[book.pk])).content.decode()
    assert "2028-12-31" in page and "2029-12-31" in page
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(task_book_pdf(book))).pages)
    assert "2027-12-31" in text and "2029-12-31" in text
