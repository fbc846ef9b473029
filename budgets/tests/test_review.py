"""The agency's budget review (KRD-FUNDS §25–§28): reasons per change, no blanket cut, the
applicant's answer, the approved budget; and who may do what."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from accounts.models import Organisation
from accounts.tests.factories import OrganisationFactory, UserFactory
from budgets import selectors
from budgets.models import BudgetVersion
from budgets.services import book, review
from budgets.tests.builders import agency_of, submitted_budget
from core.exceptions import RuleViolation, StateConflict
from core.models import AuditEvent, Notification
from projects.tests.builders import SUBJECT_BUDGET

pytestmark = pytest.mark.django_db

D = Decimal


def rows(**changes) -> dict:
    """The applied subject budget with some rows changed (each row is saved whole)."""
    return {category: {**values, **changes.get(category, {})} for category, values in SUBJECT_BUDGET.items()}


def central(version: BudgetVersion) -> dict:
    return {
        (subject_number, unit_id, category): amount
        for subject_number, unit_id, category, amount in version.lines.values_list(
            "subject__number", "unit_id", "category", "central"
        )
    }


@pytest.fixture
def budget():
    return submitted_budget()


@pytest.fixture
def agency(budget):
    return agency_of(budget)


def edit(agency, version, budget, number=1, **changes):
    subject = budget.proposal.subjects.get(number=number)
    return book.lines_save(actor=agency, version=version, subject=subject, unit=subject.unit, rows=rows(**changes))


def test_the_agency_reviews_the_applicant_answers_and_the_agency_settles(budget, agency):
    """KRD-FUNDS §26–§28: the review changes lines with reasons, goes to the applicant, and
    the settled budget is a new final version; every version is kept."""
    applicant = budget.proposal.applicant
    draft = review.review_open(actor=agency, budget=budget)
    assert (draft.number, draft.kind, draft.state, draft.based_on_id) == (
        2,
        BudgetVersion.Kind.REVIEW,
        BudgetVersion.State.DRAFT,
        budget.working_version_id,
    )
    assert review.review_open(actor=agency, budget=budget) == draft  # one open review at a time

    edit(agency, draft, budget, materials={"central": "2300000.00", "change_reason": "部分试剂可共享，核减 20 万元"})
    review.review_send(actor=agency, version=draft)
    draft.refresh_from_db()
    assert draft.state == BudgetVersion.State.SENT
    assert Notification.objects.filter(recipient=applicant, link__contains=f"/{draft.pk}/").exists()

    with pytest.raises(RuleViolation) as unexplained:
        review.review_answer(actor=applicant, version=draft, agrees=False, response="  ")
    assert unexplained.value.rule == "B-review"
    review.review_answer(actor=applicant, version=draft, agrees=False, response="材料费核减过多，请复核")
    draft.refresh_from_db()
    assert (draft.state, draft.response_agrees, draft.response) == (
        BudgetVersion.State.ANSWERED,
        False,
        "材料费核减过多，请复核",
    )

    approved = review.review_finalise(actor=agency, version=draft)
    budget.refresh_from_db()
    assert budget.approved_version == approved
    assert (approved.number, approved.kind, approved.state) == (3, BudgetVersion.Kind.APPROVED, "final")
    subject = budget.proposal.subjects.get(number=1)
    assert central(approved) == central(draft)
    assert central(approved)[(1, subject.unit_id, "materials")] == D("2300000.00")
    assert central(budget.working_version)[(1, subject.unit_id, "materials")] == D("2500000.00")
    assert not approved.lines.exclude(change_reason="").exists()
    assert list(budget.versions.order_by("number").values_list("number", "kind", "state")) == [
        (1, "application", "final"),
        (2, "review", "final"),
        (3, "approved", "final"),
    ]
    actions = set(AuditEvent.objects.filter(actor=agency).values_list("action", flat=True))
    assert {"budget.review_open", "budget.lines_save", "budget.review_send", "budget.approve"} <= actions
    assert AuditEvent.objects.filter(actor=applicant, action="budget.review_answer").exists()

    # Settled, the review is closed and the applicant's book cannot be re-reviewed.
    with pytest.raises(StateConflict):
        review.review_open(actor=agency, budget=budget)
    with pytest.raises(StateConflict):
        edit(agency, draft, budget, materials={"central": "1", "change_reason": "再减"})


def test_an_applicant_who_agrees_need_not_respond(budget, agency):
    draft = review.review_open(actor=agency, budget=budget)
    edit(agency, draft, budget, testing={"central": "900000.00", "change_reason": "测试次数核减"})
    review.review_send(actor=agency, version=draft)
    review.review_answer(actor=budget.proposal.applicant, version=draft, agrees=True, response="")
    draft.refresh_from_db()
    assert (draft.state, draft.response_agrees) == (BudgetVersion.State.ANSWERED, True)


def test_b_review_a_changed_line_without_a_reason_is_refused(budget, agency):
    """KRD-FUNDS §26: each change is reasoned; nothing is sent until it is."""
    draft = review.review_open(actor=agency, budget=budget)
    [materials] = [
        line
        for line in edit(agency, draft, budget, materials={"central": "2300000.00"})
        if line.category == "materials"
    ]
    with pytest.raises(RuleViolation) as refused:
        review.review_send(actor=agency, version=draft)
    assert (refused.value.rule, refused.value.code) == ("B-review", "reason_missing")
    assert "KRD-FUNDS §26" in refused.value.message
    assert list(refused.value.fields) == [f"line-{materials.pk}"]
    draft.refresh_from_db()
    assert draft.state == BudgetVersion.State.DRAFT
    assert not Notification.objects.filter(recipient=budget.proposal.applicant).exists()
    # An unanswered review with changes cannot be settled either.
    with pytest.raises(StateConflict):
        review.review_finalise(actor=agency, version=draft)


def test_b_review_a_line_removed_without_a_reason_is_refused(budget, agency):
    """KRD-FUNDS §26: cutting a line to nothing is a change like any other."""
    draft = review.review_open(actor=agency, budget=budget)
    subject = budget.proposal.subjects.get(number=1)
    book.lines_save(actor=agency, version=draft, subject=subject, unit=subject.unit, rows={"testing": {}})
    assert not draft.lines.filter(subject=subject, category="testing").exists()
    with pytest.raises(RuleViolation) as refused:
        review.review_send(actor=agency, version=draft)
    assert refused.value.code == "reason_missing"

    # Kept at 0 with its reason, the cut can be sent.
    book.lines_save(
        actor=agency,
        version=draft,
        subject=subject,
        unit=subject.unit,
        rows={"testing": {"central": "0", "change_reason": "测试任务由平台免费提供"}},
    )
    review.review_send(actor=agency, version=draft)


def test_b_review_a_blanket_cut_is_refused(budget, agency):
    """KRD-FUNDS §26: 不得简单按比例核减直接费用预算 — three lines each cut by 10 %."""
    draft = review.review_open(actor=agency, budget=budget)
    edit(
        agency,
        draft,
        budget,
        materials={"central": "2250000.00", "change_reason": "核减"},
        testing={"central": "900000.00", "change_reason": "核减"},
        meeting_travel={"central": "270000.00", "change_reason": "核减"},
    )
    with pytest.raises(RuleViolation) as refused:
        review.review_send(actor=agency, version=draft)
    assert (refused.value.rule, refused.value.code) == ("B-review", "uniform_cut")
    assert "10.00" in refused.value.message
    draft.refresh_from_db()
    assert draft.state == BudgetVersion.State.DRAFT


def test_b_review_the_same_cut_across_subjects_is_a_blanket_cut_too(budget, agency):
    draft = review.review_open(actor=agency, budget=budget)
    edit(agency, draft, budget, 1, materials={"central": "2250000.00", "change_reason": "核减"})
    edit(
        agency,
        draft,
        budget,
        2,
        materials={"central": "2250000.00", "change_reason": "核减"},
        testing={"central": "900000.00", "change_reason": "核减"},
    )
    with pytest.raises(RuleViolation) as refused:
        review.review_send(actor=agency, version=draft)
    assert refused.value.code == "uniform_cut"


def test_b_review_lines_removed_with_their_reasons_are_no_blanket_cut(budget, agency):
    """KRD-FUNDS §26: dropping three lines outright is a decision on each, not a percentage."""
    draft = review.review_open(actor=agency, budget=budget)
    edit(
        agency,
        draft,
        budget,
        materials={"central": "0", "change_reason": "试剂由平台提供"},
        testing={"central": "0", "change_reason": "测试由合作单位承担"},
        meeting_travel={"central": "0", "change_reason": "线上开展"},
    )
    review.review_send(actor=agency, version=draft)
    draft.refresh_from_db()
    assert draft.state == BudgetVersion.State.SENT


def test_b_review_a_removed_line_does_not_hide_a_blanket_cut(budget, agency):
    """KRD-FUNDS §26: three lines cut by 10 % and a fourth dropped is still a blanket cut."""
    draft = review.review_open(actor=agency, budget=budget)
    edit(
        agency,
        draft,
        budget,
        materials={"central": "2250000.00", "change_reason": "核减"},
        testing={"central": "900000.00", "change_reason": "核减"},
        meeting_travel={"central": "270000.00", "change_reason": "核减"},
        labour={"central": "0", "change_reason": "不需要"},
    )
    with pytest.raises(RuleViolation) as refused:
        review.review_send(actor=agency, version=draft)
    assert refused.value.code == "uniform_cut"


def test_b_review_cuts_assessed_line_by_line_pass(budget, agency):
    """KRD-FUNDS §26: different cuts, each with its reason, are a review on the merits."""
    draft = review.review_open(actor=agency, budget=budget)
    edit(
        agency,
        draft,
        budget,
        materials={"central": "2250000.00", "change_reason": "试剂单价偏高"},  # −10 %
        testing={"central": "850000.00", "change_reason": "测序可共享平台"},  # −15 %
        meeting_travel={"central": "240000.00", "change_reason": "会议次数偏多"},  # −20 %
    )
    review.review_send(actor=agency, version=draft)
    draft.refresh_from_db()
    assert draft.state == BudgetVersion.State.SENT


def test_an_unchanged_review_can_be_settled_at_once(budget, agency):
    draft = review.review_open(actor=agency, budget=budget)
    approved = review.review_finalise(actor=agency, version=draft)
    assert central(approved) == central(budget.working_version)


def test_only_the_managing_agency_reviews_and_only_the_applicant_answers(budget, agency):
    """Need-to-know: an unrelated agency and another applicant neither act nor see the book;
    nothing changes when they try."""
    other_agency = UserFactory(roles=["agency"], organisation=OrganisationFactory(kind=Organisation.Kind.AGENCY))
    other_applicant = UserFactory(roles=["applicant"], organisation=budget.proposal.lead_unit)
    applicant = budget.proposal.applicant

    with pytest.raises(PermissionDenied):
        review.review_open(actor=other_agency, budget=budget)
    with pytest.raises(PermissionDenied):
        review.review_open(actor=applicant, budget=budget)
    assert budget.versions.count() == 1

    draft = review.review_open(actor=agency, budget=budget)
    for stranger in (other_agency, applicant):
        with pytest.raises(PermissionDenied):
            edit(stranger, draft, budget, materials={"central": "1", "change_reason": "x"})
        with pytest.raises(PermissionDenied):
            review.review_send(actor=stranger, version=draft)
    edit(agency, draft, budget, materials={"central": "2300000.00", "change_reason": "核减"})
    review.review_send(actor=agency, version=draft)
    for stranger in (other_applicant, agency):
        with pytest.raises(PermissionDenied):
            review.review_answer(actor=stranger, version=draft, agrees=True, response="")
    with pytest.raises(PermissionDenied):
        review.review_finalise(actor=other_agency, version=draft)
    draft.refresh_from_db()
    assert draft.state == BudgetVersion.State.SENT
    assert budget.versions.count() == 2

    for stranger in (other_agency, other_applicant):
        assert not selectors.budgets_for_user(stranger).filter(pk=budget.pk).exists()
        assert not selectors.adjustments_for_user(stranger).exists()
    for insider in (agency, applicant):
        assert selectors.budgets_for_user(insider).filter(pk=budget.pk).exists()
