"""Spending imports (all rows or none; B1, B4 — KRD-FUNDS §18(八), B11 — KRD-FUNDS §29) and
execution rates, through the service, the pages and the API."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from openpyxl import Workbook

from accounts.tests.factories import OrganisationFactory, UserFactory
from budgets.models import Expenditure, ExpenditureImport
from budgets.services import execution, finance_files, spending_import
from budgets.services.spending_import import ImportRefused
from budgets.tests.builders import approved_budget
from core.models import AuditEvent

pytestmark = pytest.mark.django_db

HEADER = [
    "课题编号",
    "单位统一社会信用代码",
    "科目",
    "资金来源",
    "记账日期",
    "凭证号",
    "摘要",
    "收款人",
    "收款人证件号",
    "金额",
]


# ---- Helpers shared by the final accounts and balances tests ------------------------------------


def subjects_of(budget):
    return list(budget.proposal.subjects.select_related("unit").order_by("number"))


def row(subject, category="材料费", amount="1000.00", booked_on="2027-09-01", *, unit=None, source="专项", **extra):
    """One spending row as a finance system exports it (Chinese header)."""
    unit = unit or subject.unit
    return [
        f"{subject.proposal.project.number}-{subject.number:02d}",
        unit.credit_code,
        category,
        source,
        booked_on,
        extra.get("voucher", "记-0001"),
        extra.get("description", "试剂采购"),
        extra.get("payee", "某试剂公司"),
        extra.get("payee_id_number", ""),
        amount,
    ]


def csv_upload(rows, *, header=HEADER, encoding="utf-8-sig", name="spending.csv") -> SimpleUploadedFile:
    text = io.StringIO()
    import csv

    writer = csv.writer(text)
    writer.writerow(header)
    writer.writerows(rows)
    return SimpleUploadedFile(name, text.getvalue().encode(encoding), content_type="text/csv")


def import_rows(actor, budget, year, rows, **kwargs) -> ExpenditureImport:
    return spending_import.expenditure_import(
        actor=actor, budget=budget, year=year, uploaded_file=csv_upload(rows, **kwargs)
    )


def lead_admin(budget):
    return UserFactory(organisation=budget.project.lead_unit, roles=["unit_admin"])


def unit_admin_of(organisation):
    return UserFactory(organisation=organisation, roles=["unit_admin"])


@pytest.fixture(autouse=True)
def in_english(client, api_client, settings):
    """Messages are asserted in the source language (pages and API too: the language cookie says English)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    api_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def budget():
    return approved_budget()


# ---- A good file --------------------------------------------------------------------------------


def test_good_csv_import_applies_every_row_with_chinese_categories_and_sources(budget):
    first, second = subjects_of(budget)
    leader = budget.project.leader
    record = import_rows(
        leader,
        budget,
        2027,
        [
            row(first, "材料费", "1,200.50", "2027-09-01"),
            row(first, "设备费-购置", "80000", "2027/10/8"),
            row(second, "测试化验加工费", "300.00", "2027年12月31日", source="自筹"),
            row(second, "间接费用", "50.00", "20271101"),
        ],
    )
    assert (record.state, record.row_count, record.total, record.errors) == (
        ExpenditureImport.State.APPLIED,
        4,
        Decimal("81550.50"),
        [],
    )
    stored = list(
        Expenditure.objects.filter(source_import=record)
        .order_by("id")
        .values_list("subject__number", "unit_id", "category", "is_central", "booked_on", "amount")
    )
    assert stored == [
        (1, first.unit_id, "materials", True, dt.date(2027, 9, 1), Decimal("1200.50")),
        (1, first.unit_id, "equipment_purchase", True, dt.date(2027, 10, 8), Decimal("80000.00")),
        (2, second.unit_id, "testing", False, dt.date(2027, 12, 31), Decimal("300.00")),
        (2, second.unit_id, "indirect", True, dt.date(2027, 11, 1), Decimal("50.00")),
    ]
    event = AuditEvent.objects.get(action="expenditure.import")
    assert event.changes["rows"] == [None, 4]
    assert event.actor == leader


def test_gbk_csv_with_english_headers_unit_names_and_category_codes_is_read(budget):
    first, _second = subjects_of(budget)
    header = ["subject", "unit_name", "category", "source", "booked_on", "voucher", "description", "payee", "amount"]
    rows = [
        [
            str(first.number),
            first.unit.name,
            "meeting_travel",
            "central",
            "2027-08-15",
            "V-1",
            "差旅：北京",
            "张三",
            "880",
        ]
    ]
    record = import_rows(budget.project.leader, budget, 2027, rows, header=header, encoding="gbk")
    expenditure = Expenditure.objects.get(source_import=record)
    assert (expenditure.category, expenditure.description, expenditure.amount) == (
        "meeting_travel",
        "差旅：北京",
        Decimal("880.00"),
    )


def test_good_xlsx_import_reads_date_cells_and_numbers(budget):
    first, second = subjects_of(budget)
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    sheet.append(
        [
            f"{budget.project.number}-01",
            first.unit.credit_code,
            "劳务费",
            "专项",
            dt.datetime(2027, 9, 30),  # noqa: DTZ001 - Excel cells carry no time zone
            "记-9",
            "",
            "",
            "",
            4500.5,
        ]
    )
    sheet.append(
        [2, second.unit.credit_code, "燃料动力费", "专项", dt.date(2027, 10, 2), "记-10", "电费", "", "", 1200]
    )
    content = io.BytesIO()
    workbook.save(content)
    upload = SimpleUploadedFile(
        "支出明细.xlsx",
        content.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    record = spending_import.expenditure_import(
        actor=lead_admin(budget), budget=budget, year=2027, uploaded_file=upload
    )
    assert (record.state, record.row_count, record.total, record.file_name) == (
        "applied",
        2,
        Decimal("5700.50"),
        "支出明细.xlsx",
    )
    assert sorted(Expenditure.objects.values_list("category", "booked_on")) == [
        ("fuel_power", dt.date(2027, 10, 2)),
        ("labour", dt.date(2027, 9, 30)),
    ]


def test_a_good_file_replaces_that_years_rows_of_its_units_only(budget):
    first, second = subjects_of(budget)
    leader = budget.project.leader
    import_rows(leader, budget, 2027, [row(first, amount="100"), row(second, amount="200")])
    import_rows(leader, budget, 2028, [row(first, amount="400", booked_on="2028-03-01")])
    import_rows(leader, budget, 2027, [row(first, amount="111"), row(first, amount="222")])
    assert sorted(Expenditure.objects.values_list("year", "unit_id", "amount")) == [
        (2027, first.unit_id, Decimal("111.00")),
        (2027, first.unit_id, Decimal("222.00")),
        (2027, second.unit_id, Decimal("200.00")),  # not in the new file: kept
        (2028, first.unit_id, Decimal("400.00")),  # another year: kept
    ]
    assert AuditEvent.objects.filter(action="expenditure.import").order_by("id").last().changes["rows_replaced"] == [
        None,
        1,
    ]


# ---- All or nothing -----------------------------------------------------------------------------


def test_one_bad_row_refuses_the_file_and_changes_nothing(budget):
    first, second = subjects_of(budget)
    leader = budget.project.leader
    earlier = import_rows(leader, budget, 2027, [row(first, amount="100"), row(second, amount="200")])
    bad = [row(first, amount="1") for _ in range(2500)] + [row(second, amount="12.345")]  # past one insert batch
    with pytest.raises(ImportRefused) as refused:
        import_rows(leader, budget, 2027, bad)
    assert refused.value.code == "import_refused"
    assert refused.value.fields == {"rows.2502.金额": ["The amount is in yuan with at most 2 decimals."]}
    record = refused.value.expenditure_import
    record.refresh_from_db()
    assert (record.state, record.row_count, record.total) == ("refused", 2501, Decimal("0.00"))
    assert record.errors == [
        {"row": 2502, "column": "金额", "message": "The amount is in yuan with at most 2 decimals.", "rule": ""}
    ]
    assert not Expenditure.objects.filter(source_import=record).exists()
    assert sorted(Expenditure.objects.values_list("source_import_id", "amount")) == [
        (earlier.pk, Decimal("100.00")),
        (earlier.pk, Decimal("200.00")),
    ]
    assert AuditEvent.objects.filter(action="expenditure.import_refused").count() == 1


def test_booked_date_outside_the_year_is_refused(budget):
    first, _second = subjects_of(budget)
    with pytest.raises(ImportRefused) as refused:
        import_rows(budget.project.leader, budget, 2027, [row(first), row(first, booked_on="2028-01-01")])
    assert refused.value.expenditure_import.errors == [
        {"row": 3, "column": "记账日期", "message": "2028-01-01 is outside 2027, the year of this import.", "rule": ""}
    ]
    assert not Expenditure.objects.exists()


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("0", "The amount must be more than zero."),
        ("-5.00", "The amount must be more than zero."),
        ("0.001", "The amount is in yuan with at most 2 decimals."),
        ("abc", "abc is not an amount."),
        ("", "— is not an amount."),
        ("1e13", "The amount is too large."),
    ],
)
def test_amounts_are_positive_yuan_with_two_decimals(budget, amount, message):
    first, _second = subjects_of(budget)
    with pytest.raises(ImportRefused) as refused:
        import_rows(budget.project.leader, budget, 2027, [row(first, amount=amount)])
    assert [error["message"] for error in refused.value.expenditure_import.errors] == [message]


def test_one_cent_and_thousands_separators_are_accepted(budget):
    first, _second = subjects_of(budget)
    record = import_rows(
        budget.project.leader, budget, 2027, [row(first, amount="0.01"), row(first, amount="1,000.10")]
    )
    assert record.total == Decimal("1000.11")


def test_every_bad_row_is_reported_with_its_row_and_column(budget):
    first, _second = subjects_of(budget)
    stranger = OrganisationFactory()
    rows = [
        row(first, "飞机票"),
        row(first, unit=stranger),
        ["99", first.unit.credit_code, "材料费", "专项", "2027-09-01", "", "", "", "", "10"],
        row(first, booked_on="2027-02-30"),
        row(first, source="借款"),
    ]
    with pytest.raises(ImportRefused) as refused:
        import_rows(budget.project.leader, budget, 2027, rows)
    errors = [(error["row"], error["column"]) for error in refused.value.expenditure_import.errors]
    assert errors == [(2, "科目"), (3, "单位统一社会信用代码"), (4, "课题编号"), (5, "记账日期"), (6, "资金来源")]
    assert "飞机票 is not a budget category." in refused.value.fields["rows.2.科目"]


def test_b1_category_outside_the_edition_is_refused(budget):
    """B1 — KRD-FUNDS §18: capital construction is a category of major projects only."""
    first, _second = subjects_of(budget)
    with pytest.raises(ImportRefused) as refused:
        import_rows(budget.project.leader, budget, 2027, [row(first, "基本建设费")])
    error = refused.value.expenditure_import.errors[0]
    assert (error["rule"], error["column"]) == ("B1", "科目")
    assert refused.value.rule == "B1"


def test_unit_must_be_the_subjects_unit_or_participant(budget):
    first, second = subjects_of(budget)
    with pytest.raises(ImportRefused) as refused:
        import_rows(budget.project.leader, budget, 2027, [row(first, unit=second.unit)])
    assert refused.value.expenditure_import.errors[0]["message"] == (
        f"{second.unit.credit_code} is neither the unit nor a participant of subject 1."
    )


def test_missing_required_column_refuses_the_file(budget):
    first, _second = subjects_of(budget)
    with pytest.raises(ImportRefused) as refused:
        import_rows(budget.project.leader, budget, 2027, [row(first)[:-1]], header=HEADER[:-1])
    assert [(error["row"], error["column"]) for error in refused.value.expenditure_import.errors] == [(1, "amount")]


def test_title_lines_above_the_header_are_skipped(budget):
    first, _second = subjects_of(budget)
    upload = csv_upload([HEADER, row(first, amount="66")], header=["某某大学科研项目支出明细表"])
    record = spending_import.expenditure_import(
        actor=budget.project.leader, budget=budget, year=2027, uploaded_file=upload
    )
    assert (record.row_count, record.total) == (1, Decimal("66.00"))


def test_empty_file_is_refused(budget):
    with pytest.raises(ImportRefused) as refused:
        import_rows(budget.project.leader, budget, 2027, [])
    assert refused.value.expenditure_import.errors[0]["message"] == "The file has no rows of spending."


# ---- B4 and B11 ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payee", "payee_id_number"),
    [("课题负责人2", ""), ("王五", "110101198001010001"), (" 课题负责人2 ", "")],
    ids=["by-name", "by-id-number", "by-name-with-spaces"],
)
def test_b4_expert_fee_to_a_team_member_is_refused(budget, payee, payee_id_number):
    """B4 — KRD-FUNDS §18(八): 专家咨询费不得支付给参与本项目及所属课题研究和管理的相关工作人员."""
    first, _second = subjects_of(budget)
    rows = [row(first, "专家咨询费", "800", payee=payee, payee_id_number=payee_id_number)]
    with pytest.raises(ImportRefused) as refused:
        import_rows(budget.project.leader, budget, 2027, rows)
    error = refused.value.expenditure_import.errors[0]
    assert (error["row"], error["column"], error["rule"]) == (2, "收款人", "B4")
    assert "B4 — KRD-FUNDS §18(八)" in error["message"]
    assert not Expenditure.objects.exists()


def test_b4_expert_fee_to_an_outside_expert_and_labour_to_staff_are_accepted(budget):
    first, _second = subjects_of(budget)
    rows = [
        row(first, "专家咨询费", "800", payee="外部专家", payee_id_number="110101197001019999"),
        row(first, "劳务费", "3000", payee="课题负责人2", payee_id_number="110101198001010001"),
    ]
    assert import_rows(budget.project.leader, budget, 2027, rows).row_count == 2


def test_b11_participant_unit_may_not_pass_funds_on(budget):
    """B11 — KRD-FUNDS §29: 课题参与单位不得再向外转拨资金."""
    _first, second = subjects_of(budget)
    participant = OrganisationFactory()
    second.participant_units.add(participant)
    with pytest.raises(ImportRefused) as refused:
        import_rows(budget.project.leader, budget, 2027, [row(second, "外拨", "50000", unit=participant)])
    error = refused.value.expenditure_import.errors[0]
    assert (error["row"], error["column"], error["rule"]) == (2, "科目", "B11")
    assert refused.value.rule == "B11"


def test_b11_subject_unit_transfer_to_its_participant_is_not_spending(budget):
    _first, second = subjects_of(budget)
    participant = OrganisationFactory()
    second.participant_units.add(participant)
    record = import_rows(
        budget.project.leader,
        budget,
        2027,
        [
            row(second, "外拨", "50000"),  # the subject unit passes funds to its participant
            row(second, "材料费", "1000", unit=participant),  # which spends them
        ],
    )
    assert (record.row_count, record.total) == (1, Decimal("1000.00"))
    assert list(Expenditure.objects.values_list("unit_id", "category")) == [(participant.pk, "materials")]


# ---- Who may import -----------------------------------------------------------------------------


def test_subject_unit_admin_imports_only_rows_of_their_unit(budget):
    first, second = subjects_of(budget)
    admin = unit_admin_of(second.unit)
    assert import_rows(admin, budget, 2027, [row(second)]).state == "applied"
    with pytest.raises(ImportRefused) as refused:
        import_rows(admin, budget, 2027, [row(second), row(first)])
    assert refused.value.expenditure_import.errors[0]["message"] == "You may import only the rows of your own unit."


@pytest.mark.parametrize("who", ["other_unit_admin", "agency", "lead_unit_applicant"])
def test_others_may_not_import(budget, who):
    first, _second = subjects_of(budget)
    actor = {
        "other_unit_admin": lambda: unit_admin_of(OrganisationFactory()),
        "agency": lambda: UserFactory(organisation=budget.project.managing_agency, roles=["agency"]),
        "lead_unit_applicant": lambda: UserFactory(organisation=budget.project.lead_unit, roles=["applicant"]),
    }[who]()
    with pytest.raises(PermissionDenied):
        import_rows(actor, budget, 2027, [row(first)])
    assert not ExpenditureImport.objects.exists()


def test_year_outside_the_project_is_refused(budget):
    from django.core.exceptions import ValidationError

    first, _second = subjects_of(budget)
    with pytest.raises(ValidationError):
        import_rows(budget.project.leader, budget, 2031, [row(first, booked_on="2031-01-05")])
    assert not ExpenditureImport.objects.exists()


# ---- Execution rates ----------------------------------------------------------------------------


def test_execution_rates_per_subject_category_and_project(budget):
    first, second = subjects_of(budget)
    import_rows(
        budget.project.leader,
        budget,
        2027,
        [
            row(first, "材料费", "250000"),
            row(first, "材料费", "999", source="自筹"),  # other sources do not count against central funds
            row(second, "劳务费", "500000"),
        ],
    )
    rates = execution.execution_rates(budget)
    materials = next(r for r in rates.subjects[0].rows if r.category == "materials")
    assert (materials.approved, materials.spent, materials.rate) == (
        Decimal("2500000.00"),
        Decimal("250000.00"),
        Decimal("10.0"),
    )
    assert [subject.rate for subject in rates.subjects] == [Decimal("5.0"), Decimal("10.0")]
    assert (rates.approved, rates.spent, rates.rate) == (Decimal("10000000.00"), Decimal("750000.00"), Decimal("7.5"))


# ---- Pages --------------------------------------------------------------------------------------


def test_spending_page_shows_rates_and_the_errors_of_a_refused_import(client, budget):
    first, _second = subjects_of(budget)
    leader = budget.project.leader
    client.force_login(leader)
    good = csv_upload([row(first, amount="250000")])
    response = client.post(reverse("budgets:spending_import", args=[budget.pk]), {"year": 2027, "file": good})
    assert response.status_code == 302
    assert Expenditure.objects.count() == 1
    bad = csv_upload([row(first, booked_on="2026-12-31")])
    response = client.post(
        reverse("budgets:spending_import", args=[budget.pk]), {"year": 2027, "file": bad}, follow=True
    )
    page = response.content.decode()
    assert "2026-12-31 is outside 2027, the year of this import." in page
    assert 'data-testid="import-errors"' in page
    assert "10.0 %" in page  # materials of subject 1: 250 000 of 2 500 000
    assert Expenditure.objects.count() == 1


def test_spending_page_query_count_does_not_grow_with_the_rows(client, budget):
    first, second = subjects_of(budget)
    client.force_login(budget.project.leader)
    url = reverse("budgets:spending", args=[budget.pk])
    import_rows(budget.project.leader, budget, 2027, [row(first)])
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    import_rows(budget.project.leader, budget, 2028, [row(s, booked_on="2028-05-05") for s in (first, second)] * 300)
    with CaptureQueriesContext(connection) as large:
        assert client.get(url).status_code == 200
    assert len(large) == len(small)


def test_other_units_admin_gets_404_on_the_spending_pages(client, budget):
    client.force_login(unit_admin_of(OrganisationFactory()))
    assert client.get(reverse("budgets:spending", args=[budget.pk])).status_code == 404
    response = client.post(reverse("budgets:spending_import", args=[budget.pk]), {"year": 2027})
    assert response.status_code == 404


def test_agency_sees_the_page_without_the_upload_form(client, budget):
    client.force_login(UserFactory(organisation=budget.project.managing_agency, roles=["agency"]))
    response = client.get(reverse("budgets:spending", args=[budget.pk]))
    assert response.status_code == 200
    assert 'data-testid="import-spending"' not in response.content.decode()


# ---- API ----------------------------------------------------------------------------------------


def test_api_import_answers_201_and_lists_the_rows(api_client, budget):
    first, _second = subjects_of(budget)
    api_client.force_authenticate(budget.project.leader)
    response = api_client.post(
        "/api/v1/expenditures/import/",
        {"budget": budget.pk, "year": 2027, "file": csv_upload([row(first, amount="12.30")])},
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    assert (response.json()["state"], response.json()["row_count"], response.json()["total"]) == ("applied", 1, "12.30")
    listed = api_client.get(f"/api/v1/expenditures/?budget={budget.pk}").json()
    assert [(item["subject"], item["category"], item["amount"]) for item in listed["results"]] == [
        (1, "materials", "12.30")
    ]
    assert "payee_id_number" not in listed["results"][0]


def test_api_refused_import_answers_400_with_row_errors(api_client, budget):
    first, _second = subjects_of(budget)
    api_client.force_authenticate(budget.project.leader)
    response = api_client.post(
        "/api/v1/expenditures/import/",
        {
            "budget": budget.pk,
            "year": 2027,
            "file": csv_upload([row(first), row(first, "专家咨询费", payee="课题负责人1")]),
        },
        format="multipart",
    )
    assert response.status_code == 400
    body = response.json()
    assert (body["code"], body["rule"]) == ("import_refused", "B4")
    assert list(body["fields"]) == ["rows.3.收款人"]
    assert body["findings"][0]["row"] == 3
    assert "B4" in body["detail"]
    history = api_client.get(f"/api/v1/expenditure-imports/?budget={budget.pk}").json()["results"]
    assert [item["state"] for item in history] == ["refused"]


def test_a_file_above_the_limit_is_refused_by_the_page_and_the_api_alike(client, api_client, budget, monkeypatch):
    monkeypatch.setattr(finance_files, "MAX_FILE_BYTES", 100)
    first, _second = subjects_of(budget)
    rows = [row(first), row(first)]
    api_client.force_authenticate(budget.project.leader)
    response = api_client.post(
        "/api/v1/expenditures/import/",
        {"budget": budget.pk, "year": 2027, "file": csv_upload(rows)},
        format="multipart",
    )
    assert response.status_code == 400
    assert response.json()["fields"] == {"file": ["The file is larger than 64 MB."]}
    client.force_login(budget.project.leader)
    page = client.post(reverse("budgets:spending_import", args=[budget.pk]), {"year": 2027, "file": csv_upload(rows)})
    assert page.status_code == 400
    assert "The file is larger than 64 MB." in page.content.decode()
    assert not ExpenditureImport.objects.exists()


def test_api_hides_other_budgets(api_client, budget):
    first, _second = subjects_of(budget)
    import_rows(budget.project.leader, budget, 2027, [row(first)])
    outsider = unit_admin_of(OrganisationFactory())
    api_client.force_authenticate(outsider)
    assert api_client.get(f"/api/v1/expenditures/?budget={budget.pk}").json()["count"] == 0
    response = api_client.post(
        "/api/v1/expenditures/import/",
        {"budget": budget.pk, "year": 2027, "file": csv_upload([row(first)])},
        format="multipart",
    )
    assert response.status_code == 404
    assert ExpenditureImport.objects.count() == 1


def test_the_worker_deletes_the_stored_file_of_a_queued_import(budget, django_capture_on_commit_callbacks):
    subject = subjects_of(budget)[0]
    upload = csv_upload([row(subject)], name="财务系统导出.csv")
    with django_capture_on_commit_callbacks(execute=False):
        record = spending_import.expenditure_import_queue(
            actor=lead_admin(budget), budget=budget, year=2027, uploaded_file=upload
        )
    storage, stored_name = record.stored_file.storage, record.stored_file.name
    assert storage.exists(stored_name)
    done = spending_import.expenditure_import_run(record_id=record.pk)
    assert (done.state, done.row_count) == (ExpenditureImport.State.APPLIED, 1)
    assert not storage.exists(stored_name)
