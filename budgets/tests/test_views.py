"""The budget pages: query counts that do not grow with the book, what was typed kept on an
error, editing refused to others, and the live roll-up (B2 cap) of what is being typed."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.tests.factories import UserFactory
from budgets.models import BudgetLine, EquipmentItem, IncomeSource
from budgets.tests.builders import approved_budget, call_for
from projects.tests.builders import complete_proposal

pytestmark = pytest.mark.django_db

EVERY_CATEGORY = {
    "equipment_purchase": {"central": "300000.00"},
    "equipment_rental": {"central": "100000.00"},
    "fuel_power": {"central": "50000.00"},
    "publication": {"central": "40000.00"},
    "expert": {"central": "30000.00", "basis": "20 人次"},
    "other": {"central": "10000.00", "explanation": "样品寄送"},
}


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def test_budget_page_query_count_is_constant_in_the_number_of_lines(client):
    """A book with 2 subjects and 10 lines, then with 22 lines, equipment items and other
    sources: the version page runs the same number of queries."""
    from budgets.services import book

    proposal = complete_proposal(call_for("key_rd", "krd-2016"))
    version = proposal.budget.working_version
    url = reverse("budgets:version", args=[version.pk])
    client.force_login(proposal.applicant)
    small = _queries(client, url)
    for subject in proposal.subjects.select_related("unit"):
        book.lines_save(
            actor=proposal.applicant, version=version, subject=subject, unit=subject.unit, rows=EVERY_CATEGORY
        )
        book.equipment_item_add(
            actor=proposal.applicant,
            version=version,
            subject=subject,
            unit=subject.unit,
            name="测序仪",
            quantity=3,
            unit_price="100000.00",
        )
    assert version.lines.count() == 22
    assert _queries(client, url) == small


def test_an_invalid_table_keeps_what_was_typed_and_saves_nothing(client):
    """A negative amount (B0) comes back with the typed values and the saved line unchanged."""
    proposal = complete_proposal(call_for("key_rd", "krd-2016"))
    version = proposal.budget.working_version
    subject = proposal.subjects.order_by("number").first()
    client.force_login(proposal.applicant)
    url = reverse("budgets:lines", args=[version.pk, subject.pk, subject.unit_id])
    response = client.post(url, {"materials-central": "-5", "testing-central": "1234567.89"})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'value="1234567.89"' in page and 'value="-5"' in page
    assert BudgetLine.objects.get(version=version, subject=subject, category="testing").central == Decimal("1000000.00")


def test_saving_a_table_changes_the_lines_and_the_requested_funds(client):
    proposal = complete_proposal(call_for("key_rd", "krd-2016"))
    version = proposal.budget.working_version
    subject = proposal.subjects.order_by("number").first()
    client.force_login(proposal.applicant)
    url = reverse("budgets:lines", args=[version.pk, subject.pk, subject.unit_id])
    data = {
        "materials-central": "2000000",
        "testing-central": "1000000",
        "meeting_travel-central": "300000",
        "labour-central": "500000",
        "labour-basis": "博士后",
        "indirect-central": "700000",
        "indirect-performance_pay": "100000",
    }
    assert client.post(url, data).status_code == 302
    subject.refresh_from_db()
    assert subject.requested_funds == Decimal("4500000.00")


def test_preview_rolls_up_what_is_typed_without_saving(client):
    """B2 — KRD-FUNDS §20: typing 6 000 000 of materials raises the subject's cap to
    1 420 000.00 in the roll-up; nothing is saved."""
    proposal = complete_proposal(call_for("key_rd", "krd-2016"))
    version = proposal.budget.working_version
    subject = proposal.subjects.order_by("number").first()
    client.force_login(proposal.applicant)
    url = reverse("budgets:preview", args=[version.pk, subject.pk, subject.unit_id])
    response = client.post(
        url,
        {
            "materials-central": "6000000",
            "testing-central": "1000000",
            "meeting_travel-central": "300000",
            "labour-central": "500000",
            "indirect-central": "700000",
        },
        headers={"HX-Request": "true"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "1,420,000.00" in page or "1420000.00" in page
    assert 'hx-swap-oob="true"' in page
    assert BudgetLine.objects.get(version=version, subject=subject, category="materials").central == Decimal(
        "2500000.00"
    )


def test_others_cannot_edit_or_see_the_book(client):
    """An applicant of another unit gets 404 on the page and on saving; nothing changes."""
    proposal = complete_proposal(call_for("key_rd", "krd-2016"))
    version = proposal.budget.working_version
    subject = proposal.subjects.order_by("number").first()
    client.force_login(UserFactory(roles=["applicant"]))
    assert client.get(reverse("budgets:version", args=[version.pk])).status_code == 404
    url = reverse("budgets:lines", args=[version.pk, subject.pk, subject.unit_id])
    assert client.post(url, {"materials-central": "1"}).status_code == 404
    assert BudgetLine.objects.get(version=version, subject=subject, category="materials").central == Decimal(
        "2500000.00"
    )


def test_the_approved_budget_is_read_only_and_versions_compare(client):
    budget = approved_budget()
    client.force_login(budget.proposal.applicant)
    page = client.get(reverse("budgets:version", args=[budget.approved_version_id])).content.decode()
    assert 'name="materials-central"' not in page
    compare = client.get(reverse("budgets:compare", args=[budget.pk]), {"a": 1, "b": budget.approved_version.number})
    assert compare.status_code == 200
    assert compare.content.decode().count("<tr") == 1 + budget.approved_version.lines.count()


def test_equipment_and_other_sources_added_from_the_page(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    proposal = complete_proposal(call_for("key_rd", "krd-2016"))
    version = proposal.budget.working_version
    subject = proposal.subjects.order_by("number").first()
    client.force_login(proposal.applicant)
    client.post(
        reverse("budgets:equipment_add", args=[version.pk, subject.pk, subject.unit_id]),
        {"equipment-name": "测序仪", "equipment-quantity": "2", "equipment-unit_price": "150000.00"},
    )
    item = EquipmentItem.objects.get(version=version)
    assert (item.amount, item.central) == (Decimal("300000.00"), Decimal("300000.00"))
    client.post(
        reverse("budgets:income_add", args=[version.pk, subject.pk, subject.unit_id]),
        {"income-source": "own", "income-funder": "本单位", "income-amount": "100000", "income-form": "cash"},
    )
    assert IncomeSource.objects.get(version=version).amount == Decimal("100000.00")


def test_the_task_book_carries_the_approved_budget(client):
    """KRD-FUNDS §28: the task book includes the approved budget — the project summary in the
    project's book, the subject's table in a subject's book (1000.00 万元 for 2 × 5 000 000)."""
    import io

    from pypdf import PdfReader

    from projects.documents import task_book_pdf
    from projects.models import TaskBook
    from projects.services import task_books_generate

    budget = approved_budget()
    books = task_books_generate(project=budget.project)
    project_book = next(book for book in books if book.subject_id is None)
    client.force_login(budget.proposal.applicant)
    page = client.get(reverse("projects:task_book_detail", args=[project_book.pk])).content.decode()
    assert "1000.00" in page
    subject_book = TaskBook.objects.filter(project=budget.project, subject__isnull=False).first()
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(task_book_pdf(subject_book))).pages)
    assert "500.00" in text and "1000.00" not in text


def test_the_dashboard_lists_the_adjustment_awaiting_the_user(client):
    """B6: the subject unit's administrator finds the adjustment to decide in 我的待办."""
    from budgets.services import adjustments, book

    budget = approved_budget()
    leader = budget.project.leader
    adjustment = adjustments.adjustment_create(actor=leader, budget=budget, reason="测试费不足")
    subject = budget.proposal.subjects.order_by("number").last()
    book.lines_save(
        actor=leader,
        version=adjustment.proposed_version,
        subject=subject,
        unit=subject.unit,
        rows={"materials": {"central": "2400000.00"}, "testing": {"central": "1100000.00"}},
    )
    adjustments.adjustment_submit(actor=leader, adjustment=adjustment)
    admin = UserFactory(organisation=subject.unit, roles=["unit_admin"])
    client.force_login(admin)
    page = client.get(reverse("core:dashboard")).content.decode()
    assert reverse("budgets:adjustment", args=[adjustment.pk]) in page
