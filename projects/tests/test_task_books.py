"""Task books (P5 — KRD-MGMT §33): drafted from the application, no indicator lowered or
dropped, reviewed by the agency, signed by both parties, PDF with every page numbered."""

import datetime as dt
import io

import pytest
import time_machine
from pypdf import PdfReader

from accounts.tests.factories import UserFactory
from core.exceptions import RuleViolation
from core.models import Obligation
from projects import services
from projects.models import TaskBook
from projects.tests.builders import complete_proposal, open_call

pytestmark = pytest.mark.django_db


@pytest.fixture
def project():
    call = open_call()
    proposal = complete_proposal(call)
    unit_admin = UserFactory(organisation=proposal.lead_unit, roles=["unit_admin"])
    agency = UserFactory(organisation=call.special_project.managing_agency, roles=["agency"])
    services.proposal_submit(actor=proposal.applicant, proposal=proposal)
    services.proposal_unit_submit(actor=unit_admin, proposal=proposal)
    services.formal_review_open(actor=agency, proposal=proposal)
    services.formal_review_decide(actor=agency, proposal=proposal, passed=True, reasons="")
    services.proposal_propose(actor=agency, proposal=proposal)
    notice = services.compliance_approve(actor=UserFactory(roles=["ministry"]), call=call, proposals=[proposal])
    with time_machine.travel(notice.ends_at + dt.timedelta(minutes=1), tick=False):
        project = services.approval_issue(actor=agency, proposal=proposal)
    return project, agency, unit_admin


def test_task_books_are_drafted_from_the_application(project):
    project, _agency, _unit_admin = project
    books = list(project.task_books.order_by("id"))
    assert len(books) == 3  # the project's and one per subject
    main = books[0]
    assert (main.party_a, main.party_b, main.subject) == (project.managing_agency, project.lead_unit, None)
    assert [(i.name, i.target_value) for i in main.indicators.all()] == [("合成染色体数", "≥3 条")]
    assert books[1].party_a == project.lead_unit and books[2].party_b == books[2].subject.unit
    assert Obligation.objects.filter(kind="task_book_confirmation", object_id=str(main.pk), state="open").exists()


def test_p5_an_indicator_may_be_raised_not_lowered_nor_dropped(project):
    project, _agency, _unit_admin = project
    book = project.task_books.get(subject=None)
    indicator = book.indicators.get()
    with pytest.raises(RuleViolation) as raised:
        services.task_book_indicator_set(actor=project.leader, indicator=indicator, target_value="≥2 条")
    assert raised.value.code == "indicator_weakened" and "第三十三条" in raised.value.message
    services.task_book_indicator_set(actor=project.leader, indicator=indicator, target_value="≥4 条")
    with pytest.raises(RuleViolation):
        services.task_book_indicator_remove(actor=project.leader, indicator=indicator)
    extra = services.task_book_indicator_add(actor=project.leader, book=book, name="培养博士生", target_value="5 名")
    services.task_book_indicator_remove(actor=project.leader, indicator=extra)


def test_review_and_both_signatures_confirm_the_task_book(project, client):
    project, agency, unit_admin = project
    book = project.task_books.get(subject=None)
    services.task_book_save(
        actor=project.leader, book=book, report_plan="年度报告、最终报告", ip_goals="申请发明专利3项"
    )
    services.task_book_submit(actor=project.leader, book=book)
    services.task_book_review(actor=agency, book=book, agreed=False, comment="补充知识产权目标的考核方式")
    book.refresh_from_db()
    assert book.state == TaskBook.State.DRAFT
    services.task_book_submit(actor=project.leader, book=book)
    services.task_book_review(actor=agency, book=book, agreed=True)
    services.task_book_sign(actor=agency, book=book)
    services.task_book_sign(actor=unit_admin, book=book)
    book.refresh_from_db()
    assert book.state == TaskBook.State.CONFIRMED
    assert (book.signed_a_by, book.signed_b_by) == (agency, unit_admin)
    assert Obligation.objects.get(kind="task_book_confirmation", object_id=str(book.pk)).state == "done"

    client.force_login(project.leader)
    response = client.get(f"/task-books/{book.pk}/pdf/")
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    text = "".join(page.extract_text() for page in reader.pages)
    assert project.title in text and project.number in text and "申请发明专利3项" in text
    assert all("第 " in page.extract_text() and " 页" in page.extract_text() for page in reader.pages)
    client.force_login(UserFactory(roles=["applicant"]))
    assert client.get(f"/task-books/{book.pk}/pdf/").status_code == 404


def test_secret_project_needs_its_confidentiality_agreement():
    call = open_call(is_secret=True)
    proposal = complete_proposal(call)
    from projects.tests.factories import ProjectFactory

    project = ProjectFactory(
        proposal=proposal, leader=proposal.applicant, managing_agency=call.special_project.managing_agency
    )
    services.task_books_generate(project=project)
    book = project.task_books.get(subject=None)
    with pytest.raises(RuleViolation) as raised:
        services.task_book_submit(actor=project.leader, book=book)
    assert raised.value.code == "confidentiality_missing"
    services.task_book_save(
        actor=project.leader, book=book, confidentiality_agreement="双方签订保密协议，编号BM-2027-01"
    )
    services.task_book_submit(actor=project.leader, book=book)
