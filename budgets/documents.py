"""The budget book as official documents: a PDF in the layout of the budget tables of the
application and task book (合计 / 专项经费 / 自筹经费 columns, category rows, yearly schedule of
the central funds), and an Excel workbook of the same figures.

Both are drawn from one set of tables (``budget_tables``) so they can never disagree. The PDF
shows 万元 with 2 decimals, as the official forms do; the workbook keeps yuan exact to the fen.
Table headings and row names are the fixed terms of the official forms (KRD-FUNDS §18–§19,
MAJOR-FUNDS §18, 国办发〔2021〕32号), so they are Chinese whatever the reader's language.
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from budgets import selectors
from budgets.models import Budget, BudgetLine, BudgetVersion, LineCategory, Source
from budgets.rules import EDITIONS, EQUIPMENT, Category
from core.pdf import render_pdf
from core.selectors import carrier_mark

ZERO = Decimal("0.00")
TEN_THOUSAND = Decimal(10000)
INDIRECT = LineCategory.INDIRECT.value

# The row names of the official budget tables.
OFFICIAL_NAMES: dict[str, str] = {
    Category.EQUIPMENT_PURCHASE: "购置设备费",
    Category.EQUIPMENT_TRIAL: "试制设备费",
    Category.EQUIPMENT_UPGRADE: "设备升级改造费",
    Category.EQUIPMENT_RENTAL: "设备租赁费",
    Category.MATERIALS: "材料费",
    Category.TESTING: "测试化验加工费",
    Category.FUEL_POWER: "燃料动力费",
    Category.PUBLICATION: "出版/文献/信息传播/知识产权事务费",
    Category.MEETING_TRAVEL: "会议/差旅/国际合作与交流费",
    Category.LABOUR: "劳务费",
    Category.EXPERT: "专家咨询费",
    Category.OTHER: "其他支出",
    Category.CAPITAL_CONSTRUCTION: "基本建设费",
    Category.BUSINESS: "业务费",
    INDIRECT: "间接费用",
}
EQUIPMENT_NAME = "设备费"
DIRECT_NAME = "一、直接费用"
INDIRECT_NAME = "二、间接费用"
PERFORMANCE_NAME = "其中：绩效支出"
TOTAL_NAME = "合计"
SUBTOTAL_NAME = "小计"
CENTRAL_NAME = "专项经费"
OTHER_NAME = "自筹经费"
SOURCE_NAMES = {
    Source.CENTRAL: "中央财政专项经费",
    Source.LOCAL_GOVERNMENT: "地方财政资金",
    Source.OWN: "单位自筹资金",
    Source.OTHER_CHANNEL: "其他渠道资金",
}
WAN_UNIT = "单位：万元"


def wan(value: Decimal) -> str:
    """Yuan shown in 万元 with 2 decimals, rounded half up, no thousands separator (as the
    official forms print them)."""
    return f"{(Decimal(value) / TEN_THOUSAND).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):.2f}"


def subject_label(subject) -> str:
    return f"课题{subject.number}"


# ---- The tables --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Amounts:
    """Money of one cell group: central special funds and other sources (自筹 = local
    government + the unit's own + other channels), in yuan."""

    central: Decimal = ZERO
    other: Decimal = ZERO

    @classmethod
    def of_line(cls, line: BudgetLine) -> Amounts:
        return cls(line.central, line.other_sources)

    def __add__(self, other: Amounts) -> Amounts:
        return Amounts(self.central + other.central, self.other + other.other)

    @property
    def total(self) -> Decimal:
        return self.central + self.other

    @property
    def total_wan(self) -> str:
        return wan(self.total)

    @property
    def central_wan(self) -> str:
        return wan(self.central)

    @property
    def other_wan(self) -> str:
        return wan(self.other)


def add_up(amounts: Iterable[Amounts]) -> Amounts:
    result = Amounts()
    for item in amounts:
        result += item
    return result


@dataclass(frozen=True)
class Row:
    """One row of a budget table. ``level`` 0 is a section or the total (bold), 1 a category,
    2 a part of a category (the equipment kinds, performance pay). ``category`` is set on the
    rows that hold lines directly, so that they add up to the total without double counting."""

    label: str
    amounts: Amounts
    level: int = 1
    category: str = ""

    @property
    def is_leaf(self) -> bool:
        return bool(self.category)


def category_rows(lines: Sequence[BudgetLine], categories: Sequence[str]) -> list[Row]:
    """The rows of the official budget table for ``lines``: direct costs by category (equipment
    with its four kinds), their subtotal, indirect costs with performance pay, the total.
    ``categories`` are the edition's; a line of any other category still gets its row."""
    by_category: dict[str, Amounts] = defaultdict(Amounts)
    performance_pay = ZERO
    for line in lines:
        by_category[line.category] += Amounts.of_line(line)
        if line.category == INDIRECT:
            performance_pay += line.performance_pay
    direct = [category for category in categories if category != INDIRECT]
    direct += sorted(category for category in by_category if category not in direct and category != INDIRECT)
    equipment = [category for category in direct if category in EQUIPMENT]

    body: list[Row] = []
    number = 0
    for category in direct:
        if category in EQUIPMENT:
            if category != equipment[0]:
                continue
            number += 1
            body.append(Row(f"{number}、{EQUIPMENT_NAME}", add_up(by_category[kind] for kind in equipment), level=1))
            body += [
                Row(f"（{index}）{OFFICIAL_NAMES[kind]}", by_category[kind], level=2, category=kind)
                for index, kind in enumerate(equipment, start=1)
            ]
            continue
        number += 1
        name = OFFICIAL_NAMES.get(category) or str(LineCategory(category).label)
        body.append(Row(f"{number}、{name}", by_category[category], level=1, category=category))

    direct_amounts = add_up(by_category[category] for category in direct)
    indirect = by_category[INDIRECT]
    return [
        Row(DIRECT_NAME, direct_amounts, level=0),
        *body,
        Row(INDIRECT_NAME, indirect, level=0, category=INDIRECT),
        Row(PERFORMANCE_NAME, Amounts(performance_pay, ZERO), level=2),
        Row(TOTAL_NAME, direct_amounts + indirect, level=0),
    ]


def source_rows(lines: Sequence[BudgetLine]) -> list[Row]:
    """Where the money comes from (B5 — KRD-FUNDS §22(一)): central funds and the three other
    sources that make up 自筹经费."""
    sums = {source: sum((getattr(line, source) for line in lines), ZERO) for source in Source.values}
    other = sums["local_government"] + sums["own"] + sums["other_channel"]
    return [
        Row(f"一、{SOURCE_NAMES[Source.CENTRAL]}", Amounts(sums["central"], ZERO), level=0, category="central"),
        Row(f"二、{OTHER_NAME}", Amounts(ZERO, other), level=0),
        *(
            Row(f"（{index}）{SOURCE_NAMES[source]}", Amounts(ZERO, sums[source]), level=2, category=source)
            for index, source in enumerate((Source.LOCAL_GOVERNMENT, Source.OWN, Source.OTHER_CHANNEL), start=1)
        ),
        Row(TOTAL_NAME, Amounts(sums["central"], other), level=0),
    ]


@dataclass
class SubjectTables:
    subject: object
    label: str
    unit_name: str
    categories: list[Row]
    units: list[Row]

    @property
    def total(self) -> Amounts:
        return self.categories[-1].amounts


@dataclass(frozen=True)
class YearRow:
    subject_label: str
    unit_name: str
    amounts: tuple[Decimal, ...]
    is_subtotal: bool = False

    @property
    def total(self) -> Decimal:
        return sum(self.amounts, ZERO)

    @property
    def cells_wan(self) -> list[str]:
        return [wan(amount) for amount in self.amounts]

    @property
    def total_wan(self) -> str:
        return wan(self.total)


@dataclass
class YearTable:
    years: list[int]
    rows: list[YearRow]
    totals: tuple[Decimal, ...]

    @property
    def total(self) -> Decimal:
        return sum(self.totals, ZERO)

    @property
    def totals_wan(self) -> list[str]:
        return [wan(amount) for amount in self.totals]

    @property
    def total_wan(self) -> str:
        return wan(self.total)


@dataclass(frozen=True)
class EquipmentRow:
    subject_label: str
    unit_name: str
    name: str
    specification: str
    quantity: int
    unit_price: Decimal
    amount: Decimal
    central: Decimal
    justification: str

    @property
    def unit_price_wan(self) -> str:
        return wan(self.unit_price)

    @property
    def amount_wan(self) -> str:
        return wan(self.amount)

    @property
    def central_wan(self) -> str:
        return wan(self.central)


@dataclass(frozen=True)
class IncomeRow:
    subject_label: str
    unit_name: str
    source: str
    funder: str
    form: str
    amount: Decimal

    @property
    def amount_wan(self) -> str:
        return wan(self.amount)


@dataclass(frozen=True)
class ExplanationRow:
    subject_label: str
    unit_name: str
    category: str
    basis: str
    explanation: str
    change_reason: str


@dataclass
class BudgetTables:
    """Everything the documents show of one version."""

    version: BudgetVersion
    title: str
    project_number: str
    lead_unit: str
    program: str
    special_project: str
    edition_title: str
    start_date: object
    end_date: object
    is_secret: bool
    summary: list[Row]
    sources: list[Row]
    subjects: list[SubjectTables]
    years: YearTable
    equipment: list[EquipmentRow] = field(default_factory=list)
    income: list[IncomeRow] = field(default_factory=list)
    explanations: list[ExplanationRow] = field(default_factory=list)

    @property
    def total(self) -> Amounts:
        return self.summary[-1].amounts

    @property
    def version_label(self) -> str:
        return _("v%(number)s %(kind)s (%(state)s)") % {
            "number": self.version.number,
            "kind": self.version.get_kind_display(),
            "state": self.version.get_state_display(),
        }

    @property
    def version_date(self):
        return timezone.localdate(self.version.updated_at)


def _units_of(subject, rows: Iterable) -> list[int]:
    """The subject's units in the order of the forms: the subject unit, the participants, then
    any other unit its ``rows`` name."""
    ordered = list(selectors.subject_unit_ids(subject))
    ordered += sorted({row.unit_id for row in rows if row.unit_id not in ordered})
    return ordered


def _unit_name(units: dict, unit_id: int) -> str:
    unit = units.get(unit_id)
    return unit.name if unit is not None else ""


def _year_table(content: selectors.VersionContent, proposal) -> YearTable:
    years = {row.year for row in content.years}
    if proposal.start_date and proposal.end_date:
        years |= set(range(proposal.start_date.year, proposal.end_date.year + 1))
    ordered_years = sorted(years)
    plans: dict[tuple[int, int, int], Decimal] = defaultdict(Decimal)
    for row in content.years:
        plans[(row.subject_id, row.unit_id, row.year)] += row.central
    rows: list[YearRow] = []
    for subject in content.subjects:
        central_units = {line.unit_id for line in content.lines if line.subject_id == subject.pk and line.central}
        planned = [row for row in content.years if row.subject_id == subject.pk]
        shown = central_units | {row.unit_id for row in planned}
        unit_ids = [unit_id for unit_id in _units_of(subject, planned) if unit_id in shown]
        subject_rows = [
            YearRow(
                subject_label(subject),
                _unit_name(content.units, unit_id),
                tuple(plans[(subject.pk, unit_id, year)] for year in ordered_years),
            )
            for unit_id in unit_ids
        ]
        if len(subject_rows) > 1:
            rows.append(
                YearRow(
                    subject_label(subject),
                    SUBTOTAL_NAME,
                    tuple(sum(column, ZERO) for column in zip(*(row.amounts for row in subject_rows), strict=True)),
                    is_subtotal=True,
                )
            )
        rows += subject_rows
    totals = tuple(sum((plans[key] for key in plans if key[2] == year), ZERO) for year in ordered_years)
    return YearTable(ordered_years, rows, totals)


def budget_tables(version: BudgetVersion) -> BudgetTables:
    """The official tables of ``version``, from its stored content."""
    content = selectors.version_content(version)
    budget = version.budget
    proposal = budget.proposal
    project = budget.project
    call = proposal.call
    edition = EDITIONS[budget.edition]
    categories = [*edition.categories, INDIRECT]
    labels = {subject.pk: subject_label(subject) for subject in content.subjects}
    numbers = {subject.pk: subject.number for subject in content.subjects}

    subjects = []
    for subject in content.subjects:
        lines = [line for line in content.lines if line.subject_id == subject.pk]
        units = [
            Row(
                _unit_name(content.units, unit_id),
                add_up(Amounts.of_line(line) for line in lines if line.unit_id == unit_id),
            )
            for unit_id in _units_of(subject, lines)
            if unit_id in {line.unit_id for line in lines}
        ]
        units.append(Row(TOTAL_NAME, add_up(row.amounts for row in units), level=0))
        subjects.append(
            SubjectTables(
                subject=subject,
                label=labels[subject.pk],
                unit_name=subject.unit.name if subject.unit else "",
                categories=category_rows(lines, categories),
                units=units,
            )
        )

    category_order = {category: index for index, category in enumerate(categories)}
    explained = sorted(
        (line for line in content.lines if line.basis or line.explanation or line.change_reason),
        key=lambda line: (
            numbers.get(line.subject_id, 0),
            line.unit_id,
            category_order.get(line.category, len(category_order)),
        ),
    )
    return BudgetTables(
        version=version,
        title=(project.title if project else proposal.title) or str(proposal),
        project_number=project.number if project else "",
        lead_unit=(project.lead_unit if project else proposal.lead_unit).name,
        program=call.special_project.program.name,
        special_project=call.special_project.name,
        edition_title=edition.title,
        start_date=project.start_date if project else proposal.start_date,
        end_date=project.end_date if project else proposal.end_date,
        is_secret=call.is_secret,
        summary=category_rows(content.lines, categories),
        sources=source_rows(content.lines),
        subjects=subjects,
        years=_year_table(content, proposal),
        equipment=[
            EquipmentRow(
                labels.get(item.subject_id, ""),
                _unit_name(content.units, item.unit_id),
                item.name,
                item.specification,
                item.quantity,
                item.unit_price,
                item.amount,
                item.central,
                item.justification,
            )
            for item in content.equipment
        ],
        income=[
            IncomeRow(
                labels.get(row.subject_id, ""),
                _unit_name(content.units, row.unit_id),
                SOURCE_NAMES.get(row.source, row.source),
                row.funder,
                row.get_form_display(),
                row.amount,
            )
            for row in content.income
        ],
        explanations=[
            ExplanationRow(
                labels.get(line.subject_id, ""),
                _unit_name(content.units, line.unit_id),
                OFFICIAL_NAMES.get(line.category) or str(line.get_category_display()),
                line.basis,
                line.explanation,
                line.change_reason,
            )
            for line in explained
        ],
    )


# ---- PDF ---------------------------------------------------------------------------------------


def budget_mark(version: BudgetVersion, *, is_secret: bool) -> str:
    """S8 — SECRETS-REGS §15: the mark of the book's highest classification in force (its
    proposal, call, project or any subject); "Secret" for a secret call without a decision."""
    return carrier_mark(version.budget) or (str(_("Secret")) if is_secret else "")


def budget_pdf(version: BudgetVersion) -> bytes:
    """The budget book of ``version`` as an official PDF (amounts in 万元)."""
    tables = budget_tables(version)
    return render_pdf(
        "budgets/pdf/budget.html",
        {
            "tables": tables,
            "names": {
                "total": TOTAL_NAME,
                "central": CENTRAL_NAME,
                "other": OTHER_NAME,
                "wan_unit": WAN_UNIT,
                "subtotal": SUBTOTAL_NAME,
            },
        },
        title=_("Budget book"),
        header=f"{tables.project_number} {tables.title}".strip(),
        classification_mark=budget_mark(version, is_secret=tables.is_secret),
    )


# ---- Workbook ----------------------------------------------------------------------------------

MONEY_FORMAT = "#,##0.00"
WORKBOOK_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def budget_workbook(version: BudgetVersion) -> bytes:
    """The same tables as an Excel workbook, amounts in yuan exact to the fen: 预算汇总, one
    sheet per subject, 分年度预算, 设备购置清单, 其他来源资金, 测算依据及说明."""
    from openpyxl import Workbook

    tables = budget_tables(version)
    mark = budget_mark(version, is_secret=tables.is_secret)
    workbook = Workbook()
    summary = workbook.active
    summary.title = "预算汇总"
    money_headings = ["科目名称", f"{TOTAL_NAME}（元）", f"{CENTRAL_NAME}（元）", f"{OTHER_NAME}（元）"]

    _title_row(summary, f"{tables.title} 预算汇总表（{tables.version_label}）", mark=mark)
    _header_row(summary, money_headings)
    _amount_rows(summary, tables.summary)
    summary.append([])
    _header_row(summary, ["资金来源", *money_headings[1:]], freeze=False)
    _amount_rows(summary, tables.sources)
    _widths(summary, [40, 20, 20, 20])

    for subject in tables.subjects:
        sheet = workbook.create_sheet(subject.label)
        _title_row(sheet, f"{subject.label} {subject.subject.title}（{subject.unit_name}）", mark=mark)
        _header_row(sheet, money_headings)
        _amount_rows(sheet, subject.categories)
        sheet.append([])
        _header_row(sheet, ["单位名称", *money_headings[1:]], freeze=False)
        _amount_rows(sheet, subject.units)
        _widths(sheet, [40, 20, 20, 20])

    years = workbook.create_sheet("分年度预算")
    _title_row(years, f"{tables.title} 中央财政专项经费分年度预算", mark=mark)
    _header_row(years, ["课题", "单位名称", *(f"{year}年（元）" for year in tables.years.years), f"{TOTAL_NAME}（元）"])
    for row in tables.years.rows:
        _money_row(years, [row.subject_label, row.unit_name, *row.amounts, row.total], bold=row.is_subtotal)
    _money_row(years, [TOTAL_NAME, "", *tables.years.totals, tables.years.total], bold=True)
    _widths(years, [12, 36, *([16] * (len(tables.years.years) + 1))])

    equipment = workbook.create_sheet("设备购置清单")
    _title_row(equipment, f"{tables.title} 设备购置清单", mark=mark)
    _header_row(
        equipment,
        [
            "课题",
            "单位名称",
            "设备名称",
            "型号规格",
            "数量",
            "单价（元）",
            "金额（元）",
            "其中：专项经费（元）",
            "购置理由",
        ],
    )
    for item in tables.equipment:
        _money_row(
            equipment,
            [
                item.subject_label,
                item.unit_name,
                item.name,
                item.specification,
                item.quantity,
                item.unit_price,
                item.amount,
                item.central,
                item.justification,
            ],
        )
    _money_row(
        equipment,
        [
            TOTAL_NAME,
            "",
            "",
            "",
            "",
            None,
            sum((item.amount for item in tables.equipment), ZERO),
            sum((item.central for item in tables.equipment), ZERO),
            "",
        ],
        bold=True,
    )
    _widths(equipment, [10, 30, 24, 20, 8, 16, 16, 20, 40])

    income = workbook.create_sheet("其他来源资金")
    _title_row(income, f"{tables.title} 其他来源资金", mark=mark)
    _header_row(income, ["课题", "单位名称", "来源", "出资单位", "形式", "承诺金额（元）"])
    for row in tables.income:
        _money_row(income, [row.subject_label, row.unit_name, row.source, row.funder, row.form, row.amount])
    _money_row(income, [TOTAL_NAME, "", "", "", "", sum((row.amount for row in tables.income), ZERO)], bold=True)
    _widths(income, [10, 30, 16, 30, 14, 18])

    explanations = workbook.create_sheet("测算依据及说明")
    _title_row(explanations, f"{tables.title} 测算依据及说明", mark=mark)
    _header_row(explanations, ["课题", "单位名称", "科目", "测算依据", "说明", "调整理由"])
    for row in tables.explanations:
        explanations.append(
            [row.subject_label, row.unit_name, row.category, row.basis, row.explanation, row.change_reason]
        )
    _widths(explanations, [10, 30, 30, 50, 50, 40])

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _title_row(sheet, title: str, *, mark: str = "") -> None:
    """The sheet's title; above it the classification mark when there is one (S8 — SECRETS-REGS
    §15: every sheet of the workbook is a carrier)."""
    from openpyxl.styles import Font

    if mark:
        sheet.append([mark])
        sheet.cell(row=sheet.max_row, column=1).font = Font(bold=True, size=13, color="B00000")
    sheet.append([title])
    sheet.cell(row=sheet.max_row, column=1).font = Font(bold=True, size=13)


def _header_row(sheet, headings: Iterable[str], *, freeze: bool = True) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill

    sheet.append(list(headings))
    row = sheet.max_row
    for cell in sheet[row]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="EEEEEE")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    if freeze:
        sheet.freeze_panes = f"A{row + 1}"  # a coordinate: asking for the cell would create it


def _money_row(sheet, values: list, *, bold: bool = False) -> None:
    """Append ``values``; Decimal cells are numbers with the money format."""
    from openpyxl.styles import Font

    sheet.append(values)
    row = sheet.max_row
    for index, value in enumerate(values, start=1):
        cell = sheet.cell(row=row, column=index)
        if isinstance(value, Decimal):
            cell.number_format = MONEY_FORMAT
        if bold:
            cell.font = Font(bold=True)


def _amount_rows(sheet, rows: Iterable[Row]) -> None:
    from openpyxl.styles import Alignment

    for row in rows:
        _money_row(sheet, [row.label, row.amounts.total, row.amounts.central, row.amounts.other], bold=row.level == 0)
        sheet.cell(row=sheet.max_row, column=1).alignment = Alignment(indent=row.level)


def _widths(sheet, widths: Sequence[int]) -> None:
    from openpyxl.utils import get_column_letter

    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width


def task_book_budget(book) -> dict | None:
    """The approved budget as the task book carries it (KRD-FUNDS §28: 项目任务书（含预算）):
    the project's summary in the project's book, the subject's table in a subject's book.
    None while the budget is not approved."""
    budget = Budget.objects.filter(project_id=book.project_id).select_related("approved_version").first()
    if budget is None or budget.approved_version is None:
        return None
    tables = budget_tables(budget.approved_version)
    rows = tables.summary
    if book.subject_id is not None:
        subject = next((s for s in tables.subjects if s.subject.pk == book.subject_id), None)
        if subject is None:
            return None
        rows = subject.categories
    return {
        "version": budget.approved_version,
        "rows": rows,
        "names": {"total": TOTAL_NAME, "central": CENTRAL_NAME, "other": OTHER_NAME, "wan_unit": WAN_UNIT},
    }
