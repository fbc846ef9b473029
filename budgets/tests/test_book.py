"""The budget book of an application: opening it, its tables, the database's own guards, and
its checks at submission (B1–B2, the warnings)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction

from accounts.tests.factories import OrganisationFactory, UserFactory
from budgets.models import Budget, BudgetLine, BudgetVersion, EquipmentItem
from budgets.services import book
from budgets.tests.builders import call_for
from core.exceptions import RuleViolation, StateConflict
from core.models import AuditEvent
from projects import services as project_services
from projects.models import Proposal
from projects.tests.builders import SUBJECT_BUDGET, complete_proposal

pytestmark = pytest.mark.django_db

D = Decimal


def audit_actions(budget: Budget) -> list[str]:
    return list(
        AuditEvent.objects.filter(content_type=ContentType.objects.get_for_model(Budget), object_id=str(budget.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )


@pytest.fixture
def draft():
    """A draft formal application with one subject held by the lead unit and a participant,
    and its opened budget book."""
    applicant = UserFactory(roles=["applicant"])
    proposal = project_services.proposal_create(actor=applicant, call=call_for())
    partner = OrganisationFactory()
    subject = project_services.proposal_subject_save(
        actor=applicant, proposal=proposal, title="课题1", unit=applicant.organisation, participant_units=[partner]
    )
    budget = book.budget_open(actor=applicant, proposal=proposal)
    return applicant, proposal, subject, partner, budget


# ---- Opening the book --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("program", "chosen", "edition"),
    [
        ("key_rd", "krd-2016", "krd-2016"),  # the call keeps the edition chosen at publication
        ("key_rd", "", "reform-2021"),  # none chosen: the one in force when it was published
        ("major", "", "major-2017"),
        ("major", "major-2017", "major-2017"),
    ],
)
def test_budget_open_follows_the_calls_funds_edition(program, chosen, edition):
    """B1 — KRD-FUNDS §18 / MAJOR-FUNDS §18: the categories of the call's edition."""
    applicant = UserFactory(roles=["applicant"])
    proposal = project_services.proposal_create(actor=applicant, call=call_for(program, chosen))
    budget = book.budget_open(actor=applicant, proposal=proposal)
    assert budget.edition == edition
    version = budget.working_version
    assert (version.number, version.kind, version.state) == (1, BudgetVersion.Kind.APPLICATION, "draft")
    assert audit_actions(budget) == ["budget.open"]
    # Opening again gives the same book.
    assert book.budget_open(actor=applicant, proposal=proposal) == budget
    assert budget.versions.count() == 1


def test_budget_open_refuses_a_pre_application():
    """KRD-FUNDS §23: a pre-application states only the total central funds requested."""
    applicant = UserFactory(roles=["applicant"])
    proposal = project_services.proposal_create(actor=applicant, call=call_for(), stage=Proposal.Stage.PRE)
    with pytest.raises(StateConflict) as refused:
        book.budget_open(actor=applicant, proposal=proposal)
    assert refused.value.code == "pre_application_budget"
    assert not Budget.objects.filter(proposal=proposal).exists()


@pytest.mark.parametrize("role", ["applicant", "agency", "unit_admin"])
def test_budget_open_refuses_anyone_but_the_applicant(role):
    applicant = UserFactory(roles=["applicant"])
    proposal = project_services.proposal_create(actor=applicant, call=call_for())
    stranger = UserFactory(roles=[role], organisation=applicant.organisation)
    with pytest.raises(PermissionDenied):
        book.budget_open(actor=stranger, proposal=proposal)
    assert not Budget.objects.filter(proposal=proposal).exists()


def test_budget_open_refuses_a_submitted_proposal():
    applicant = UserFactory(roles=["applicant"])
    proposal = project_services.proposal_create(actor=applicant, call=call_for())
    Proposal.objects.filter(pk=proposal.pk).update(state=Proposal.State.SUBMITTED)
    proposal.refresh_from_db()
    with pytest.raises(StateConflict):
        book.budget_open(actor=applicant, proposal=proposal)


# ---- The tables --------------------------------------------------------------------------------


def test_lines_save_keeps_the_subjects_requested_funds_equal_to_its_central_lines(draft):
    """The subject's requested central funds (read by lists and the public notice) are the
    sum of its central lines over every unit."""
    applicant, _proposal, subject, partner, budget = draft
    version = budget.working_version
    book.lines_save(actor=applicant, version=version, subject=subject, unit=subject.unit, rows=SUBJECT_BUDGET)
    subject.refresh_from_db()
    assert subject.requested_funds == D("5000000.00")

    book.lines_save(
        actor=applicant,
        version=version,
        subject=subject,
        unit=partner,
        rows={"materials": {"central": "300000.00", "own": "50000"}, "indirect": {"central": "60000"}},
    )
    subject.refresh_from_db()
    assert subject.requested_funds == D("5360000.00")  # other sources are not requested funds

    # An emptied row is removed, and the sum follows.
    book.lines_save(
        actor=applicant, version=version, subject=subject, unit=partner, rows={"materials": {}, "indirect": {}}
    )
    subject.refresh_from_db()
    assert subject.requested_funds == D("5000000.00")
    assert not version.lines.filter(unit=partner).exists()
    assert subject.requested_funds == sum(version.lines.values_list("central", flat=True))


def test_lines_save_refuses_units_outside_the_subject_and_unknown_categories(draft):
    """B1 — KRD-FUNDS §18, §21: the edition's categories, for the subject's own units."""
    applicant, _proposal, subject, _partner, budget = draft
    version = budget.working_version
    with pytest.raises(RuleViolation) as outsider:
        book.lines_save(
            actor=applicant, version=version, subject=subject, unit=OrganisationFactory(), rows=SUBJECT_BUDGET
        )
    assert outsider.value.rule == "B1"
    with pytest.raises(RuleViolation) as unknown:
        book.lines_save(
            actor=applicant, version=version, subject=subject, unit=subject.unit, rows={"business": {"central": "1"}}
        )
    assert (unknown.value.rule, unknown.value.code) == ("B1", "unknown_category")
    assert not version.lines.exists()


@pytest.mark.parametrize(
    ("rows", "rule"),
    [
        ({"materials": {"central": "-0.01"}}, "B0"),
        ({"materials": {"central": "100", "own": "-1"}}, "B0"),
        ({"indirect": {"central": "100", "performance_pay": "100.01"}}, "B2"),
    ],
)
def test_lines_save_refuses_what_the_database_would_refuse(draft, rows, rule):
    applicant, _proposal, subject, _partner, budget = draft
    with pytest.raises(RuleViolation) as refused:
        book.lines_save(actor=applicant, version=budget.working_version, subject=subject, unit=subject.unit, rows=rows)
    assert refused.value.rule == rule
    assert not budget.working_version.lines.exists()


def test_lines_save_keeps_performance_pay_on_the_indirect_line_only(draft):
    """KRD-FUNDS §19: performance pay is part of the indirect costs."""
    applicant, _proposal, subject, _partner, budget = draft
    [line] = book.lines_save(
        actor=applicant,
        version=budget.working_version,
        subject=subject,
        unit=subject.unit,
        rows={"materials": {"central": "100", "performance_pay": "50"}},
    )
    line.refresh_from_db()
    assert line.performance_pay == D("0.00")


# ---- The database refuses what can never be right, whatever the path --------------------------


def line_fields(budget, subject, **fields):
    return {"version": budget.working_version, "subject": subject, "unit": subject.unit, **fields}


@pytest.mark.parametrize(
    ("fields", "constraint"),
    [
        ({"category": "materials", "central": D("-0.01")}, "budget_line_amounts_not_negative"),
        ({"category": "materials", "own": D("-1")}, "budget_line_amounts_not_negative"),
        ({"category": "materials", "local_government": D("-1")}, "budget_line_amounts_not_negative"),
        ({"category": "materials", "other_channel": D("-1")}, "budget_line_amounts_not_negative"),
        (
            {"category": "indirect", "central": D("100"), "performance_pay": D("100.01")},
            "budget_line_performance_pay_within_central",
        ),
        (
            {"category": "indirect", "central": D("100"), "performance_pay": D("-1")},
            "budget_line_performance_pay_within_central",
        ),
        (
            {"category": "materials", "central": D("100"), "performance_pay": D("1")},
            "budget_line_performance_pay_only_indirect",
        ),
    ],
)
def test_the_database_refuses_impossible_budget_lines(draft, fields, constraint):
    """No path around the services and forms can store a negative amount or misplaced
    performance pay (KRD-FUNDS §19, §22)."""
    _applicant, _proposal, subject, _partner, budget = draft
    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        BudgetLine.objects.create(**line_fields(budget, subject, **fields))
    assert constraint in str(refused.value)
    assert not BudgetLine.objects.filter(version=budget.working_version).exists()


def test_the_database_refuses_an_update_around_the_service(draft):
    applicant, _proposal, subject, _partner, budget = draft
    [line] = book.lines_save(
        actor=applicant,
        version=budget.working_version,
        subject=subject,
        unit=subject.unit,
        rows={"indirect": {"central": "100", "performance_pay": "40"}},
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        BudgetLine.objects.filter(pk=line.pk).update(central=D("39.99"))
    line.refresh_from_db()
    assert (line.central, line.performance_pay) == (D("100.00"), D("40.00"))


@pytest.mark.parametrize(
    ("quantity", "unit_price", "amount", "central", "stored"),
    [
        (2, D("150000.00"), D("300000.00"), D("300000.00"), True),
        (2, D("150000.00"), D("300000.01"), D("300000.00"), False),  # not quantity × price
        (2, D("150000.00"), D("150000.00"), D("150000.00"), False),
        (2, D("150000.00"), D("300000.00"), D("300000.01"), False),  # central above the amount
        (0, D("150000.00"), D("0.00"), D("0.00"), False),
    ],
)
def test_the_database_refuses_equipment_items_that_do_not_multiply_out(
    draft, quantity, unit_price, amount, central, stored
):
    """KRD-FUNDS §24: an item's amount is its quantity times its unit price."""
    _applicant, _proposal, subject, _partner, budget = draft
    fields = {
        "version": budget.working_version,
        "subject": subject,
        "unit": subject.unit,
        "name": "质谱仪",
        "quantity": quantity,
        "unit_price": unit_price,
        "amount": amount,
        "central": central,
    }
    if stored:
        with transaction.atomic():
            EquipmentItem.objects.create(**fields)
    else:
        with pytest.raises(IntegrityError), transaction.atomic():
            EquipmentItem.objects.create(**fields)
    assert EquipmentItem.objects.filter(version=budget.working_version).exists() is stored


def test_equipment_item_add_computes_the_amount(draft):
    applicant, _proposal, subject, _partner, budget = draft
    item = book.equipment_item_add(
        actor=applicant,
        version=budget.working_version,
        subject=subject,
        unit=subject.unit,
        name="质谱仪",
        quantity=3,
        unit_price="33333.33",
    )
    assert (item.amount, item.central) == (D("99999.99"), D("99999.99"))
    with pytest.raises(RuleViolation):
        book.equipment_item_add(
            actor=applicant,
            version=budget.working_version,
            subject=subject,
            unit=subject.unit,
            name="离心机",
            quantity=1,
            unit_price="100",
            central="100.01",
        )


# ---- B4 at entry -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "id_number"),
    [
        ("外部专家", "11010119660101001X"),  # the project leader's ID number
        ("外部专家", "11010119660101001x"),  # typed with a small x
        ("课题负责人1", ""),  # a subject leader, by name
    ],
)
def test_expert_payee_add_refuses_team_members(name, id_number):
    """B4 — KRD-FUNDS §18(八): never paid to anyone working on the project."""
    call = call_for()
    proposal = complete_proposal(call, subjects=1, leader_id="11010119660101001X")
    version = proposal.budget.working_version
    with pytest.raises(RuleViolation) as refused:
        book.expert_payee_add(
            actor=proposal.applicant,
            version=version,
            subject=proposal.subjects.get(),
            name=name,
            id_number=id_number,
            amount="2000",
        )
    assert refused.value.rule == "B4"
    assert not version.expert_payees.exists()
    payee = book.expert_payee_add(
        actor=proposal.applicant,
        version=version,
        subject=proposal.subjects.get(),
        name="外部专家",
        id_number="110101197001010022",
        amount="2000",
    )
    assert payee.amount == D("2000.00")


# ---- Submission --------------------------------------------------------------------------------


def subject_rows(**changes) -> dict:
    return {category: {**values, **changes.get(category, {})} for category, values in SUBJECT_BUDGET.items()}


def test_submission_reports_a_b2_breach_and_keeps_the_draft():
    """B2 — KRD-FUNDS §20 at submission: the finding names the rule and the line, and nothing
    already saved is lost (design §6)."""
    proposal = complete_proposal(call_for(), subjects=2)
    applicant = proposal.applicant
    version = proposal.budget.working_version
    subject = proposal.subjects.get(number=1)
    # 200 000 moved from materials to indirect: same total, base 4 100 000, cap 820 000.
    breach = subject_rows(materials={"central": "2300000.00"}, indirect={"central": "900000.00"})
    book.lines_save(actor=applicant, version=version, subject=subject, unit=subject.unit, rows=breach)
    saved = sorted(version.lines.values_list("subject_id", "unit_id", "category", "central", "performance_pay"))

    with pytest.raises(RuleViolation) as refused:
        project_services.proposal_submit(actor=applicant, proposal=proposal)

    assert [finding["rule"] for finding in refused.value.findings] == ["B2"]
    [finding] = refused.value.findings
    assert finding["item"] == f"s{subject.pk}.u{subject.unit_id}.indirect.central"
    assert "820000.00" in finding["message"]
    proposal.refresh_from_db()
    assert proposal.state == Proposal.State.DRAFT
    assert sorted(version.lines.values_list("subject_id", "unit_id", "category", "central", "performance_pay")) == saved
    assert not AuditEvent.objects.filter(action="proposal.submit", object_id=str(proposal.pk)).exists()

    # Put right, it goes.
    book.lines_save(actor=applicant, version=version, subject=subject, unit=subject.unit, rows=subject_rows())
    project_services.proposal_submit(actor=applicant, proposal=proposal)
    proposal.refresh_from_db()
    assert proposal.state == Proposal.State.SUBMITTED


def test_a_formal_application_without_a_budget_cannot_be_submitted():
    applicant = UserFactory(roles=["applicant"])
    proposal = complete_proposal(call_for(), applicant=applicant, subjects=1)
    BudgetLine.objects.filter(version=proposal.budget.working_version).delete()
    with pytest.raises(RuleViolation) as refused:
        project_services.proposal_submit(actor=applicant, proposal=proposal)
    assert [(f["rule"], f["code"]) for f in refused.value.findings] == [("B1", "budget_missing")]


def test_warnings_must_be_confirmed_and_an_edit_clears_the_confirmation():
    """Warnings (KRD-FUNDS §18(七): labour without a basis) do not block, but are read and
    confirmed; any later change asks for a new confirmation."""
    proposal = complete_proposal(call_for(), subjects=1)
    applicant = proposal.applicant
    version = proposal.budget.working_version
    subject = proposal.subjects.get()
    book.lines_save(
        actor=applicant, version=version, subject=subject, unit=subject.unit, rows=subject_rows(labour={"basis": ""})
    )

    with pytest.raises(RuleViolation) as refused:
        project_services.proposal_submit(actor=applicant, proposal=proposal)
    assert [(f["rule"], f["code"]) for f in refused.value.findings] == [("B1", "budget_warnings")]

    book.warnings_confirm(actor=applicant, version=version)
    version.refresh_from_db()
    assert version.warnings_confirmed_at is not None

    # Editing a line clears the confirmation.
    book.lines_save(
        actor=applicant,
        version=version,
        subject=subject,
        unit=subject.unit,
        rows=subject_rows(labour={"basis": ""}, testing={"explanation": "委托测序"}),
    )
    version.refresh_from_db()
    assert version.warnings_confirmed_at is None
    with pytest.raises(RuleViolation) as again:
        project_services.proposal_submit(actor=applicant, proposal=proposal)
    assert [f["code"] for f in again.value.findings] == ["budget_warnings"]

    # Saving the same values again is no edit and keeps a confirmation.
    book.warnings_confirm(actor=applicant, version=version)
    book.lines_save(
        actor=applicant,
        version=version,
        subject=subject,
        unit=subject.unit,
        rows=subject_rows(labour={"basis": ""}, testing={"explanation": "委托测序"}),
    )
    version.refresh_from_db()
    assert version.warnings_confirmed_at is not None
    project_services.proposal_submit(actor=applicant, proposal=proposal)
    proposal.refresh_from_db()
    assert proposal.state == Proposal.State.SUBMITTED


def test_a_submitted_application_cannot_be_edited():
    proposal = complete_proposal(call_for(), subjects=1)
    project_services.proposal_submit(actor=proposal.applicant, proposal=proposal)
    subject = proposal.subjects.get()
    with pytest.raises(StateConflict):
        book.lines_save(
            actor=proposal.applicant,
            version=proposal.budget.working_version,
            subject=subject,
            unit=subject.unit,
            rows=subject_rows(materials={"central": "1"}),
        )


def test_every_change_of_the_book_leaves_an_audit_event(draft):
    """O1 — KRD-MGMT §71: who changed which line from what to what."""
    applicant, _proposal, subject, _partner, budget = draft
    version = budget.working_version
    book.lines_save(
        actor=applicant,
        version=version,
        subject=subject,
        unit=subject.unit,
        rows={"materials": {"central": "100000"}, "indirect": {"central": "20000"}},
    )
    book.lines_save(
        actor=applicant,
        version=version,
        subject=subject,
        unit=subject.unit,
        rows={"materials": {"central": "100000"}, "indirect": {"central": "20000"}},
    )  # nothing changed: nothing recorded
    book.years_save(actor=applicant, version=version, subject=subject, unit=subject.unit, years={2027: D("120000")})
    book.equipment_item_add(
        actor=applicant, version=version, subject=subject, unit=subject.unit, name="离心机", quantity=1, unit_price=1
    )
    book.warnings_confirm(actor=applicant, version=version)
    assert audit_actions(budget) == [
        "budget.open",
        "budget.lines_save",
        "budget.years_save",
        "budget.equipment_add",
        "budget.warnings_confirm",
    ]
    event = AuditEvent.objects.get(action="budget.lines_save", object_id=str(budget.pk))
    assert event.actor == applicant
    assert event.rule == "B1"
    key = f"v1.s{subject.number}.{subject.unit_id}.materials"
    before, after = event.changes[key]
    assert before is None
    assert after["central"] == "100000.00"
