"""Balances at financial acceptance (B9 — KRD-FUNDS §44, MAJOR-FUNDS §47): the agency settles
each subject's balance; passed at the first attempt with good credit, the unit keeps it two
years and reports its use, otherwise it is recovered."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from accounts.tests.factories import OrganisationFactory, UserFactory
from budgets.models import Balance
from budgets.services import balances
from budgets.tests.builders import approved_budget
from budgets.tests.test_spending import (  # noqa: F401 - in_english is an autouse fixture
    import_rows,
    in_english,
    lead_admin,
    row,
    subjects_of,
    unit_admin_of,
)
from core.exceptions import StateConflict
from core.models import AuditEvent, Obligation

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
AFTER_ACCEPTANCE = dt.datetime(2031, 6, 1, 10, 0, tzinfo=SHANGHAI)


def agency_of(budget):
    return UserFactory(organisation=budget.project.managing_agency, roles=["agency"])


def settle(budget, subject, *, accepted_on=dt.date(2030, 9, 15), passed=True, credit=True, actor=None):
    with time_machine.travel(AFTER_ACCEPTANCE, tick=False):
        return balances.balance_settle(
            actor=actor or agency_of(budget),
            budget=budget,
            subject=subject,
            accepted_on=accepted_on,
            passed_first_attempt=passed,
            credit_is_good=credit,
        )


@pytest.fixture
def budget():
    return approved_budget()


RECOVERED_KRD = ("recovered", None, None, "KRD-FUNDS §44")
RECOVERED_MAJOR = ("recovered", None, None, "MAJOR-FUNDS §47")


@pytest.mark.parametrize(
    ("program", "edition", "accepted_on", "passed", "credit", "expected"),
    [
        (
            "key_rd",
            "krd-2016",
            dt.date(2030, 9, 15),
            True,
            True,
            ("kept", dt.date(2030, 9, 15), dt.date(2032, 9, 14), "KRD-FUNDS §44"),
        ),
        (
            "key_rd",
            "krd-2016",
            dt.date(2030, 12, 31),
            True,
            True,
            ("kept", dt.date(2030, 12, 31), dt.date(2032, 12, 30), "KRD-FUNDS §44"),
        ),
        ("key_rd", "krd-2016", dt.date(2030, 9, 15), True, False, RECOVERED_KRD),
        ("key_rd", "krd-2016", dt.date(2030, 9, 15), False, True, RECOVERED_KRD),
        ("key_rd", "krd-2016", dt.date(2030, 9, 15), False, False, RECOVERED_KRD),
        (
            "major",
            "major-2017",
            dt.date(2030, 9, 15),
            True,
            True,
            ("kept", dt.date(2031, 1, 1), dt.date(2032, 12, 31), "MAJOR-FUNDS §47"),
        ),
        (
            "major",
            "major-2017",
            dt.date(2030, 12, 31),
            True,
            True,
            ("kept", dt.date(2031, 1, 1), dt.date(2032, 12, 31), "MAJOR-FUNDS §47"),
        ),
        ("major", "major-2017", dt.date(2030, 9, 15), True, False, RECOVERED_MAJOR),
        ("major", "major-2017", dt.date(2030, 9, 15), False, True, RECOVERED_MAJOR),
        ("major", "major-2017", dt.date(2030, 9, 15), False, False, RECOVERED_MAJOR),
    ],
    ids=[
        "krd-passed-good-credit-kept-from-acceptance",
        "krd-accepted-31-december",
        "krd-poor-credit",
        "krd-passed-after-rectification",
        "krd-failed-poor-credit",
        "major-passed-good-credit-kept-from-next-1-january",
        "major-accepted-31-december",
        "major-poor-credit",
        "major-not-first-attempt",
        "major-failed-poor-credit",
    ],
)
def test_b9_disposition_and_period(program, edition, accepted_on, passed, credit, expected):
    """B9 — KRD-FUNDS §44: two years from the financial acceptance; MAJOR-FUNDS §47: 自验收结论
    下达后次年的1月1日起计算; otherwise 由专业机构收回."""
    budget = approved_budget(program=program, edition=edition)
    first, _second = subjects_of(budget)
    balance = settle(budget, first, accepted_on=accepted_on, passed=passed, credit=credit)
    assert (balance.disposition, balance.keep_from, balance.keep_until) == expected[:3]
    event = AuditEvent.objects.get(action="balance.settle")
    assert (event.rule, event.changes["article"]) == ("B9", [None, expected[3]])
    obligations = Obligation.objects.filter(kind="balance_use_report", object_id=str(balance.pk))
    if balance.disposition == Balance.Disposition.KEPT:
        obligation = obligations.get()
        assert obligation.due_at == dt.datetime.combine(expected[2], dt.time(23, 59, 59), tzinfo=SHANGHAI)
        assert (obligation.rule, obligation.responsible_role, obligation.responsible_organisation) == (
            "B9",
            "unit_admin",
            first.unit,
        )
    else:
        assert not obligations.exists()


def test_b9_balance_is_the_approved_central_funds_less_central_spending(budget):
    first, second = subjects_of(budget)
    import_rows(
        budget.project.leader,
        budget,
        2027,
        [row(first, "材料费", "1000000"), row(first, "材料费", "500", source="自筹"), row(second, "劳务费", "9")],
    )
    balance = settle(budget, first)
    assert balance.amount == Decimal("4000000.00")  # 5 000 000 approved − 1 000 000 central spent


def test_b9_balance_never_goes_below_zero_and_nothing_is_reported_then(budget):
    first, _second = subjects_of(budget)
    import_rows(budget.project.leader, budget, 2027, [row(first, "材料费", "5100000")])
    balance = settle(budget, first)
    assert (balance.amount, balance.disposition) == (Decimal("0.00"), "kept")
    assert not Obligation.objects.filter(kind="balance_use_report").exists()


def test_b9_unit_reports_the_use_of_a_kept_balance(budget):
    first, _second = subjects_of(budget)
    balance = settle(budget, first)
    admin = unit_admin_of(first.unit)
    with time_machine.travel(dt.datetime(2032, 9, 1, 9, 0, tzinfo=SHANGHAI), tick=False):
        balance = balances.balance_use_report(
            actor=admin, balance=balance, used_amount=Decimal("3000000.00"), report="用于后续实验材料"
        )
    assert (balance.used_amount, balance.use_report) == (Decimal("3000000.00"), "用于后续实验材料")
    assert Obligation.objects.get(kind="balance_use_report").state == Obligation.State.DONE
    with pytest.raises(StateConflict):
        balances.balance_use_report(actor=admin, balance=balance, used_amount=Decimal(0), report="再次")


@pytest.mark.parametrize("used", [Decimal("5000000.01"), Decimal(-1), Decimal("0.001")])
def test_b9_used_amount_is_within_the_balance(budget, used):
    first, _second = subjects_of(budget)
    balance = settle(budget, first)
    with pytest.raises(ValidationError):
        balances.balance_use_report(actor=unit_admin_of(first.unit), balance=balance, used_amount=used, report="x")
    balance.refresh_from_db()
    assert balance.reported_at is None


def test_b9_recovered_balance_has_no_use_report(budget):
    first, _second = subjects_of(budget)
    balance = settle(budget, first, credit=False)
    with pytest.raises(StateConflict):
        balances.balance_use_report(
            actor=unit_admin_of(first.unit), balance=balance, used_amount=Decimal(1), report="x"
        )


@pytest.mark.parametrize("who", ["other_unit_admin", "lead_unit_admin_of_another_subject", "agency"])
def test_b9_only_the_subject_unit_reports_the_use(budget, who):
    first, second = subjects_of(budget)
    balance = settle(budget, second)
    actor = {
        "other_unit_admin": lambda: unit_admin_of(OrganisationFactory()),
        "lead_unit_admin_of_another_subject": lambda: unit_admin_of(first.unit),
        "agency": lambda: agency_of(budget),
    }[who]()
    with pytest.raises(PermissionDenied):
        balances.balance_use_report(actor=actor, balance=balance, used_amount=Decimal(1), report="x")


@pytest.mark.parametrize("who", ["another_agency", "lead_unit_admin", "project_leader"])
def test_b9_only_the_managing_agency_settles(budget, who):
    first, _second = subjects_of(budget)
    actor = {
        "another_agency": lambda: UserFactory(roles=["agency"]),
        "lead_unit_admin": lambda: lead_admin(budget),
        "project_leader": lambda: budget.project.leader,
    }[who]()
    with pytest.raises(PermissionDenied):
        settle(budget, first, actor=actor)
    assert not Balance.objects.exists()


def test_b9_a_subject_is_settled_once_and_only_its_own_budgets(budget):
    first, _second = subjects_of(budget)
    settle(budget, first)
    with pytest.raises(StateConflict):
        settle(budget, first)
    other = approved_budget()
    with pytest.raises(PermissionDenied):
        settle(budget, subjects_of(other)[0])


def test_b9_acceptance_date_is_not_in_the_future(budget):
    first, _second = subjects_of(budget)
    with pytest.raises(ValidationError):
        settle(budget, first, accepted_on=dt.date(2031, 6, 2))


# ---- Pages and API ------------------------------------------------------------------------------


def test_balance_pages_settle_and_report(client, budget):
    first, _second = subjects_of(budget)
    agency = agency_of(budget)
    client.force_login(agency)
    page = client.get(reverse("budgets:balances", args=[budget.pk])).content.decode()
    assert 'data-testid="settle-balance"' in page
    with time_machine.travel(AFTER_ACCEPTANCE, tick=False):
        client.force_login(agency)  # the session of 2026 has expired by then
        response = client.post(
            reverse("budgets:balance_settle", args=[budget.pk]),
            {"subject": first.pk, "accepted_on": "2030-09-15", "passed_first_attempt": "on", "credit_is_good": "on"},
        )
    assert response.status_code == 302
    balance = Balance.objects.get()
    assert (balance.disposition, balance.keep_until) == ("kept", dt.date(2032, 9, 14))
    client.force_login(unit_admin_of(first.unit))
    page = client.get(reverse("budgets:balances", args=[budget.pk])).content.decode()
    assert 'data-testid="report-balance-use"' in page
    prefix = f"balance-{balance.pk}"
    response = client.post(
        reverse("budgets:balance_report", args=[balance.pk]),
        {f"{prefix}-used_amount": "4000000.00", f"{prefix}-report": "购买材料"},
        follow=True,
    )
    assert "The use of the balance is reported." in response.content.decode()
    balance.refresh_from_db()
    assert balance.used_amount == Decimal("4000000.00")


def test_balance_settle_form_errors_leave_nothing(client, budget):
    client.force_login(agency_of(budget))
    response = client.post(reverse("budgets:balance_settle", args=[budget.pk]), {"accepted_on": "not a date"})
    assert response.status_code == 400
    assert not Balance.objects.exists()


def test_other_units_admin_gets_404_on_balances(client, budget):
    first, _second = subjects_of(budget)
    balance = settle(budget, first)
    client.force_login(unit_admin_of(OrganisationFactory()))
    assert client.get(reverse("budgets:balances", args=[budget.pk])).status_code == 404
    assert client.post(reverse("budgets:balance_report", args=[balance.pk])).status_code == 404


def test_api_settles_and_reports(api_client, budget):
    first, _second = subjects_of(budget)
    api_client.force_authenticate(agency_of(budget))
    with time_machine.travel(AFTER_ACCEPTANCE, tick=False):
        response = api_client.post(
            "/api/v1/balances/",
            {
                "budget": budget.pk,
                "subject": first.pk,
                "accepted_on": "2030-09-15",
                "passed_first_attempt": True,
                "credit_is_good": False,
            },
            format="json",
        )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["disposition"], body["keep_until"], body["returned"]) == ("recovered", None, "5000000.00")

    second_balance = settle(budget, subjects_of(budget)[1])
    api_client.force_authenticate(unit_admin_of(subjects_of(budget)[1].unit))
    response = api_client.post(
        f"/api/v1/balances/{second_balance.pk}/use-report/",
        {"used_amount": "1000000.00", "report": "实验"},
        format="json",
    )
    assert (response.status_code, response.json()["returned"]) == (200, "4000000.00")


def test_api_hides_balances_of_other_budgets(api_client, budget):
    first, _second = subjects_of(budget)
    balance = settle(budget, first)
    api_client.force_authenticate(unit_admin_of(OrganisationFactory()))
    assert api_client.get(f"/api/v1/balances/{balance.pk}/").status_code == 404
    response = api_client.post(f"/api/v1/balances/{balance.pk}/use-report/", {"used_amount": "1", "report": "x"})
    assert response.status_code == 404
