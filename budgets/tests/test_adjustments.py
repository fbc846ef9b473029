"""Budget adjustments (预算调剂): routing by B6 (KRD-FUNDS §36, MAJOR-FUNDS §41), decisions,
the atomic apply, and two approvals racing for one budget on PostgreSQL."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection

from accounts.models import Organisation
from accounts.tests.factories import OrganisationFactory, UserFactory
from budgets import selectors
from budgets.models import Adjustment, Budget, BudgetVersion
from budgets.services import adjustments, book
from budgets.tests.builders import agency_of, approved_budget
from core.exceptions import RuleViolation, StateConflict
from core.models import AuditEvent, Notification
from projects.tests.builders import SUBJECT_BUDGET

pytestmark = pytest.mark.django_db

D = Decimal
YEARLY = D("1250000.00")  # fill_budget spreads each subject's 5 000 000 over 2027–2030


def rows(**changes) -> dict:
    """The approved subject budget with some rows changed (each row is saved whole)."""
    return {category: {**values, **changes.get(category, {})} for category, values in SUBJECT_BUDGET.items()}


@dataclass
class Cast:
    budget: Budget
    leader: object
    lead_admin: object
    partner_admin: object
    agency: object
    ministry: object

    @property
    def project(self):
        return self.budget.project

    def subject(self, number: int):
        return self.budget.proposal.subjects.get(number=number)

    def unit(self, number: int) -> int:
        return self.subject(number).unit_id


def cast_of(budget: Budget) -> Cast:
    project = budget.project
    partner = budget.proposal.subjects.get(number=2).unit
    assert partner.pk != project.lead_unit_id
    return Cast(
        budget=budget,
        leader=project.leader,
        lead_admin=UserFactory(organisation=project.lead_unit, roles=["unit_admin"]),
        partner_admin=UserFactory(organisation=partner, roles=["unit_admin"]),
        agency=agency_of(budget),
        ministry=UserFactory(roles=["ministry"]),
    )


@pytest.fixture
def krd() -> Cast:
    return cast_of(approved_budget())


@pytest.fixture
def major() -> Cast:
    return cast_of(approved_budget("major", "major-2017"))


def ask(cast: Cast, number: int, *, more_central: str = "0", **changes) -> Adjustment:
    """The leader asks to change subject ``number``'s rows; ``more_central`` is added to the
    last year so the yearly schedule follows the subject's new central total."""
    adjustment = adjustments.adjustment_create(actor=cast.leader, budget=cast.budget, reason="研究方案调整")
    change(cast, adjustment, number, more_central=more_central, **changes)
    return adjustment


def change(cast: Cast, adjustment: Adjustment, number: int, *, more_central: str = "0", **changes) -> None:
    subject = cast.subject(number)
    version = adjustment.proposed_version
    book.lines_save(actor=cast.leader, version=version, subject=subject, unit=subject.unit, rows=rows(**changes))
    if D(more_central):
        book.years_save(
            actor=cast.leader,
            version=version,
            subject=subject,
            unit=subject.unit,
            years={2030: YEARLY + D(more_central)},
        )


def submit(cast: Cast, adjustment: Adjustment) -> Adjustment:
    adjustments.adjustment_submit(actor=cast.leader, adjustment=adjustment)
    adjustment.refresh_from_db()
    return adjustment


def decide(actor, adjustment: Adjustment, *, approve: bool = True, comment: str = "") -> Adjustment:
    adjustments.adjustment_decide(actor=actor, adjustment=adjustment, approve=approve, comment=comment)
    adjustment.refresh_from_db()
    return adjustment


def steps(adjustment: Adjustment) -> list[tuple]:
    return list(adjustment.steps.order_by("order").values_list("approver", "organisation_id", "is_notice", "state"))


def approved_central(budget: Budget) -> dict:
    budget.refresh_from_db()
    return {
        (number, category): amount
        for number, category, amount in budget.approved_version.lines.values_list(
            "subject__number", "category", "central"
        )
    }


def audit_trail(adjustment: Adjustment) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_id=str(adjustment.pk), action__startswith="adjustment.")
        .exclude(action="adjustment.apply")
        .order_by("id")
        .values_list("action", flat=True)
    )


# ---- KRD-FUNDS §36(二): flexible categories within a subject -----------------------------------


def test_krd_in_subject_move_where_the_subject_unit_is_the_lead_unit_needs_one_approval(krd):
    """B6 — KRD-FUNDS §36(二): materials → testing in subject 1, held by the lead unit: it
    approves as subject unit, and there is no one else to tell."""
    before = krd.budget.approved_version_id
    adjustment = submit(krd, ask(krd, 1, materials={"central": "2400000.00"}, testing={"central": "1100000.00"}))
    assert adjustment.state == Adjustment.State.PENDING
    assert steps(adjustment) == [("subject_unit", krd.project.lead_unit_id, False, "pending")]
    krd.budget.refresh_from_db()
    assert krd.budget.approved_version_id == before  # nothing applied before the approval

    decide(krd.lead_admin, adjustment)
    assert adjustment.state == Adjustment.State.APPROVED
    assert adjustment.decided_at is not None
    amounts = approved_central(krd.budget)
    assert (amounts[(1, "materials")], amounts[(1, "testing")]) == (D("2400000.00"), D("1100000.00"))
    assert amounts[(2, "materials")] == D("2500000.00")
    version = krd.budget.approved_version
    assert (version.kind, version.state, version.based_on_id) == ("approved", "final", adjustment.proposed_version_id)
    assert BudgetVersion.objects.get(pk=before).lines.get(subject__number=1, category="materials").central == D(
        "2500000.00"
    )
    assert audit_trail(adjustment) == ["adjustment.create", "adjustment.submit", "adjustment.approve"]
    applied = AuditEvent.objects.get(action="adjustment.apply", object_id=str(krd.budget.pk))
    assert (applied.rule, applied.actor) == ("B6", krd.lead_admin)
    assert Notification.objects.filter(recipient=krd.leader, title__contains="applied").exists()


def test_krd_in_subject_move_of_a_participants_subject_is_approved_there_and_the_lead_unit_told(krd):
    """B6 — KRD-FUNDS §36(二): 由课题承担单位批准，报项目牵头承担单位备案."""
    adjustment = submit(krd, ask(krd, 2, materials={"central": "2400000.00"}, testing={"central": "1100000.00"}))
    assert steps(adjustment) == [
        ("subject_unit", krd.unit(2), False, "pending"),
        ("lead_unit", krd.project.lead_unit_id, True, "waiting"),
    ]
    with pytest.raises(PermissionDenied):
        decide(krd.lead_admin, adjustment)  # told, not asked

    decide(krd.partner_admin, adjustment)
    assert adjustment.state == Adjustment.State.APPROVED
    assert steps(adjustment) == [
        ("subject_unit", krd.unit(2), False, "approved"),
        ("lead_unit", krd.project.lead_unit_id, True, "notified"),
    ]
    assert Notification.objects.filter(recipient=krd.lead_admin, title__contains="备案").exists()
    assert approved_central(krd.budget)[(2, "testing")] == D("1100000.00")


@pytest.mark.parametrize("number", [1, 2])
def test_krd_labour_increase_goes_through_the_units_to_the_agency(krd, number):
    """B6 — KRD-FUNDS §36(二): labour is not increased except by the agency, after the
    subject unit (when it is not the lead unit) and the lead unit."""
    adjustment = submit(krd, ask(krd, number, materials={"central": "2400000.00"}, labour={"central": "600000.00"}))
    lead, agency = krd.project.lead_unit_id, krd.project.managing_agency_id
    route = [("subject_unit", krd.unit(2))] if number == 2 else []
    route += [("lead_unit", lead), ("agency", agency)]
    assert [step[:2] for step in steps(adjustment)] == route
    assert [step[3] for step in steps(adjustment)] == ["pending"] + ["waiting"] * (len(route) - 1)

    with pytest.raises(PermissionDenied):
        decide(krd.agency, adjustment)  # not its turn yet
    deciders = ([krd.partner_admin] if number == 2 else []) + [krd.lead_admin]
    for decider in deciders:
        decide(decider, adjustment)
        assert adjustment.state == Adjustment.State.PENDING
    assert steps(adjustment)[-1][3] == "pending"
    assert approved_central(krd.budget)[(number, "labour")] == D("500000.00")

    decide(krd.agency, adjustment)
    assert adjustment.state == Adjustment.State.APPROVED
    assert [step[3] for step in steps(adjustment)] == ["approved"] * len(route)
    assert approved_central(krd.budget)[(number, "labour")] == D("600000.00")
    assert audit_trail(adjustment) == ["adjustment.create", "adjustment.submit"] + ["adjustment.approve"] * len(route)


def test_krd_move_between_subjects_goes_to_the_agency(krd):
    """B6 — KRD-FUNDS §36(一): 课题间预算调剂 — the agency approves; the adjusted budget
    must still pass its checks (the yearly schedule follows the money)."""
    adjustment = ask(krd, 1, materials={"central": "2400000.00"})
    change(krd, adjustment, 2, materials={"central": "2600000.00"})
    with pytest.raises(RuleViolation) as unbalanced:
        adjustments.adjustment_submit(actor=krd.leader, adjustment=adjustment)
    assert (unbalanced.value.rule, unbalanced.value.code) == ("B-years", "budget_checks")
    adjustment.refresh_from_db()
    assert (adjustment.state, adjustment.steps.count()) == (Adjustment.State.DRAFT, 0)

    change(krd, adjustment, 1, more_central="-100000", materials={"central": "2400000.00"})
    change(krd, adjustment, 2, more_central="100000", materials={"central": "2600000.00"})
    submit(krd, adjustment)
    assert steps(adjustment) == [
        ("subject_unit", krd.unit(2), False, "pending"),
        ("lead_unit", krd.project.lead_unit_id, False, "waiting"),
        ("agency", krd.project.managing_agency_id, False, "waiting"),
    ]
    for decider in (krd.partner_admin, krd.lead_admin, krd.agency):
        decide(decider, adjustment)
    amounts = approved_central(krd.budget)
    assert (amounts[(1, "materials")], amounts[(2, "materials")]) == (D("2400000.00"), D("2600000.00"))


# ---- MAJOR-FUNDS §41 ---------------------------------------------------------------------------


def test_major_flexible_categories_go_to_the_lead_unit(major):
    """B6 — MAJOR-FUNDS §41(四): materials → meeting/travel, approved by the lead unit."""
    adjustment = submit(
        major, ask(major, 2, materials={"central": "2400000.00"}, meeting_travel={"central": "400000.00"})
    )
    assert steps(adjustment) == [("lead_unit", major.project.lead_unit_id, False, "pending")]
    with pytest.raises(PermissionDenied):
        decide(major.partner_admin, adjustment)
    decide(major.lead_admin, adjustment)
    assert adjustment.state == Adjustment.State.APPROVED
    assert approved_central(major.budget)[(2, "meeting_travel")] == D("400000.00")


def test_major_project_total_goes_on_to_the_organiser(major):
    """B6 — MAJOR-FUNDS §41(二): the lead unit applies, the agency reviews, the organiser
    (牵头组织单位) approves."""
    adjustment = submit(major, ask(major, 2, more_central="100000", materials={"central": "2600000.00"}))
    assert steps(adjustment) == [
        ("subject_unit", major.unit(2), False, "pending"),
        ("lead_unit", major.project.lead_unit_id, False, "waiting"),
        ("agency", major.project.managing_agency_id, False, "waiting"),
        ("organiser", None, False, "waiting"),
    ]
    for decider in (major.partner_admin, major.lead_admin, major.agency):
        decide(decider, adjustment)
    assert adjustment.state == Adjustment.State.PENDING
    with pytest.raises(PermissionDenied):
        decide(major.agency, adjustment)
    decide(major.ministry, adjustment)
    assert adjustment.state == Adjustment.State.APPROVED
    assert sum(approved_central(major.budget).values()) == D("10100000.00")


# ---- Refusals ----------------------------------------------------------------------------------


@pytest.mark.parametrize("fixture", ["krd", "major"])
def test_b6_indirect_costs_may_not_be_increased(fixture, request):
    """B6 — KRD-FUNDS §36(三), MAJOR-FUNDS §41(五): indirect costs only go down."""
    cast = request.getfixturevalue(fixture)
    adjustment = adjustments.adjustment_create(actor=cast.leader, budget=cast.budget, reason="提高绩效")
    change(cast, adjustment, 1, materials={"central": "2400000.00"}, indirect={"central": "800000.00"})
    with pytest.raises(RuleViolation) as refused:
        adjustments.adjustment_submit(actor=cast.leader, adjustment=adjustment)
    assert (refused.value.rule, refused.value.code) == ("B6", "indirect_increase")
    assert cast.budget.edition_rules.adjustment_article in refused.value.message
    adjustment.refresh_from_db()
    assert (adjustment.state, adjustment.steps.count()) == (Adjustment.State.DRAFT, 0)

    # Down, into direct costs, it goes to the unit.
    change(cast, adjustment, 1, materials={"central": "2600000.00"}, indirect={"central": "600000.00"})
    submit(cast, adjustment)
    assert adjustment.state == Adjustment.State.PENDING
    assert len(steps(adjustment)) == 1


def test_a_submitted_request_can_no_longer_be_changed(krd):
    """B6: the route was worked out from the request as submitted; changing its lines while
    it awaits approval would apply what nobody with the authority approved."""
    adjustment = submit(krd, ask(krd, 2, materials={"central": "2400000.00"}, labour={"central": "600000.00"}))
    decide(krd.partner_admin, adjustment)
    subject = krd.subject(2)
    version = adjustment.proposed_version
    with pytest.raises(StateConflict):
        book.lines_save(
            actor=krd.leader,
            version=version,
            subject=subject,
            unit=subject.unit,
            rows=rows(materials={"central": "2000000.00"}, labour={"central": "1000000.00"}),
        )
    with pytest.raises(StateConflict):
        book.years_save(actor=krd.leader, version=version, subject=subject, unit=subject.unit, years={2030: 1})
    with pytest.raises(StateConflict):
        book.equipment_item_add(
            actor=krd.leader,
            version=version,
            subject=subject,
            unit=subject.unit,
            name="离心机",
            quantity=1,
            unit_price=1,
        )
    for decider in (krd.lead_admin, krd.agency):
        decide(decider, adjustment)
    assert approved_central(krd.budget)[(2, "labour")] == D("600000.00")

    # Withdrawn or decided, it stays as it was too.
    withdrawn = ask(krd, 1, materials={"central": "2400000.00"}, testing={"central": "1100000.00"})
    adjustments.adjustment_withdraw(actor=krd.leader, adjustment=withdrawn)
    with pytest.raises(StateConflict):
        change(krd, withdrawn, 1, materials={"central": "1"})


def test_a_request_that_changes_nothing_is_refused(krd):
    adjustment = adjustments.adjustment_create(actor=krd.leader, budget=krd.budget, reason="无")
    with pytest.raises(RuleViolation) as refused:
        adjustments.adjustment_submit(actor=krd.leader, adjustment=adjustment)
    assert refused.value.code == "no_change"


def test_rejection_needs_a_reason_ends_the_request_and_tells_the_leader(krd):
    """B6: a rejected request is closed with its reason; the approved budget is untouched."""
    before = krd.budget.approved_version_id
    adjustment = submit(krd, ask(krd, 2, materials={"central": "2400000.00"}, labour={"central": "600000.00"}))
    decide(krd.partner_admin, adjustment)
    with pytest.raises(RuleViolation) as unexplained:
        decide(krd.lead_admin, adjustment, approve=False, comment=" ")
    assert unexplained.value.rule == "B6"

    decide(krd.lead_admin, adjustment, approve=False, comment="劳务费调增依据不足")
    assert adjustment.state == Adjustment.State.REJECTED
    assert [step[3] for step in steps(adjustment)] == ["approved", "rejected", "waiting"]
    adjustment.proposed_version.refresh_from_db()
    assert adjustment.proposed_version.state == BudgetVersion.State.WITHDRAWN
    krd.budget.refresh_from_db()
    assert krd.budget.approved_version_id == before
    assert Notification.objects.filter(recipient=krd.leader, body="劳务费调增依据不足").exists()
    assert audit_trail(adjustment) == [
        "adjustment.create",
        "adjustment.submit",
        "adjustment.approve",
        "adjustment.reject",
    ]
    rejected = AuditEvent.objects.get(action="adjustment.reject", object_id=str(adjustment.pk))
    assert (rejected.actor, rejected.rule, rejected.changes["comment"]) == (
        krd.lead_admin,
        "B6",
        [None, "劳务费调增依据不足"],
    )
    with pytest.raises(StateConflict):
        decide(krd.agency, adjustment)


def test_only_the_pending_steps_unit_may_decide(krd):
    """B6: the subject unit's decision belongs to its administrators only; no one else's
    attempt leaves a trace."""
    adjustment = submit(krd, ask(krd, 2, materials={"central": "2400000.00"}, testing={"central": "1100000.00"}))
    outsiders = [
        krd.leader,
        krd.lead_admin,
        krd.agency,
        krd.ministry,
        UserFactory(roles=["unit_admin"]),  # another unit's administrator
        UserFactory(roles=["applicant"], organisation=krd.subject(2).unit),  # the right unit, the wrong role
        UserFactory(roles=["agency"], organisation=OrganisationFactory(kind=Organisation.Kind.AGENCY)),
    ]
    for outsider in outsiders:
        with pytest.raises(PermissionDenied):
            decide(outsider, adjustment)
    assert steps(adjustment)[0][3] == "pending"
    assert audit_trail(adjustment) == ["adjustment.create", "adjustment.submit"]


def test_only_the_project_leader_requests(krd):
    for outsider in (krd.lead_admin, krd.agency, UserFactory(roles=["applicant"])):
        with pytest.raises(PermissionDenied):
            adjustments.adjustment_create(actor=outsider, budget=krd.budget, reason="调整")
    assert not Adjustment.objects.exists()
    adjustment = adjustments.adjustment_create(actor=krd.leader, budget=krd.budget, reason="调整")
    with pytest.raises(PermissionDenied):
        book.lines_save(
            actor=krd.lead_admin,
            version=adjustment.proposed_version,
            subject=krd.subject(1),
            unit=krd.subject(1).unit,
            rows=rows(materials={"central": "1"}),
        )


def test_the_units_and_the_agency_see_the_requests_they_decide(krd):
    adjustment = ask(krd, 2, materials={"central": "2400000.00"}, testing={"central": "1100000.00"})
    for insider in (krd.leader, krd.lead_admin, krd.partner_admin, krd.agency):
        assert list(selectors.adjustments_for_user(insider)) == [adjustment]
    for outsider in (UserFactory(roles=["unit_admin"]), UserFactory(roles=["applicant"])):
        assert not selectors.adjustments_for_user(outsider).exists()
        assert not selectors.budgets_for_user(outsider).filter(pk=krd.budget.pk).exists()


# ---- Two approvals at once (PostgreSQL) --------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_adjustments_approved_at_once_apply_one_and_refuse_the_other():
    """B6 — two requests made from the same approved budget, their last approvals given at
    the same moment: the budget row lock lets one apply; the other finds the budget changed
    and is refused (StateConflict "budget_changed"), never stacked on top."""
    cast = cast_of(approved_budget())
    base = cast.budget.approved_version_id
    first = ask(cast, 2, materials={"central": "2400000.00"}, labour={"central": "600000.00"})
    second = ask(cast, 2, testing={"central": "800000.00"}, labour={"central": "700000.00"})
    for adjustment in (first, second):
        submit(cast, adjustment)
        decide(cast.partner_admin, adjustment)
        decide(cast.lead_admin, adjustment)
        assert [step[3] for step in steps(adjustment)] == ["approved", "approved", "pending"]
        assert adjustment.base_version_id == base

    barrier = threading.Barrier(2, timeout=30)
    outcomes: dict[int, object] = {}

    def approve_last_step(pk: int) -> None:
        try:
            adjustment = Adjustment.objects.get(pk=pk)
            barrier.wait()
            adjustments.adjustment_decide(actor=cast.agency, adjustment=adjustment, approve=True)
            outcomes[pk] = "applied"
        except Exception as error:  # noqa: BLE001 — the outcome is what the test asserts
            outcomes[pk] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=approve_last_step, args=(a.pk,)) for a in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)

    winners = [pk for pk, outcome in outcomes.items() if outcome == "applied"]
    losers = [outcome for outcome in outcomes.values() if outcome != "applied"]
    assert len(winners) == 1, outcomes
    assert len(losers) == 1 and isinstance(losers[0], StateConflict), outcomes
    assert losers[0].code == "budget_changed"

    winner = Adjustment.objects.get(pk=winners[0])
    loser = first if winner == second else second
    loser.refresh_from_db()
    assert winner.state == Adjustment.State.APPROVED
    assert loser.state == Adjustment.State.PENDING  # its approval was rolled back with the refusal
    assert [step[3] for step in steps(loser)] == ["approved", "approved", "pending"]

    budget = Budget.objects.get(pk=cast.budget.pk)
    assert budget.approved_version.based_on_id == winner.proposed_version_id
    amounts = approved_central(budget)
    requested = {
        (number, category): amount
        for number, category, amount in winner.proposed_version.lines.values_list(
            "subject__number", "category", "central"
        )
    }
    assert amounts == requested
    expected_labour = D("600000.00") if winner == first else D("700000.00")
    assert amounts[(2, "labour")] == expected_labour  # one request's amounts, not both added
    assert sum(amounts.values()) == D("10000000.00")
    assert BudgetVersion.objects.filter(budget=budget, kind=BudgetVersion.Kind.APPROVED).count() == 2
    assert AuditEvent.objects.filter(action="adjustment.apply", object_id=str(budget.pk)).count() == 1


def test_b6_reform_2021_the_leader_moves_business_to_labour_and_the_units_are_told():
    """B6 — 国办发〔2021〕32号 二(二): outside equipment the leader decides; the request applies
    on submission and the subject unit and the lead unit are told (备案)."""
    cast = cast_of(approved_budget("key_rd", "reform-2021"))
    adjustment = adjustments.adjustment_create(actor=cast.leader, budget=cast.budget, reason="增加博士后")
    subject = cast.subject(2)
    book.lines_save(
        actor=cast.leader,
        version=adjustment.proposed_version,
        subject=subject,
        unit=subject.unit,
        rows={"business": {"central": "3700000.00"}, "labour": {"central": "600000.00", "basis": "博士后 3 名"}},
    )
    adjustment = submit(cast, adjustment)
    assert adjustment.state == Adjustment.State.APPROVED
    assert steps(adjustment) == [
        ("subject_unit", cast.unit(2), True, "notified"),
        ("lead_unit", cast.project.lead_unit_id, True, "notified"),
    ]
    assert approved_central(cast.budget)[(2, "labour")] == D("600000.00")
    assert Notification.objects.filter(recipient=cast.partner_admin).exists()


def test_b6_reform_2021_an_equipment_increase_is_the_subject_units_to_approve():
    """B6 — 国办发〔2021〕32号 二(二): equipment adjustments are delegated to the unit."""
    cast = cast_of(approved_budget("key_rd", "reform-2021"))
    adjustment = adjustments.adjustment_create(actor=cast.leader, budget=cast.budget, reason="租用测序仪")
    subject = cast.subject(2)
    book.lines_save(
        actor=cast.leader,
        version=adjustment.proposed_version,
        subject=subject,
        unit=subject.unit,
        rows={"business": {"central": "3700000.00"}, "equipment_rental": {"central": "100000.00"}},
    )
    adjustment = submit(cast, adjustment)
    assert [step[:3] for step in steps(adjustment)] == [
        ("subject_unit", cast.unit(2), False),
        ("lead_unit", cast.project.lead_unit_id, True),
    ]
    adjustment = decide(cast.partner_admin, adjustment)
    assert adjustment.state == Adjustment.State.APPROVED


def test_a_request_from_a_superseded_budget_is_refused_at_submission(krd):
    """Two requests from the same approved budget: once the first applies, the second cannot be
    submitted (it would otherwise go round every approver only to be refused at the end)."""
    first = ask(krd, 1, materials={"central": "2400000.00"}, testing={"central": "1100000.00"})
    second = ask(krd, 1, materials={"central": "2300000.00"}, testing={"central": "1200000.00"})
    decide(krd.lead_admin, submit(krd, first))
    assert Adjustment.objects.get(pk=first.pk).state == Adjustment.State.APPROVED
    with pytest.raises(StateConflict) as refused:
        submit(krd, second)
    assert refused.value.code == "budget_changed"
