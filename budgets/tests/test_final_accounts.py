"""Annual final accounts (B7 — KRD-FUNDS §37): compiled from the approved budget and the
imported spending, submitted by the lead unit after the year and by 20 April, which completes
the project's ``final_accounts`` obligation; funds under three months old at the year end are
reported in the next year's accounts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from accounts.tests.factories import OrganisationFactory, UserFactory
from budgets.models import FinalAccount
from budgets.services import final_accounts
from budgets.tests.builders import approved_budget
from budgets.tests.test_spending import (  # noqa: F401 - in_english is an autouse fixture
    import_rows,
    in_english,
    lead_admin,
    row,
    subjects_of,
    unit_admin_of,
)
from core.exceptions import RuleViolation, StateConflict
from core.models import AuditEvent, Notification, Obligation
from projects import services as project_services

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
IN_MARCH_2028 = dt.datetime(2028, 3, 15, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture
def budget():
    return approved_budget()


def spend_2027(budget):
    first, second = subjects_of(budget)
    import_rows(
        budget.project.leader,
        budget,
        2027,
        [
            row(first, "材料费", "100000"),
            row(first, "材料费", "7777", source="自筹"),  # other sources are not in the central accounts
            row(second, "劳务费", "50000"),
        ],
    )


def lines_of(account) -> dict:
    return {
        (line.subject.number, line.category): (line.approved, line.spent_in_year, line.spent_to_date)
        for line in account.lines.select_related("subject")
    }


def test_b7_compile_gives_each_subject_and_category_its_approved_and_spent_central_funds(budget):
    spend_2027(budget)
    account = final_accounts.final_account_compile(actor=lead_admin(budget), budget=budget, year=2027)
    assert account.state == FinalAccount.State.DRAFT
    lines = lines_of(account)
    assert len(lines) == 10  # 5 categories × 2 subjects
    assert lines[(1, "materials")] == (Decimal("2500000.00"), Decimal("100000.00"), Decimal("100000.00"))
    assert lines[(2, "labour")] == (Decimal("500000.00"), Decimal("50000.00"), Decimal("50000.00"))
    assert lines[(2, "indirect")] == (Decimal("700000.00"), Decimal("0.00"), Decimal("0.00"))
    carry = {
        row.subject.number: (row.carried_in, row.received, row.spent, row.carried_out)
        for row in final_accounts.final_account_carry_over(account)
    }
    assert carry == {
        1: (Decimal("0.00"), Decimal("1250000.00"), Decimal("100000.00"), Decimal("1150000.00")),
        2: (Decimal("0.00"), Decimal("1250000.00"), Decimal("50000.00"), Decimal("1200000.00")),
    }
    assert AuditEvent.objects.filter(action="final_account.compile", rule="B7").count() == 1


def test_b7_next_year_carries_in_last_years_remainder(budget):
    spend_2027(budget)
    first, _second = subjects_of(budget)
    import_rows(budget.project.leader, budget, 2028, [row(first, "材料费", "200000", "2028-05-05")])
    account = final_accounts.final_account_compile(actor=budget.project.leader, budget=budget, year=2028)
    assert lines_of(account)[(1, "materials")] == (
        Decimal("2500000.00"),
        Decimal("200000.00"),
        Decimal("300000.00"),
    )
    first_carry = final_accounts.final_account_carry_over(account)[0]
    assert (first_carry.carried_in, first_carry.received, first_carry.spent, first_carry.carried_out) == (
        Decimal("1150000.00"),
        Decimal("1250000.00"),
        Decimal("200000.00"),
        Decimal("2200000.00"),
    )


def test_b7_spending_outside_the_approved_categories_still_shows(budget):
    first, _second = subjects_of(budget)
    import_rows(budget.project.leader, budget, 2027, [row(first, "燃料动力费", "300")])
    lines = lines_of(final_accounts.final_account_compile(actor=budget.project.leader, budget=budget, year=2027))
    assert lines[(1, "fuel_power")] == (Decimal("0.00"), Decimal("300.00"), Decimal("300.00"))


def test_b7_submit_by_the_lead_unit_completes_the_years_obligation():
    """B7 — KRD-FUNDS §37: 项目牵头承担单位应当在每年的4月20日前 … 报送专业机构."""
    budget = approved_budget()
    project = budget.project
    project_services.project_obligations_ensure(project=project, today=dt.date(2028, 3, 1))
    obligation = Obligation.objects.get(kind="final_accounts", period="2027", object_id=str(project.pk))
    assert obligation.due_at == dt.datetime(2028, 4, 20, 23, 59, 59, tzinfo=SHANGHAI)
    agency_user = UserFactory(organisation=project.managing_agency, roles=["agency"])
    spend_2027(budget)
    admin = lead_admin(budget)
    account = final_accounts.final_account_compile(actor=admin, budget=budget, year=2027)
    with time_machine.travel(IN_MARCH_2028, tick=False):
        account = final_accounts.final_account_submit(actor=admin, final_account=account, explanation="账表一致")
    account.refresh_from_db()
    assert (account.state, account.submitted_by, account.explanation) == ("submitted", admin, "账表一致")
    assert account.submitted_at == IN_MARCH_2028
    obligation.refresh_from_db()
    assert obligation.state == Obligation.State.DONE
    assert Obligation.objects.get(kind="final_accounts", period="2028").state == Obligation.State.OPEN
    assert Notification.objects.filter(recipient=agency_user).exists()
    assert AuditEvent.objects.filter(action="final_account.submit", rule="B7").exists()


def test_b7_submit_records_the_obligation_as_met_when_the_sweep_has_not_made_it(budget):
    admin = lead_admin(budget)
    account = final_accounts.final_account_compile(actor=admin, budget=budget, year=2027)
    assert not Obligation.objects.filter(kind="final_accounts").exists()
    with time_machine.travel(IN_MARCH_2028, tick=False):
        final_accounts.final_account_submit(actor=admin, final_account=account)
    obligation = Obligation.objects.get(kind="final_accounts", period="2027", object_id=str(budget.project_id))
    assert obligation.state == Obligation.State.DONE


@pytest.mark.parametrize(
    ("funds_received_on", "state"),
    [(dt.date(2027, 10, 1), FinalAccount.State.DRAFT), (dt.date(2027, 10, 2), FinalAccount.State.EXEMPT)],
    ids=["1-october-three-full-months", "2-october-under-three-months"],
)
def test_b7_funds_under_three_months_old_at_the_year_end_are_exempt(funds_received_on, state):
    """B7 — KRD-FUNDS §37: 项目资金下达之日起至年度终了不满三个月的项目，当年可以不编报年度财务决算."""
    budget = approved_budget(funds_received_on=funds_received_on)
    account = final_accounts.final_account_compile(actor=budget.project.leader, budget=budget, year=2027)
    assert account.state == state
    # The deadline engine agrees: no obligation for an exempt year.
    project_services.project_obligations_ensure(project=budget.project, today=dt.date(2028, 3, 1))
    has_obligation = Obligation.objects.filter(kind="final_accounts", period="2027").exists()
    assert has_obligation == (state == FinalAccount.State.DRAFT)
    if state == FinalAccount.State.EXEMPT:
        assert "2028 final accounts" in account.explanation
        assert "KRD-FUNDS §37" in account.explanation
        assert not account.lines.exists()


def test_b7_after_an_exempt_year_the_next_accounts_cover_both_years():
    budget = approved_budget(funds_received_on=dt.date(2027, 10, 2))
    first, _second = subjects_of(budget)
    leader = budget.project.leader
    import_rows(leader, budget, 2027, [row(first, "材料费", "1000", "2027-12-01")])
    import_rows(leader, budget, 2028, [row(first, "材料费", "2000", "2028-02-01")])
    account = final_accounts.final_account_compile(actor=leader, budget=budget, year=2028)
    assert account.state == FinalAccount.State.DRAFT
    assert lines_of(account)[(1, "materials")] == (Decimal("2500000.00"), Decimal("3000.00"), Decimal("3000.00"))
    carry = final_accounts.final_account_carry_over(account)[0]
    assert (carry.carried_in, carry.received, carry.spent) == (
        Decimal("0.00"),
        Decimal("2500000.00"),
        Decimal("3000.00"),
    )


def test_b7_exempt_accounts_are_not_submitted():
    budget = approved_budget(funds_received_on=dt.date(2027, 10, 2))
    admin = lead_admin(budget)
    account = final_accounts.final_account_compile(actor=admin, budget=budget, year=2027)
    with time_machine.travel(IN_MARCH_2028, tick=False), pytest.raises(StateConflict) as refused:
        final_accounts.final_account_submit(actor=admin, final_account=account)
    assert refused.value.code == "final_account_exempt"


def test_b7_accounts_are_submitted_after_the_year_has_ended(budget):
    admin = lead_admin(budget)
    account = final_accounts.final_account_compile(actor=admin, budget=budget, year=2027)
    with (
        time_machine.travel(dt.datetime(2027, 12, 31, 23, 0, tzinfo=SHANGHAI), tick=False),
        pytest.raises(StateConflict) as refused,
    ):
        final_accounts.final_account_submit(actor=admin, final_account=account)
    assert refused.value.code == "year_not_ended"
    account.refresh_from_db()
    assert account.state == FinalAccount.State.DRAFT


def test_b7_spending_imported_after_compiling_needs_a_new_compilation(budget):
    first, _second = subjects_of(budget)
    admin = lead_admin(budget)
    account = final_accounts.final_account_compile(actor=admin, budget=budget, year=2027)
    with time_machine.travel(IN_MARCH_2028, tick=False):
        import_rows(admin, budget, 2027, [row(first, amount="10")])
        with pytest.raises(StateConflict) as refused:
            final_accounts.final_account_submit(actor=admin, final_account=account)
        assert refused.value.code == "final_account_stale"
        account = final_accounts.final_account_compile(actor=admin, budget=budget, year=2027)
        assert final_accounts.final_account_submit(actor=admin, final_account=account).state == "submitted"
    with pytest.raises(StateConflict):
        final_accounts.final_account_compile(actor=admin, budget=budget, year=2027)


@pytest.mark.parametrize("who", ["project_leader", "subject_unit_admin", "other_unit_admin", "agency"])
def test_b7_only_the_lead_units_admin_submits(budget, who):
    _first, second = subjects_of(budget)
    account = final_accounts.final_account_compile(actor=budget.project.leader, budget=budget, year=2027)
    actor = {
        "project_leader": lambda: budget.project.leader,
        "subject_unit_admin": lambda: unit_admin_of(second.unit),
        "other_unit_admin": lambda: unit_admin_of(OrganisationFactory()),
        "agency": lambda: UserFactory(organisation=budget.project.managing_agency, roles=["agency"]),
    }[who]()
    with time_machine.travel(IN_MARCH_2028, tick=False), pytest.raises(PermissionDenied):
        final_accounts.final_account_submit(actor=actor, final_account=account)
    account.refresh_from_db()
    assert account.state == FinalAccount.State.DRAFT


@pytest.mark.parametrize("who", ["subject_unit_admin", "agency"])
def test_b7_compiling_is_for_the_lead_unit_and_the_leader(budget, who):
    _first, second = subjects_of(budget)
    actor = (
        unit_admin_of(second.unit)
        if who == "subject_unit_admin"
        else UserFactory(organisation=budget.project.managing_agency, roles=["agency"])
    )
    with pytest.raises(PermissionDenied):
        final_accounts.final_account_compile(actor=actor, budget=budget, year=2027)
    assert not FinalAccount.objects.exists()


def test_b7_no_accounts_for_a_year_outside_the_project(budget):
    with pytest.raises(RuleViolation) as refused:
        final_accounts.final_account_compile(actor=budget.project.leader, budget=budget, year=2031)
    assert (refused.value.rule, refused.value.code) == ("B7", "year_outside_project")


# ---- Pages and API ------------------------------------------------------------------------------


def test_final_account_pages_compile_and_submit(client, budget):
    spend_2027(budget)
    admin = lead_admin(budget)
    client.force_login(admin)
    assert client.get(reverse("budgets:final_accounts", args=[budget.pk])).status_code == 200
    response = client.post(reverse("budgets:final_account_compile", args=[budget.pk, 2027]))
    assert response.status_code == 302
    page = client.get(reverse("budgets:final_account", args=[budget.pk, 2027])).content.decode()
    assert 'data-testid="final-account-lines"' in page
    assert 'data-testid="carry-over"' in page
    assert 'data-testid="submit-final-account"' in page
    with time_machine.travel(IN_MARCH_2028, tick=False):
        client.force_login(admin)  # the session of 2026 has expired by then
        response = client.post(
            reverse("budgets:final_account_submit", args=[budget.pk, 2027]), {"explanation": "无"}, follow=True
        )
    assert "The 2027 final accounts were sent to the agency." in response.content.decode()
    assert FinalAccount.objects.get().state == FinalAccount.State.SUBMITTED


def test_subject_unit_admin_sees_a_refusal_to_submit_as_a_message(client, budget):
    _first, second = subjects_of(budget)
    final_accounts.final_account_compile(actor=budget.project.leader, budget=budget, year=2027)
    client.force_login(unit_admin_of(second.unit))
    response = client.post(reverse("budgets:final_account_submit", args=[budget.pk, 2027]), follow=True)
    assert response.status_code == 200
    assert "Your role cannot do this on this budget." in response.content.decode()
    assert FinalAccount.objects.get().state == FinalAccount.State.DRAFT


def test_other_units_admin_gets_404_on_final_accounts(client, budget):
    final_accounts.final_account_compile(actor=budget.project.leader, budget=budget, year=2027)
    client.force_login(unit_admin_of(OrganisationFactory()))
    for name, args in (
        ("budgets:final_accounts", [budget.pk]),
        ("budgets:final_account", [budget.pk, 2027]),
    ):
        assert client.get(reverse(name, args=args)).status_code == 404
    for name in ("budgets:final_account_compile", "budgets:final_account_submit"):
        assert client.post(reverse(name, args=[budget.pk, 2027])).status_code == 404


def test_api_compiles_and_submits(api_client, budget):
    spend_2027(budget)
    admin = lead_admin(budget)
    api_client.force_authenticate(admin)
    response = api_client.post("/api/v1/final-accounts/", {"budget": budget.pk, "year": 2027}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["state"], len(body["lines"]), body["carry_over"][0]["carried_out"]) == ("draft", 10, "1150000.00")
    materials = next(line for line in body["lines"] if (line["subject"], line["category"]) == (1, "materials"))
    assert materials["execution_rate"] == "4.0"
    submit = f"/api/v1/final-accounts/{body['id']}/submit/"
    assert api_client.post(submit, {}, format="json").json()["code"] == "year_not_ended"
    with time_machine.travel(IN_MARCH_2028, tick=False):
        response = api_client.post(submit, {"explanation": "账表一致"}, format="json")
    assert (response.status_code, response.json()["state"]) == (200, "submitted")


def test_api_answers_404_outside_the_budget(api_client, budget):
    account = final_accounts.final_account_compile(actor=budget.project.leader, budget=budget, year=2027)
    api_client.force_authenticate(unit_admin_of(OrganisationFactory()))
    assert api_client.get(f"/api/v1/final-accounts/{account.pk}/").status_code == 404
    assert api_client.post("/api/v1/final-accounts/", {"budget": budget.pk, "year": 2027}).status_code == 404
    assert api_client.get("/api/v1/final-accounts/").json()["count"] == 0
