"""Need-to-know on budget books (S6 — SECRETS-LAW §16): a book, its versions, adjustments,
final accounts and balances are hidden with its proposal, call, project or any of its subjects,
in the pages, the API and the "my tasks" dashboard; S11 (SECRETS-LAW §24) refuses a classified
commitment letter."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.tests.factories import UserFactory
from budgets import selectors
from budgets.models import BudgetVersion, IncomeSource
from budgets.tests.builders import agency_of, quick_budget
from core.dashboard import todo_items_for_user
from core.exceptions import RuleViolation
from projects.tests.builders import PDF
from secrecy.tests.factories import ClassificationFactory, KnowledgeGrantFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("target", ["call", "proposal", "project", "subject"])
def test_s6_a_book_is_hidden_with_what_it_belongs_to(target, client, api_client):
    """S6: whichever of call, proposal, project or a subject is classified, the leader off
    its list loses the book (pages and API); on the list, the leader has it back."""
    budget = quick_budget(approved=True)
    leader = budget.project.leader
    objects = {
        "call": budget.proposal.call,
        "proposal": budget.proposal,
        "project": budget.project,
        "subject": budget.proposal.subjects.order_by("number").last(),
    }
    assert selectors.budgets_for_user(leader).filter(pk=budget.pk).exists()
    classification = ClassificationFactory(target=objects[target])

    assert not selectors.budgets_for_user(leader).filter(pk=budget.pk).exists()
    client.force_login(leader)
    assert client.get(reverse("budgets:budget", args=[budget.pk])).status_code == 404
    assert client.get(reverse("budgets:version", args=[budget.approved_version_id])).status_code == 404
    api_client.force_authenticate(leader)
    assert api_client.get(f"/api/v1/budgets/{budget.pk}/").status_code == 404

    KnowledgeGrantFactory(classification=classification, user=leader)
    assert client.get(reverse("budgets:budget", args=[budget.pk])).status_code == 200


def test_s6_the_dashboard_shows_no_task_of_a_hidden_book():
    """S6: the "my tasks" counts and titles leave out the budget reviews of a hidden book."""
    shown, secret = quick_budget(), quick_budget()
    applicant = UserFactory(roles=["applicant"])
    for budget in (shown, secret):
        budget.proposal.__class__.objects.filter(pk=budget.proposal_id).update(applicant=applicant)
        BudgetVersion.objects.create(
            budget=budget,
            number=2,
            kind=BudgetVersion.Kind.REVIEW,
            state=BudgetVersion.State.SENT,
            based_on=budget.working_version,
            created_by=agency_of(budget),
        )
    before = [item for item in todo_items_for_user(applicant) if item.rule == "B-review"]
    assert len(before) == 2

    ClassificationFactory(target=secret.proposal.call)
    after = [item for item in todo_items_for_user(applicant) if item.rule == "B-review"]
    assert len(after) == 1 and str(shown.working_version.budget.pk) not in after[0].link


def _letter(name: str = "承诺函.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def test_s11_a_secret_commitment_letter_is_refused_and_nothing_is_stored(client):
    """S11 — SECRETS-LAW §24: the letter's declared level above the portal's refuses the row."""
    from budgets.services import book

    budget = quick_budget()
    version = budget.working_version
    subject = budget.proposal.subjects.order_by("number").first()
    applicant = budget.proposal.applicant
    with pytest.raises(RuleViolation) as refused:
        book.income_source_add(
            actor=applicant,
            version=version,
            subject=subject,
            unit=subject.unit,
            source="own",
            funder="本单位",
            amount="1000.00",
            letter=_letter(),
            letter_level="secret",
        )
    assert refused.value.rule == "S11" and "SECRETS-LAW §24" in refused.value.message
    assert not IncomeSource.objects.filter(version=version).exists()

    client.force_login(applicant)
    url = reverse("budgets:income_add", args=[version.pk, subject.pk, subject.unit_id])
    data = {"income-source": "own", "income-funder": "本单位", "income-amount": "1000.00", "income-form": "cash"}
    response = client.post(url, {**data, "income-letter": _letter(), "income-letter_level": "secret"}, follow=True)
    assert "SECRETS-LAW §24" in response.content.decode()
    assert not IncomeSource.objects.filter(version=version).exists()
    client.post(url, {**data, "income-letter": _letter(), "income-letter_level": "none"})
    assert IncomeSource.objects.filter(version=version).count() == 1
