"""The named permission questions of budgets: one answer for pages and services alike, and the
one superuser rule of ``core.policies``."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied

from accounts.tests.factories import OrganisationFactory, UserFactory
from budgets import policies
from budgets.models import BudgetVersion
from budgets.services import book
from budgets.tests.builders import quick_budget
from core.exceptions import StateConflict

pytestmark = pytest.mark.django_db


def _editor_by_service(user, version) -> bool:
    try:
        book.require_editor(user, version)
    except (PermissionDenied, StateConflict):
        return False
    return True


def test_may_edit_version_gives_the_services_answer():
    budget = quick_budget()
    application = budget.working_version
    review = BudgetVersion.objects.create(budget=budget, number=2, kind="review", created_by=budget.proposal.applicant)
    sent = BudgetVersion.objects.create(
        budget=budget, number=3, kind="review", state="sent", created_by=budget.proposal.applicant
    )
    agency = budget.proposal.call.special_project.managing_agency
    people = [
        budget.proposal.applicant,
        UserFactory(organisation=agency, roles=["agency"]),
        UserFactory(organisation=OrganisationFactory(), roles=["agency"]),
        UserFactory(organisation=budget.proposal.lead_unit, roles=["unit_admin"]),
        UserFactory(organisation=agency, roles=[]),
        UserFactory(is_superuser=True),
        AnonymousUser(),
    ]
    answers = {
        (version.number, index): policies.may_edit_version(user, version)
        for version in (application, review, sent)
        for index, user in enumerate(people)
    }
    assert answers == {
        (version.number, index): _editor_by_service(user, version)
        for version in (application, review, sent)
        for index, user in enumerate(people)
    }
    assert answers[(1, 0)] and answers[(2, 1)] and answers[(2, 5)]
    assert not any(answers[(3, index)] for index in range(len(people)))


def test_spending_parties():
    budget = quick_budget(approved=True)
    project = budget.project
    second_unit = budget.proposal.subjects.get(number=2).unit
    lead_admin = UserFactory(organisation=project.lead_unit, roles=["unit_admin"])
    subject_admin = UserFactory(organisation=second_unit, roles=["unit_admin"])
    stranger = UserFactory(organisation=OrganisationFactory(), roles=["unit_admin"])
    agency = UserFactory(organisation=project.managing_agency, roles=["agency"])
    superuser = UserFactory(is_superuser=True)

    assert policies.imports_for_every_unit(project.leader, budget)
    assert policies.imports_for_every_unit(lead_admin, budget)
    assert not policies.imports_for_every_unit(subject_admin, budget)
    assert policies.subject_unit_administered(subject_admin, budget) == second_unit.pk
    assert policies.subject_unit_administered(stranger, budget) is None
    assert [policies.may_import_spending(user, budget) for user in (subject_admin, stranger, agency, superuser)] == [
        True,
        False,
        False,
        True,
    ]
    assert policies.may_submit_final_accounts(lead_admin, budget)
    assert not policies.may_submit_final_accounts(project.leader, budget)
    assert policies.may_compile_final_accounts(project.leader, budget)
    assert policies.may_settle_balance(agency, budget) and policies.may_settle_balance(superuser, budget)
    assert not policies.may_settle_balance(lead_admin, budget)


def test_nothing_is_imported_into_a_budget_without_a_project():
    budget = quick_budget()
    applicant = budget.proposal.applicant
    admin = UserFactory(organisation=budget.proposal.lead_unit, roles=["unit_admin"])
    assert not policies.may_import_spending(applicant, budget)
    assert not policies.may_import_spending(admin, budget)
