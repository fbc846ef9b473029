"""The budget book as documents: the official PDF tables (合计 / 专项经费 / 自筹经费 in 万元,
category rows, yearly schedule) and the Excel workbook of the same figures in exact yuan."""

from __future__ import annotations

import io
import re
from decimal import Decimal
from types import SimpleNamespace
from urllib.parse import quote

import pytest
from django.db.models import Sum
from django.utils.translation import gettext
from openpyxl import load_workbook
from pypdf import PdfReader

from accounts.tests.factories import UserFactory
from budgets import documents
from budgets.models import BudgetLine, YearPlan
from budgets.rules import EDITIONS
from budgets.services import book
from budgets.tests.builders import approved_budget, call_for
from projects.tests.builders import complete_proposal

ZERO = Decimal("0.00")


def _line(category: str, central="0", other="0", performance_pay="0") -> SimpleNamespace:
    return SimpleNamespace(
        category=category,
        central=Decimal(central),
        other_sources=Decimal(other),
        performance_pay=Decimal(performance_pay),
    )


def _categories(edition: str) -> list[str]:
    return [*EDITIONS[edition].categories, "indirect"]


def _text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _amount(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def _table(sheet, first_row: int) -> dict[str, tuple[Decimal, Decimal, Decimal]]:
    """Label → (合计, 专项经费, 自筹经费) of the amount table starting at ``first_row``, up to the
    first empty row."""
    rows = {}
    for label, total, central, other in sheet.iter_rows(min_row=first_row, max_col=4, values_only=True):
        if label is None:
            break
        rows[label] = (_amount(total), _amount(central), _amount(other))
    return rows


# ---- The rows of the official table (no database) ----------------------------------------------


@pytest.mark.parametrize(
    ("yuan", "shown"),
    [
        ("10000000.00", "1000.00"),
        ("0", "0.00"),
        ("49.99", "0.00"),
        ("50.00", "0.01"),  # half a fen of 万元 rounds up
        ("12345.00", "1.23"),
        ("12350.00", "1.24"),
        ("700000.00", "70.00"),
    ],
)
def test_amounts_are_shown_in_wan_yuan_with_two_decimals(yuan, shown):
    assert documents.wan(Decimal(yuan)) == shown


def test_b1_krd_table_has_equipment_with_its_four_kinds_then_the_other_categories():
    lines = [
        _line("equipment_purchase", "300000", "120000"),
        _line("equipment_rental", "20000"),
        _line("materials", "2500000", "80000"),
        _line("labour", "500000"),
        _line("indirect", "700000", performance_pay="200000"),
    ]

    rows = documents.category_rows(lines, _categories("krd-2016"))

    assert [row.label for row in rows] == [
        "一、直接费用",
        "1、设备费",
        "（1）购置设备费",
        "（2）试制设备费",
        "（3）设备升级改造费",
        "（4）设备租赁费",
        "2、材料费",
        "3、测试化验加工费",
        "4、燃料动力费",
        "5、出版/文献/信息传播/知识产权事务费",
        "6、会议/差旅/国际合作与交流费",
        "7、劳务费",
        "8、专家咨询费",
        "9、其他支出",
        "二、间接费用",
        "其中：绩效支出",
        "合计",
    ]
    by_label = {row.label: row.amounts for row in rows}
    assert by_label["1、设备费"] == documents.Amounts(Decimal(320000), Decimal(120000))
    assert by_label["一、直接费用"] == documents.Amounts(Decimal(3320000), Decimal(200000))
    assert by_label["二、间接费用"].total == Decimal(700000)
    assert by_label["其中：绩效支出"].central == Decimal(200000)
    assert by_label["合计"] == documents.Amounts(Decimal(4020000), Decimal(200000))
    # The rows that hold lines add up to the total: no subtotal is counted twice.
    assert documents.add_up(row.amounts for row in rows if row.is_leaf) == by_label["合计"]


def test_b1_major_table_adds_capital_construction_and_2021_reform_has_three_direct_categories():
    major = documents.category_rows([_line("capital_construction", "900000")], _categories("major-2017"))
    assert "10、基本建设费" in [row.label for row in major]
    assert major[-1].amounts.total == Decimal(900000)

    reform = documents.category_rows([_line("business", "3800000")], _categories("reform-2021"))
    assert [row.label for row in reform if row.level == 1] == ["1、设备费", "2、业务费", "3、劳务费"]


def test_a_line_outside_the_edition_still_has_its_row_and_counts_in_the_total():
    rows = documents.category_rows(
        [_line("materials", "100"), _line("capital_construction", "50")], _categories("krd-2016")
    )
    assert rows[-1].amounts.total == Decimal(150)
    assert "10、基本建设费" in [row.label for row in rows]


def test_b5_sources_split_own_funds_into_their_three_origins():
    lines = [
        SimpleNamespace(central=Decimal(100), local_government=Decimal(5), own=Decimal(7), other_channel=ZERO),
        SimpleNamespace(central=Decimal(50), local_government=ZERO, own=ZERO, other_channel=Decimal(3)),
    ]
    rows = documents.source_rows(lines)
    assert [(row.label, row.amounts.total) for row in rows] == [
        ("一、中央财政专项经费", Decimal(150)),
        ("二、自筹经费", Decimal(15)),
        ("（1）地方财政资金", Decimal(5)),
        ("（2）单位自筹资金", Decimal(7)),
        ("（3）其他渠道资金", Decimal(3)),
        ("合计", Decimal(165)),
    ]


# ---- Documents of stored versions -----------------------------------------------------------------


@pytest.fixture
def draft_budget(db):
    """An application in preparation with own funds, an equipment purchase, two funders'
    commitments and explained lines, on top of the standard 2 × 5 000 000 yuan; one amount
    has fen, which the PDF rounds to 万元 and the workbook keeps."""
    proposal = complete_proposal(call_for("key_rd", "krd-2016"), subjects=2)
    budget = proposal.budget
    version = budget.working_version
    applicant = proposal.applicant
    first, second = proposal.subjects.select_related("unit").order_by("number")
    book.lines_save(
        actor=applicant,
        version=version,
        subject=first,
        unit=first.unit,
        rows={
            "equipment_purchase": {"central": "300000.00", "own": "120000.00"},
            "materials": {"central": "2500000.00", "local_government": "80000.00"},
        },
    )
    book.lines_save(
        actor=applicant,
        version=version,
        subject=second,
        unit=second.unit,
        rows={"other": {"central": "50012.34", "explanation": "样品运输与保险"}},
    )
    book.equipment_item_add(
        actor=applicant,
        version=version,
        subject=first,
        unit=first.unit,
        name="高通量测序仪",
        specification="NovaSeq 6000",
        quantity=1,
        unit_price="420000.00",
        central="300000.00",
        justification="合成基因组的全长测序验证",
    )
    book.income_source_add(
        actor=applicant,
        version=version,
        subject=first,
        unit=first.unit,
        source="own",
        funder="牵头单位",
        amount="120000",
    )
    book.income_source_add(
        actor=applicant,
        version=version,
        subject=first,
        unit=first.unit,
        source="local_government",
        funder="上海市科学技术委员会",
        amount="80000",
    )
    return budget


def test_the_pdf_shows_the_official_tables_of_an_application(draft_budget):
    version = draft_budget.working_version

    text = _text(documents.budget_pdf(version))

    assert draft_budget.proposal.title in text and draft_budget.proposal.lead_unit.name in text
    assert "国家重点研发计划资金管理办法" in text  # the edition's title on the cover
    for term in ("单位：万元", "合计", "专项经费", "自筹经费", "一、直接费用", "二、间接费用", "其中：绩效支出"):
        assert term in text, term
    for category in ("设备费", "购置设备费", "材料费", "测试化验加工费", "劳务费", "其他支出"):
        assert category in text, category
    # Summary: 10 550 012.34 yuan in all, 10 350 012.34 central and 200 000 own funds, in 万元.
    summary = text[text.index("一、直接费用") :]
    assert re.search(r"合计\s*1055\.00\s*1035\.00\s*20\.00", summary), summary[:800]
    assert re.search(r"一、直接费用\s*915\.00\s*895\.00\s*20\.00", summary)
    assert re.search(r"（1）购置设备费\s*42\.00\s*30\.00\s*12\.00", summary)
    assert re.search(r"（1）地方财政资金\s*8\.00\s*0\.00\s*8\.00", summary)
    # Per subject: subject 1 has 530 central + 20 own; subject 2 has 505 central.
    assert re.search(r"合计\s*550\.00\s*530\.00\s*20\.00", text)
    assert re.search(r"合计\s*505\.00\s*505\.00\s*0\.00", text)
    for year in (2027, 2028, 2029, 2030):
        assert f"{year}年" in text
    assert "高通量测序仪" in text and "NovaSeq 6000" in text
    assert "上海市科学技术委员会" in text and "地方财政资金" in text
    assert "博士后 2 名" in text and "样品运输与保险" in text


def test_the_pdf_of_an_approved_budget_totals_both_subjects_and_schedules_the_years(db):
    budget = approved_budget(subjects=2)

    text = _text(documents.budget_pdf(budget.approved_version))

    assert budget.project.title in text and budget.project.number in text
    summary = text[text.index("一、直接费用") :]
    assert re.search(r"合计\s*1000\.00\s*1000\.00\s*0\.00", summary)
    assert re.search(r"二、间接费用\s*140\.00\s*140\.00\s*0\.00", summary)
    assert re.search(r"其中：绩效支出\s*40\.00\s*40\.00\s*0\.00", summary)
    assert re.search(r"2、材料费\s*500\.00\s*500\.00\s*0\.00", summary)
    assert len(re.findall(r"合计\s*500\.00\s*500\.00\s*0\.00", text)) >= 2  # each subject's table
    # 5 000 000 central over 2027–2030 is 125.00 万元 a year per subject, 250.00 in all.
    assert re.search(r"2027年\s*2028年\s*2029年\s*2030年\s*合计", text)
    assert re.search(r"合计\s*250\.00\s*250\.00\s*250\.00\s*250\.00\s*1000\.00", text)


def test_the_workbook_has_the_sheets_and_the_exact_amounts_of_the_lines(draft_budget):
    version = draft_budget.working_version
    lines = BudgetLine.objects.filter(version=version)

    workbook = load_workbook(io.BytesIO(documents.budget_workbook(version)))

    assert workbook.sheetnames == [
        "预算汇总",
        "课题1",
        "课题2",
        "分年度预算",
        "设备购置清单",
        "其他来源资金",
        "测算依据及说明",
    ]
    summary = workbook["预算汇总"]
    assert summary["A2"].value == "科目名称" and summary["B2"].value == "合计（元）"
    assert all(cell.font.bold for cell in summary[2])
    assert summary.freeze_panes == "A3"
    assert summary.column_dimensions["A"].width == 40
    assert summary["B3"].number_format == "#,##0.00"
    table = _table(summary, 3)
    central = lines.aggregate(total=Sum("central"))["total"]
    other = sum((line.other_sources for line in lines), ZERO)
    assert table["合计"] == (central + other, central, other) == (Decimal("10550012.34"), central, Decimal("200000.00"))
    for category, name in (("materials", "材料费"), ("equipment_purchase", "购置设备费"), ("indirect", "间接费用")):
        [row] = [values for label, values in table.items() if label.endswith(name)]
        of_category = [line for line in lines if line.category == category]
        assert row == (
            sum((line.total for line in of_category), ZERO),
            sum((line.central for line in of_category), ZERO),
            sum((line.other_sources for line in of_category), ZERO),
        ), category

    first = draft_budget.proposal.subjects.get(number=1)
    subject_sheet = workbook["课题1"]
    subject_table = _table(subject_sheet, 3)
    first_lines = [line for line in lines if line.subject_id == first.pk]
    assert subject_table["合计"] == (
        sum((line.total for line in first_lines), ZERO),
        sum((line.central for line in first_lines), ZERO),
        Decimal("200000.00"),
    )
    unit_table = _table(subject_sheet, len(subject_table) + 5)  # after a blank row and the unit header
    assert unit_table[first.unit.name] == subject_table["合计"]

    years = workbook["分年度预算"]
    header = [cell.value for cell in years[2]]
    assert header[:2] == ["课题", "单位名称"] and header[2:6] == [
        "2027年（元）",
        "2028年（元）",
        "2029年（元）",
        "2030年（元）",
    ]
    last = [cell.value for cell in years[years.max_row]]
    assert last[0] == "合计"
    assert _amount(last[-1]) == YearPlan.objects.filter(version=version).aggregate(total=Sum("central"))["total"]
    for column, year in enumerate(range(2027, 2031), start=2):
        planned = YearPlan.objects.filter(version=version, year=year).aggregate(total=Sum("central"))["total"]
        assert _amount(last[column]) == planned

    equipment = [row for row in workbook["设备购置清单"].iter_rows(min_row=3, values_only=True)]
    assert equipment[0][2:8] == ("高通量测序仪", "NovaSeq 6000", 1, 420000, 420000, 300000)
    assert equipment[-1][0] == "合计"

    income = list(workbook["其他来源资金"].iter_rows(min_row=3, values_only=True))
    assert {(row[2], row[3], _amount(row[5])) for row in income[:-1]} == {
        ("单位自筹资金", "牵头单位", Decimal("120000.00")),
        ("地方财政资金", "上海市科学技术委员会", Decimal("80000.00")),
    }
    assert _amount(income[-1][5]) == Decimal("200000.00")

    explained = {row[2]: row for row in workbook["测算依据及说明"].iter_rows(min_row=3, values_only=True)}
    assert "博士后" in explained["劳务费"][3] and explained["其他支出"][4] == "样品运输与保险"


# ---- Downloads ---------------------------------------------------------------------------------


def test_the_project_leader_downloads_both_documents_named_after_the_project(client, db):
    budget = approved_budget(subjects=1)
    version = budget.approved_version
    client.force_login(budget.project.leader)

    pdf = client.get(f"/budgets/versions/{version.pk}/pdf/")
    xlsx = client.get(f"/budgets/versions/{version.pk}/xlsx/")

    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    disposition = pdf["Content-Disposition"]
    assert disposition.startswith("attachment; ")
    assert f'filename="budget-{budget.project.number}-v{version.number}.pdf"' in disposition
    assert f"filename*=UTF-8''{quote(budget.project.title)}" in disposition and disposition.endswith(".pdf")
    assert xlsx.status_code == 200
    assert xlsx["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert xlsx["Content-Disposition"].endswith(".xlsx") and quote(budget.project.title) in xlsx["Content-Disposition"]
    assert load_workbook(io.BytesIO(xlsx.content)).sheetnames[:2] == ["预算汇总", "课题1"]


def test_who_may_not_see_the_budget_gets_404_and_anonymous_users_are_sent_to_log_in(client, db):
    budget = approved_budget(subjects=1)
    version = budget.approved_version
    urls = [f"/budgets/versions/{version.pk}/pdf/", f"/budgets/versions/{version.pk}/xlsx/"]

    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]
    for outsider in (
        UserFactory(roles=["applicant"]),
        UserFactory(roles=["unit_admin"]),
        UserFactory(roles=["agency"]),
        UserFactory(roles=["expert"]),
    ):
        client.force_login(outsider)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 404, (outsider.role_codes, url)
            assert b"%PDF" not in response.content and budget.project.title.encode() not in response.content


def test_s8_the_pdf_of_a_secret_project_is_marked_on_every_page(db):
    proposal = complete_proposal(call_for("key_rd", "krd-2016", is_secret=True), subjects=1)

    reader = PdfReader(io.BytesIO(documents.budget_pdf(proposal.budget.working_version)))

    assert len(reader.pages) >= 2
    assert all(gettext("Secret") in page.extract_text() for page in reader.pages)
