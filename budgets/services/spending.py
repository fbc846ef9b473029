"""Money actually spent: spending imports from the units' finance systems, execution rates,
the annual final accounts (B7) and the balances at financial acceptance (B9).

A spending file is all or nothing: every row is checked (date inside the year, amount,
category of the budget's edition, subject and unit of the budget, B4 expert fees, B11 no
onward transfers by participants) and one bad row refuses the whole file, which is kept with
its row errors while the data already imported stays as it was. A good file replaces the
year's earlier rows of the units it covers. Files are read as a stream and inserted in
batches, so 50 000 rows take a few seconds and little memory.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import os
import re
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import Role
from accounts.selectors import users_with_role
from budgets import rules
from budgets.models import (
    Balance,
    Budget,
    BudgetLine,
    Expenditure,
    ExpenditureImport,
    FinalAccount,
    FinalAccountLine,
    LineCategory,
    YearPlan,
)
from budgets.services.book import lock_budget
from core import audit
from core.deadlines import services as deadlines
from core.exceptions import RuleViolation, StateConflict
from core.models import Obligation
from core.notifications import notify

ZERO = Decimal("0.00")
BATCH_SIZE = 2000
MAX_REPORTED_ERRORS = 500
MAX_TITLE_LINES = 5  # lines of title (unit, period, printed on…) an export may put above its header
MAX_AMOUNT = Decimal(1000000000000)  # 14 digits with 2 decimals
BALANCE_USE_REPORT = "balance_use_report"
EXPENDITURE_ATTNAMES = tuple(field.attname for field in Expenditure._meta.concrete_fields)


# ---- Who may do what ---------------------------------------------------------------------------


def _is_unit_admin_of(actor, organisation_id: int | None) -> bool:
    return bool(
        actor.is_authenticated
        and organisation_id is not None
        and actor.organisation_id == organisation_id
        and actor.has_role(Role.UNIT_ADMIN.value)
    )


def _subjects(budget: Budget) -> list:
    return list(
        budget.proposal.subjects.select_related("unit").prefetch_related("participant_units").order_by("number")
    )


def import_scope(actor, budget: Budget) -> frozenset[int] | None:
    """The units whose rows ``actor`` may import: None for every unit of the budget (the
    project leader and the lead unit's administrators), the own unit for a subject unit's
    administrator; PermissionDenied for anyone else."""
    project = budget.project
    if project is None or not actor.is_authenticated:
        raise PermissionDenied
    if actor.pk == project.leader_id or _is_unit_admin_of(actor, project.lead_unit_id):
        return None
    if (
        actor.has_role(Role.UNIT_ADMIN.value)
        and actor.organisation_id is not None
        and budget.proposal.subjects.filter(unit_id=actor.organisation_id).exists()
    ):
        return frozenset({actor.organisation_id})
    raise PermissionDenied


def may_import(actor, budget: Budget) -> bool:
    try:
        import_scope(actor, budget)
    except PermissionDenied:
        return False
    return True


def may_compile(actor, budget: Budget) -> bool:
    """The lead unit prepares the final accounts with the project leader (KRD-FUNDS §37)."""
    project = budget.project
    return project is not None and (actor.pk == project.leader_id or _is_unit_admin_of(actor, project.lead_unit_id))


def may_submit(actor, budget: Budget) -> bool:
    """B7 — KRD-FUNDS §37: the lead unit (项目牵头承担单位) sends the final accounts to the agency."""
    project = budget.project
    return project is not None and _is_unit_admin_of(actor, project.lead_unit_id)


def may_settle(actor, budget: Budget) -> bool:
    """B9: the managing agency decides what becomes of a balance."""
    project = budget.project
    return bool(
        project is not None
        and actor.is_authenticated
        and actor.has_role(Role.AGENCY.value)
        and actor.organisation_id == project.managing_agency_id
    )


def may_report_use(actor, balance: Balance) -> bool:
    """The subject unit (课题承担单位) that keeps the balance reports its use."""
    return _is_unit_admin_of(actor, balance.subject.unit_id)


def _lock_budget(budget: Budget) -> Budget:
    """The budget locked (``book.lock_budget``), once it is approved and belongs to a project."""
    locked = lock_budget(budget)
    if locked.project_id is None or locked.approved_version_id is None:
        raise StateConflict(
            _("Spending is recorded once the budget is approved and belongs to a project."), code="budget_not_approved"
        )
    return locked


def project_years(project) -> tuple[int, int]:
    funds_received_on = project.funds_received_on or project.start_date
    return min(project.start_date.year, funds_received_on.year), project.end_date.year


# ---- Reading a finance system's export ----------------------------------------------------------

FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "subject": ("课题编号", "课题号", "课题", "课题序号", "subject", "subjectnumber", "subjectno"),
    "unit_code": ("单位统一社会信用代码", "统一社会信用代码", "信用代码", "unitcreditcode", "creditcode", "unitcode"),
    "unit_name": ("单位名称", "单位", "承担单位", "unit", "unitname"),
    "category": ("科目", "支出科目", "费用科目", "预算科目", "category"),
    "source": ("资金来源", "来源", "经费来源", "source"),
    "booked_on": ("记账日期", "日期", "凭证日期", "业务日期", "bookedon", "date"),
    "voucher": ("凭证号", "凭证编号", "凭证字号", "voucher", "voucherno", "vouchernumber"),
    "description": ("摘要", "说明", "description"),
    "payee": ("收款人", "收款单位", "收款人名称", "payee"),
    "payee_id_number": (
        "收款人证件号",
        "收款人证件号码",
        "收款人身份证号",
        "证件号码",
        "身份证号",
        "payeeidnumber",
        "payeeid",
    ),
    "amount": ("金额", "支出金额", "发生额", "借方金额", "amount"),
}
REQUIRED_FIELDS = ("subject", "category", "booked_on", "amount")
FIELD_LENGTHS = {"voucher": 60, "description": 300, "payee": 200, "payee_id_number": 40}

TRANSFER = "transfer"
CATEGORY_NAMES: dict[str, str] = {
    "设备费": LineCategory.EQUIPMENT_PURCHASE,
    "设备购置费": LineCategory.EQUIPMENT_PURCHASE,
    "设备费-购置": LineCategory.EQUIPMENT_PURCHASE,
    "设备费(购置)": LineCategory.EQUIPMENT_PURCHASE,
    "购置设备费": LineCategory.EQUIPMENT_PURCHASE,
    "设备费-试制": LineCategory.EQUIPMENT_TRIAL,
    "设备费(试制)": LineCategory.EQUIPMENT_TRIAL,
    "试制设备费": LineCategory.EQUIPMENT_TRIAL,
    "设备费-升级改造": LineCategory.EQUIPMENT_UPGRADE,
    "设备费(升级改造)": LineCategory.EQUIPMENT_UPGRADE,
    "设备改造与租赁费": LineCategory.EQUIPMENT_UPGRADE,
    "设备升级改造费": LineCategory.EQUIPMENT_UPGRADE,
    "设备费-租赁": LineCategory.EQUIPMENT_RENTAL,
    "设备费(租赁)": LineCategory.EQUIPMENT_RENTAL,
    "设备租赁费": LineCategory.EQUIPMENT_RENTAL,
    "材料费": LineCategory.MATERIALS,
    "测试化验加工费": LineCategory.TESTING,
    "燃料动力费": LineCategory.FUEL_POWER,
    "出版/文献/信息传播/知识产权事务费": LineCategory.PUBLICATION,
    "出版文献信息传播知识产权事务费": LineCategory.PUBLICATION,
    "出版费": LineCategory.PUBLICATION,
    "知识产权事务费": LineCategory.PUBLICATION,
    "会议/差旅/国际合作交流费": LineCategory.MEETING_TRAVEL,
    "会议差旅国际合作交流费": LineCategory.MEETING_TRAVEL,
    "会议费": LineCategory.MEETING_TRAVEL,
    "差旅费": LineCategory.MEETING_TRAVEL,
    "国际合作交流费": LineCategory.MEETING_TRAVEL,
    "劳务费": LineCategory.LABOUR,
    "专家咨询费": LineCategory.EXPERT,
    "其他支出": LineCategory.OTHER,
    "其他费用": LineCategory.OTHER,
    "其他": LineCategory.OTHER,
    "基本建设费": LineCategory.CAPITAL_CONSTRUCTION,
    "业务费": LineCategory.BUSINESS,
    "间接费用": LineCategory.INDIRECT,
    "绩效支出": LineCategory.INDIRECT,
    "管理费": LineCategory.INDIRECT,
    "外拨": TRANSFER,
    "外拨资金": TRANSFER,
    "外拨经费": TRANSFER,
    "转拨": TRANSFER,
    "转拨资金": TRANSFER,
    "transfer": TRANSFER,
    "outgoingtransfer": TRANSFER,
}
CENTRAL_SOURCES = frozenset(
    {"专项", "专项资金", "专项经费", "中央财政", "中央财政资金", "中央财政专项资金", "中央", "central"}
)
OTHER_SOURCE_NAMES = frozenset(
    {
        "自筹",
        "自筹资金",
        "单位自筹",
        "其他",
        "其他来源",
        "其他渠道",
        "地方财政",
        "地方财政资金",
        "other",
        "own",
        "localgovernment",
        "otherchannel",
    }
)

_SPACES = re.compile(r"[\s\u3000*＊]+")
_PARENTHESES = re.compile(r"[(（][^)）]*[)）]$")
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T].*)?$")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_TRAILING_NUMBER = re.compile(r"(\d+)\s*$")
_EXCEL_EPOCH = dt.date(1899, 12, 30)


def _key(text) -> str:
    """A header or a code as compared: no spaces, no unit suffix like （元）, ASCII
    parentheses and dashes, lower case."""
    value = _SPACES.sub("", str(text or "")).lstrip("\ufeff")
    value = value.replace("（", "(").replace("）", ")").replace("－", "-").replace("—", "-").replace("／", "/")
    if not value.startswith("设备费"):
        value = _PARENTHESES.sub("", value)
    return value.replace("_", "").lower()


HEADER_KEYS = {_key(alias): name for name, aliases in FIELD_ALIASES.items() for alias in aliases}
CATEGORY_KEYS = {
    **{_key(name): code for name, code in CATEGORY_NAMES.items()},
    **{_key(choice.value): choice.value for choice in LineCategory},
}
CENTRAL_KEYS = frozenset(_key(name) for name in CENTRAL_SOURCES)
OTHER_KEYS = frozenset(_key(name) for name in OTHER_SOURCE_NAMES)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _parse_date(value) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and 20000 < value < 80000:  # an Excel serial day number
        return _EXCEL_EPOCH + dt.timedelta(days=int(value))
    text = _text(value)
    match = _DATE.match(text) or _COMPACT_DATE.match(text)
    if match is None:
        return None
    try:
        return dt.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def _parse_amount(value) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, Decimal):
        return value
    text = _text(value).replace(",", "").replace("，", "").replace("¥", "").replace("￥", "").replace(" ", "")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None


class _FileError(Exception):
    pass


def _encoding(handle) -> str:
    """UTF-8 (with or without BOM) when the whole file decodes as such, else GBK (read as its
    superset GB 18030). Decoded chunk by chunk: nothing of the file is kept."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        while chunk := handle.read(1 << 20):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "gb18030"
    finally:
        handle.seek(0)
    return "utf-8-sig"


def _csv_rows(handle) -> Iterator[Sequence]:
    encoding = _encoding(handle)
    text = io.TextIOWrapper(handle, encoding=encoding, newline="")
    try:
        sample = text.read(4096)
        text.seek(0)
        delimiter = "\t" if sample.count("\t") > sample.count(",") else ","
        yield from csv.reader(text, delimiter=delimiter)
    except UnicodeDecodeError as error:
        raise _FileError(_("The file is neither UTF-8 nor GBK text.")) from error
    except csv.Error as error:
        raise _FileError(_("The file is not a readable CSV table: %(error)s") % {"error": error}) from error
    finally:
        text.detach()


def _xlsx_rows(handle) -> Iterator[Sequence]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(handle, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        raise _FileError(_("The Excel file cannot be read: %(error)s") % {"error": error}) from error
    try:
        yield from workbook.worksheets[0].iter_rows(values_only=True)
    finally:
        workbook.close()


def read_table(uploaded_file) -> Iterator[Sequence]:
    """The rows of an uploaded CSV (UTF-8 with or without BOM, or GBK; comma or tab
    separated) or Excel .xlsx file (its first sheet), as sequences of cell values."""
    handle = getattr(uploaded_file, "file", uploaded_file)
    handle.seek(0)
    magic = handle.read(8)
    handle.seek(0)
    if magic.startswith(b"PK\x03\x04"):
        return _xlsx_rows(handle)
    if magic.startswith(b"\xd0\xcf\x11\xe0"):
        raise _FileError(_("Old .xls workbooks are not read: save the file as .xlsx or CSV."))
    return _csv_rows(handle)


# ---- Checking the rows -------------------------------------------------------------------------


@dataclass
class _SubjectFacts:
    pk: int
    number: int
    unit_id: int | None
    participant_ids: frozenset[int]

    @property
    def unit_ids(self) -> frozenset[int]:
        return self.participant_ids | ({self.unit_id} if self.unit_id else set())


@dataclass
class _Lookups:
    """Everything a row is checked against, fetched once before the file is read."""

    project_number: str
    lead_unit_id: int
    subjects: dict[int, _SubjectFacts]
    units_by_code: dict[str, int]
    units_by_name: dict[str, int]
    categories: frozenset[str]
    category_labels: dict[str, str]
    team_names: frozenset[str]
    team_ids: frozenset[str]
    allowed_units: frozenset[int] | None


def _lookups(budget: Budget, allowed_units: frozenset[int] | None) -> _Lookups:
    from projects.models import Person

    subjects = _subjects(budget)
    units = {}
    facts = {}
    for subject in subjects:
        participants = frozenset(unit.pk for unit in subject.participant_units.all())
        facts[subject.number] = _SubjectFacts(subject.pk, subject.number, subject.unit_id, participants)
        if subject.unit is not None:
            units[subject.unit.pk] = subject.unit
        for unit in subject.participant_units.all():
            units[unit.pk] = unit
    people = Person.objects.filter(proposal_id=budget.proposal_id).values_list("name", "id_number")
    edition = budget.edition_rules
    return _Lookups(
        project_number=budget.project.number,
        lead_unit_id=budget.project.lead_unit_id,
        subjects=facts,
        units_by_code={unit.credit_code.upper(): unit.pk for unit in units.values()},
        units_by_name={_key(unit.name): unit.pk for unit in units.values()},
        categories=frozenset(str(category) for category in edition.categories) | {LineCategory.INDIRECT.value},
        category_labels={choice.value: str(choice.label) for choice in LineCategory},
        team_names=frozenset(name.strip() for name, _id in people if name.strip()),
        team_ids=frozenset(id_number.strip().upper() for _name, id_number in people if id_number.strip()),
        allowed_units=allowed_units,
    )


@dataclass
class _Result:
    rows: int = 0
    total: Decimal = ZERO
    transfers: int = 0
    unit_ids: set[int] = field(default_factory=set)
    errors: list[dict] = field(default_factory=list)
    error_count: int = 0

    def error(self, row: int | None, column: str, message: str, rule: str = "") -> None:
        self.error_count += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append({"row": row, "column": column, "message": message, "rule": rule})


class _RowReader:
    """Checks one row after another against the lookups and turns the good ones into
    ``Expenditure`` objects (not saved)."""

    def __init__(self, lookups: _Lookups, *, budget: Budget, year: int, record: ExpenditureImport):
        self.lookups = lookups
        self.budget_id = budget.pk
        self.year = year
        self.record = record
        self.columns: dict[str, int] = {}
        self.headers: dict[str, str] = {}
        # The few distinct categories, sources and unit names of a file, normalised once.
        self._categories: dict[str, str | None] = {}
        self._sources: dict[str, str] = {}
        self._units: dict[str, int | None] = {}

    def read_header(self, number: int, row: Sequence, result: _Result, *, may_be_title: bool) -> bool | None:
        """Take ``row`` as the header: True when it names every required column; None when
        it is a title line above the table (few known names, ``may_be_title``); else False,
        after reporting the missing columns."""
        columns: dict[str, int] = {}
        headers: dict[str, str] = {}
        for index, cell in enumerate(row):
            name = HEADER_KEYS.get(_key(cell))
            if name and name not in columns:
                columns[name] = index
                headers[name] = _text(cell)
        missing = [name for name in REQUIRED_FIELDS if name not in columns]
        if "unit_code" not in columns and "unit_name" not in columns:
            missing.insert(1, "unit")
        if not missing:
            self.columns, self.headers = columns, headers
            return True
        if may_be_title and len(columns) < 2:
            return None
        for name in missing:
            result.error(
                number,
                name,
                _("Column %(column)s is missing (expected one of: %(names)s).")
                % {
                    "column": name,
                    "names": "、".join(
                        FIELD_ALIASES.get(name, FIELD_ALIASES["unit_code"] + FIELD_ALIASES["unit_name"])[:3]
                    ),
                },
            )
        return False

    def _cell(self, row: Sequence, name: str):
        index = self.columns.get(name)
        if index is None or index >= len(row):
            return None
        return row[index]

    def _category(self, text: str) -> str | None:
        try:
            return self._categories[text]
        except KeyError:
            category = self._categories[text] = CATEGORY_KEYS.get(_key(text))
            return category

    def _unit(self, code: str, name: str) -> int | None:
        if code:
            return self.lookups.units_by_code.get(code)
        if not name:
            return None
        try:
            return self._units[name]
        except KeyError:
            unit_id = self._units[name] = self.lookups.units_by_name.get(_key(name))
            return unit_id

    def check(self, number: int, row: Sequence, result: _Result) -> Expenditure | None:
        """The row's expenditure, or None after recording its errors (or for a transfer)."""
        lookups = self.lookups
        cell = self._cell
        headers = self.headers
        errors_before = result.error_count

        category_text = _text(cell(row, "category"))
        category = self._category(category_text)
        is_transfer = category == TRANSFER

        subject_text = _text(cell(row, "subject"))
        number_text = subject_text
        number_text = number_text.removeprefix(lookups.project_number)
        match = _TRAILING_NUMBER.search(number_text)
        subject = lookups.subjects.get(int(match[1])) if match is not None else None
        if subject is None:
            result.error(
                number,
                headers["subject"],
                _("%(value)s is not a subject of this project.") % {"value": subject_text or "—"},
            )

        code = _text(cell(row, "unit_code")).upper()
        name = _text(cell(row, "unit_name"))
        unit_id = self._unit(code, name)
        unit_column = headers.get("unit_code" if code or "unit_name" not in headers else "unit_name", "unit")
        if unit_id is None:
            result.error(
                number, unit_column, _("%(value)s is not a unit of this project.") % {"value": code or name or "—"}
            )
        elif lookups.allowed_units is not None and unit_id not in lookups.allowed_units:
            result.error(number, unit_column, _("You may import only the rows of your own unit."))
        elif (
            subject is not None
            and unit_id not in subject.unit_ids
            and not (is_transfer and unit_id == lookups.lead_unit_id)
        ):
            result.error(
                number,
                unit_column,
                _("%(value)s is neither the unit nor a participant of subject %(subject)s.")
                % {"value": code or name, "subject": subject.number},
            )

        if is_transfer:
            # B11 — KRD-FUNDS §29: the lead unit passes funds to the subject units, a subject
            # unit to its participants; a participant passes nothing on. Transfers are not
            # spending: the receiving unit books what it spends.
            if (
                subject is not None
                and unit_id is not None
                and unit_id != subject.unit_id
                and unit_id != lookups.lead_unit_id
            ):
                result.error(
                    number,
                    headers["category"],
                    _(
                        "B11 — KRD-FUNDS §29: a participant unit may not pass the funds on to another unit "
                        "(课题参与单位不得再向外转拨资金)."
                    ),
                    "B11",
                )
            if result.error_count == errors_before:
                result.transfers += 1
            return None
        if category is None:
            result.error(
                number, headers["category"], _("%(value)s is not a budget category.") % {"value": category_text or "—"}
            )
        elif category not in lookups.categories:
            result.error(
                number,
                headers["category"],
                _("B1: %(category)s is not a category of this budget's funds rules.")
                % {"category": lookups.category_labels.get(category, category)},
                "B1",
            )

        source_text = _text(cell(row, "source"))
        source = self._sources.get(source_text)
        if source is None:
            source = self._sources[source_text] = _key(source_text)
        is_central = source not in OTHER_KEYS
        if source and is_central and source not in CENTRAL_KEYS:
            result.error(
                number,
                headers["source"],
                _("%(value)s: the source is 专项 (central special funds) or 自筹 (other sources).")
                % {"value": source_text},
            )

        booked_on = _parse_date(cell(row, "booked_on"))
        if booked_on is None:
            result.error(
                number,
                headers["booked_on"],
                _("%(value)s is not a date (YYYY-MM-DD).") % {"value": _text(cell(row, "booked_on")) or "—"},
            )
        elif booked_on.year != self.year:
            result.error(
                number,
                headers["booked_on"],
                _("%(date)s is outside %(year)s, the year of this import.")
                % {"date": booked_on.isoformat(), "year": self.year},
            )

        amount = _parse_amount(cell(row, "amount"))
        if amount is None:
            result.error(
                number,
                headers["amount"],
                _("%(value)s is not an amount.") % {"value": _text(cell(row, "amount")) or "—"},
            )
        elif amount <= 0:
            result.error(number, headers["amount"], _("The amount must be more than zero."))
        elif amount >= MAX_AMOUNT:
            result.error(number, headers["amount"], _("The amount is too large."))
        elif amount != amount.quantize(rules.CENT):
            result.error(number, headers["amount"], _("The amount is in yuan with at most 2 decimals."))

        texts = {}
        for name, length in FIELD_LENGTHS.items():
            value = _text(cell(row, name))
            if len(value) > length:
                result.error(number, headers[name], _("At most %(length)d characters.") % {"length": length})
            texts[name] = value

        if category == LineCategory.EXPERT and (
            texts["payee"] in lookups.team_names or texts["payee_id_number"].upper() in lookups.team_ids
        ):
            result.error(
                number,
                headers.get("payee", headers.get("payee_id_number", "payee")),
                _(
                    "B4 — KRD-FUNDS §18(八): expert consultation fees are never paid to the project's own staff "
                    "(%(payee)s is on the project team)."
                )
                % {"payee": texts["payee"] or texts["payee_id_number"]},
                "B4",
            )

        if result.error_count != errors_before:
            return None
        amount = amount.quantize(rules.CENT)
        result.total += amount
        result.unit_ids.add(unit_id)
        values = {
            "id": None,
            "budget_id": self.budget_id,
            "source_import_id": self.record.pk,
            "subject_id": subject.pk,
            "unit_id": unit_id,
            "category": category,
            "is_central": is_central,
            "year": self.year,
            "booked_on": booked_on,
            "amount": amount,
            **texts,
        }
        # Positional arguments take Django's fast path: half the time of keywords, 50 000 times.
        return Expenditure(*[values[name] for name in EXPENDITURE_ATTNAMES])


def _load(reader: _RowReader, uploaded_file, result: _Result, progress=None) -> None:
    """Read the file; while it has no error, insert its rows in batches."""
    batch: list[Expenditure] = []
    header_seen = False
    lines_before_header = 0
    try:
        for number, row in enumerate(read_table(uploaded_file), start=1):
            if not any(_text(cell) for cell in row):
                continue
            if not header_seen:
                lines_before_header += 1
                found = reader.read_header(number, row, result, may_be_title=lines_before_header < MAX_TITLE_LINES)
                if found is False:
                    return
                header_seen = bool(found)
                continue
            result.rows += 1
            if progress is not None and result.rows % PROGRESS_EVERY == 0:
                progress(result.rows)
            expenditure = reader.check(number, row, result)
            if expenditure is not None and not result.error_count:
                batch.append(expenditure)
                if len(batch) >= BATCH_SIZE:
                    Expenditure.objects.bulk_create(batch, batch_size=BATCH_SIZE)
                    batch = []
            elif result.error_count:
                batch = []
    except _FileError as error:
        result.error(None, "", str(error))
        return
    if not header_seen:
        result.error(None, "", _("No header row with the columns of a spending file was found."))
        return
    if not result.rows:
        result.error(None, "", _("The file has no rows of spending."))
        return
    if batch and not result.error_count:
        Expenditure.objects.bulk_create(batch, batch_size=BATCH_SIZE)


class ImportRefused(RuleViolation):
    """A spending file with at least one bad row: nothing of it was imported. The refused
    import is kept, with its errors, in ``expenditure_import``."""

    def __init__(self, record: ExpenditureImport):
        errors = record.errors
        rules_named = sorted({error["rule"] for error in errors if error.get("rule")})
        first = errors[0] if errors else {"row": None, "column": "", "message": ""}
        where = _("row %(row)s, %(column)s: ") % first if first.get("row") else ""
        message = _("Nothing was imported: %(count)d errors in %(file)s. First: %(first)s") % {
            "count": import_error_count(record),
            "file": record.file_name,
            "first": f"{where}{first['message']}",
        }
        fields: dict[str, list[str]] = defaultdict(list)
        errors = [error for error in errors if not error.get("more")]
        for error in errors:
            key = f"rows.{error['row']}.{error['column']}" if error.get("row") else "file"
            fields[key].append(error["message"])
        super().__init__(
            rules_named[0] if len(rules_named) == 1 else "B-spending",
            message,
            fields=dict(fields),
            code="import_refused",
            findings=[
                {
                    "rule": error.get("rule", ""),
                    "code": "row_error",
                    "message": error["message"],
                    "item": _("row %(row)s, %(column)s") % error if error.get("row") else "",
                    "row": error.get("row"),
                    "column": error.get("column", ""),
                }
                for error in errors
            ],
        )
        self.expenditure_import = record


def import_error_count(record: ExpenditureImport) -> int:
    """The number of errors a refused import had (its list keeps the first ``MAX_REPORTED_ERRORS``
    and then says how many more)."""
    extra = sum(error.get("more", 0) for error in record.errors)
    return len(record.errors) + extra - (1 if extra else 0)


# Files above this size are imported by the worker, with progress shown on the page.
BACKGROUND_IMPORT_BYTES = 256 * 1024
PROGRESS_EVERY = BATCH_SIZE


def progress_key(record_id: int) -> str:
    return f"budgets:expenditure-import:{record_id}:rows"


def import_progress(record: ExpenditureImport) -> int:
    """Rows read so far by the worker (kept in the shared cache, outside the import's transaction)."""
    from django.core.cache import cache

    return cache.get(progress_key(record.pk), 0)


def _check_import(actor, budget: Budget, year: int) -> tuple[Budget, frozenset[int] | None]:
    budget = _lock_budget(budget)
    allowed_units = import_scope(actor, budget)
    first_year, last_year = project_years(budget.project)
    if not first_year <= year <= last_year:
        raise ValidationError(
            {"year": [_("The project runs from %(first)d to %(last)d.") % {"first": first_year, "last": last_year}]}
        )
    return budget, allowed_units


def expenditure_import_queue(*, actor, budget: Budget, year: int, uploaded_file) -> ExpenditureImport:
    """Keep a large spending file and hand it to the worker; the page follows its progress.
    The same checks and the same all-or-nothing import run there (``expenditure_import``)."""
    from budgets import tasks

    file_name = os.path.basename(getattr(uploaded_file, "name", "") or "upload")[:255]
    with transaction.atomic():
        budget, _allowed = _check_import(actor, budget, year)
        record = ExpenditureImport(
            budget=budget, year=year, file_name=file_name, state=ExpenditureImport.State.QUEUED, imported_by=actor
        )
        record.stored_file.save(
            f"{uuid.uuid4().hex}{os.path.splitext(file_name)[1].lower()}", uploaded_file, save=False
        )
        record.save()
        audit.record(
            actor=actor,
            action="expenditure.import_queued",
            target=budget,
            rule="B-spending",
            changes={"import": [None, record.pk], "file": [None, file_name], "year": [None, year]},
        )
        transaction.on_commit(lambda: tasks.run_expenditure_import.delay(record.pk))
    return record


def expenditure_import_run(*, record_id: int) -> ExpenditureImport | None:
    """The worker's part of a queued import: idempotent (a finished import is left alone; one
    whose worker died while running is run again — its rows were rolled back with it)."""
    record = (
        ExpenditureImport.objects.select_related("budget", "imported_by")
        .filter(pk=record_id, state__in=[ExpenditureImport.State.QUEUED, ExpenditureImport.State.RUNNING])
        .first()
    )
    if record is None:
        return None
    ExpenditureImport.objects.filter(pk=record.pk).update(state=ExpenditureImport.State.RUNNING)
    try:
        with record.stored_file.open("rb") as handle:
            handle.name = record.file_name
            return expenditure_import(
                actor=record.imported_by, budget=record.budget, year=record.year, uploaded_file=handle, record=record
            )
    except ImportRefused as refused:
        return refused.expenditure_import
    except (PermissionDenied, ValidationError, RuleViolation, StateConflict, OSError) as error:
        # Refused before any row was read (the budget changed, the user lost the right, the
        # stored file is gone): the import ends refused with the reason, rather than running.
        message = getattr(error, "message", None) or "; ".join(getattr(error, "messages", [str(error)]))
        ExpenditureImport.objects.filter(pk=record.pk).update(
            state=ExpenditureImport.State.REFUSED, errors=[{"row": None, "column": "", "message": message, "rule": ""}]
        )
        return ExpenditureImport.objects.get(pk=record.pk)
    finally:
        record.stored_file.delete(save=False)
        ExpenditureImport.objects.filter(pk=record.pk).update(stored_file="")


def expenditure_import(
    *, actor, budget: Budget, year: int, uploaded_file, record: ExpenditureImport | None = None
) -> ExpenditureImport:
    """Import a year of spending from a unit's finance system export: all rows or none.

    The project leader and the lead unit's administrators import rows of every unit; a
    subject unit's administrator only rows of their unit. Each row must fall inside the year,
    carry a positive amount in yuan (2 decimals), a category of the budget's edition (B1) or
    indirect costs, and a subject and unit of the budget. Expert fees paid to the project's
    own staff are refused (B4 — KRD-FUNDS §18(八)); so is an outgoing transfer booked by a
    participant unit (B11 — KRD-FUNDS §29); transfers by the lead or a subject unit are not
    spending and are skipped. A refused file is kept with its errors and raises
    ``ImportRefused``; a good one replaces the year's earlier rows of the units it covers.
    """
    file_name = os.path.basename(getattr(uploaded_file, "name", "") or "upload")[:255]
    with transaction.atomic():
        budget, allowed_units = _check_import(actor, budget, year)
        if record is None:
            record = ExpenditureImport.objects.create(
                budget=budget, year=year, file_name=file_name, state=ExpenditureImport.State.APPLIED, imported_by=actor
            )
        else:
            record.state = ExpenditureImport.State.APPLIED
            record.save(update_fields=["state"])
        reader = _RowReader(_lookups(budget, allowed_units), budget=budget, year=year, record=record)
        result = _Result()
        replaced = 0
        try:
            with transaction.atomic():  # the rows of a refused file are rolled back with this savepoint
                _load(reader, uploaded_file, result, progress=_progress_writer(record))
                if result.error_count:
                    raise _Rollback
                replaced, _detail = (
                    Expenditure.objects.filter(budget=budget, year=year, unit_id__in=result.unit_ids)
                    .exclude(source_import=record)
                    .delete()
                )
        except _Rollback:
            errors = list(result.errors)
            if result.error_count > len(errors):
                errors.append(
                    {
                        "row": None,
                        "column": "",
                        "message": _("… and %(more)d more errors.") % {"more": result.error_count - len(errors)},
                        "rule": "",
                        "more": result.error_count - len(errors),
                    }
                )
            record.state = ExpenditureImport.State.REFUSED
            record.row_count = result.rows
            record.errors = errors
            record.save(update_fields=["state", "row_count", "errors"])
            audit.record(
                actor=actor,
                action="expenditure.import_refused",
                target=budget,
                rule="B-spending",
                changes={
                    "import": [None, record.pk],
                    "file": [None, file_name],
                    "year": [None, year],
                    "rows": [None, result.rows],
                    "errors": [None, result.error_count],
                },
            )
        else:
            record.row_count = result.rows - result.transfers
            record.total = result.total
            record.save(update_fields=["row_count", "total"])
            audit.record(
                actor=actor,
                action="expenditure.import",
                target=budget,
                rule="B-spending",
                changes={
                    "import": [None, record.pk],
                    "file": [None, file_name],
                    "year": [None, year],
                    "rows": [None, record.row_count],
                    "total": [None, result.total],
                    "transfers_skipped": [None, result.transfers],
                    "rows_replaced": [None, replaced],
                },
            )
    if record.state == ExpenditureImport.State.REFUSED:
        raise ImportRefused(record)
    return record


class _Rollback(Exception):
    pass


def _progress_writer(record: ExpenditureImport):
    from django.core.cache import cache

    key = progress_key(record.pk)
    return lambda rows: cache.set(key, rows, timeout=3600)


# ---- Execution rates ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RateRow:
    category: str
    label: str
    approved: Decimal
    spent: Decimal

    @property
    def rate(self) -> Decimal | None:
        return rules.execution_rate(spent=self.spent, approved=self.approved)


@dataclass(frozen=True)
class SubjectRates:
    subject: object
    rows: list[RateRow]

    @property
    def approved(self) -> Decimal:
        return sum((row.approved for row in self.rows), ZERO)

    @property
    def spent(self) -> Decimal:
        return sum((row.spent for row in self.rows), ZERO)

    @property
    def rate(self) -> Decimal | None:
        return rules.execution_rate(spent=self.spent, approved=self.approved)


@dataclass(frozen=True)
class ExecutionRates:
    subjects: list[SubjectRates]

    @property
    def approved(self) -> Decimal:
        return sum((subject.approved for subject in self.subjects), ZERO)

    @property
    def spent(self) -> Decimal:
        return sum((subject.spent for subject in self.subjects), ZERO)

    @property
    def rate(self) -> Decimal | None:
        return rules.execution_rate(spent=self.spent, approved=self.approved)


def _category_order(budget: Budget) -> dict[str, int]:
    order = [str(category) for category in budget.edition_rules.categories] + [LineCategory.INDIRECT.value]
    return {category: index for index, category in enumerate(order)}


def _approved_central(budget: Budget) -> dict[tuple[int, str], Decimal]:
    if budget.approved_version_id is None:
        return {}
    rows = (
        BudgetLine.objects.filter(version_id=budget.approved_version_id)
        .values("subject_id", "category")
        .annotate(total=Sum("central"))
    )
    return {(row["subject_id"], row["category"]): row["total"] for row in rows}


def _spent_central(budget: Budget, *, years: tuple[int | None, int | None] = (None, None)) -> dict:
    spending = Expenditure.objects.filter(budget_id=budget.pk, is_central=True)
    first, last = years
    if first is not None:
        spending = spending.filter(year__gte=first)
    if last is not None:
        spending = spending.filter(year__lte=last)
    rows = spending.values("subject_id", "category").annotate(total=Sum("amount"))
    return {(row["subject_id"], row["category"]): row["total"] for row in rows}


def execution_rates(budget: Budget) -> ExecutionRates:
    """执行率: central funds spent to date against the approved central funds, per subject and
    category, per subject and for the project (three queries whatever the spending)."""
    approved = _approved_central(budget)
    spent = _spent_central(budget)
    order = _category_order(budget)
    labels = {choice.value: str(choice.label) for choice in LineCategory}
    subjects = []
    for subject in budget.proposal.subjects.select_related("unit").order_by("number"):
        categories = {category for subject_id, category in (*approved, *spent) if subject_id == subject.pk}
        rows = [
            RateRow(
                category=category,
                label=labels.get(category, category),
                approved=approved.get((subject.pk, category), ZERO),
                spent=spent.get((subject.pk, category), ZERO),
            )
            for category in sorted(categories, key=lambda c: order.get(c, len(order)))
        ]
        subjects.append(SubjectRates(subject=subject, rows=rows))
    return ExecutionRates(subjects=subjects)


# ---- Annual final accounts (B7 — KRD-FUNDS §37) ------------------------------------------------


def accounts_period_start(project, year: int) -> int:
    """The first year a year's final accounts cover: the year itself, or earlier when the
    accounts of the years before were not due (B7 — KRD-FUNDS §37: funds under three months
    old at the year end are reported in the next year's accounts)."""
    from projects import rules as project_rules

    funds_received_on = project.funds_received_on or project.start_date
    first_year, _last = project_years(project)
    start = year
    while start - 1 >= first_year and not project_rules.final_accounts_required(
        funds_received_on=funds_received_on, end_date=project.end_date, accounts_year=start - 1
    ):
        start -= 1
    return start


@dataclass(frozen=True)
class CarryOver:
    """The central funds of one subject in a final account's period (结转)."""

    subject: object
    carried_in: Decimal
    received: Decimal
    spent: Decimal

    @property
    def carried_out(self) -> Decimal:
        return self.carried_in + self.received - self.spent


def final_account_carry_over(final_account: FinalAccount) -> list[CarryOver]:
    """Per subject: carried in from earlier years (received − spent before the period),
    received in the period (the yearly plan of the approved budget), spent in the period,
    and carried out into the next year."""
    budget = final_account.budget
    start = accounts_period_start(budget.project, final_account.year)
    received = defaultdict(lambda: [ZERO, ZERO])
    for row in (
        YearPlan.objects.filter(version_id=budget.approved_version_id, year__lte=final_account.year)
        .values("subject_id")
        .annotate(before=Sum("central", filter=Q(year__lt=start)), within=Sum("central", filter=Q(year__gte=start)))
    ):
        received[row["subject_id"]] = [row["before"] or ZERO, row["within"] or ZERO]
    spent = defaultdict(lambda: [ZERO, ZERO])
    for row in (
        Expenditure.objects.filter(budget_id=budget.pk, is_central=True, year__lte=final_account.year)
        .values("subject_id")
        .annotate(before=Sum("amount", filter=Q(year__lt=start)), within=Sum("amount", filter=Q(year__gte=start)))
    ):
        spent[row["subject_id"]] = [row["before"] or ZERO, row["within"] or ZERO]
    return [
        CarryOver(
            subject=subject,
            carried_in=received[subject.pk][0] - spent[subject.pk][0],
            received=received[subject.pk][1],
            spent=spent[subject.pk][1],
        )
        for subject in budget.proposal.subjects.order_by("number")
    ]


def _exemption(project, year: int) -> str:
    """Why the year's final accounts are not due, or "" when they are (B7 — KRD-FUNDS §37)."""
    from projects import rules as project_rules

    funds_received_on = project.funds_received_on or project.start_date
    if project_rules.final_accounts_required(
        funds_received_on=funds_received_on, end_date=project.end_date, accounts_year=year
    ):
        return ""
    if funds_received_on.year > year:
        return _(
            "B7 — KRD-FUNDS §37: the central funds were received on %(date)s, after %(year)d; the spending of "
            "%(year)d is reported in the %(next)d final accounts."
        ) % {"date": funds_received_on.isoformat(), "year": year, "next": year + 1}
    return _(
        "B7 — KRD-FUNDS §37: the central funds were received on %(date)s, less than three months before the end of "
        "%(year)d; the spending of %(year)d is reported in the %(next)d final accounts."
    ) % {"date": funds_received_on.isoformat(), "year": year, "next": year + 1}


@transaction.atomic
def final_account_compile(*, actor, budget: Budget, year: int) -> FinalAccount:
    """Compile (or compile again) a year's final accounts from the approved budget and the
    imported spending: per subject and category the approved central funds, the central funds
    spent in the year (and in earlier years whose accounts were not due) and spent to date.
    A year whose funds were under three months old at its end is marked exempt (B7 —
    KRD-FUNDS §37). A submitted account is not compiled again."""
    budget = _lock_budget(budget)
    if not may_compile(actor, budget):
        raise PermissionDenied
    project = budget.project
    first_year, last_year = project_years(project)
    if not first_year <= year <= last_year:
        raise RuleViolation(
            "B7",
            _(
                "B7 — KRD-FUNDS §37: final accounts are compiled for the years of the project (%(first)d–%(last)d); "
                "after it ends its money is settled at the financial acceptance."
            )
            % {"first": first_year, "last": last_year},
            fields={"year": [_("Choose a year of the project.")]},
            code="year_outside_project",
        )
    account, created = FinalAccount.objects.select_for_update().get_or_create(budget=budget, year=year)
    if account.state == FinalAccount.State.SUBMITTED:
        raise StateConflict(
            _("The %(year)d final accounts are already submitted.") % {"year": year}, code="final_account_submitted"
        )
    before = account.state
    account.lines.all().delete()
    exemption = _exemption(project, year)
    if exemption:
        account.state = FinalAccount.State.EXEMPT
        account.explanation = exemption
        account.save()
        audit.record(
            actor=actor,
            action="final_account.compile",
            target=account,
            rule="B7",
            changes={"state": [None if created else before, account.state], "explanation": [None, exemption]},
        )
        return account
    start = accounts_period_start(project, year)
    approved = _approved_central(budget)
    in_period = _spent_central(budget, years=(start, year))
    to_date = _spent_central(budget, years=(None, year))
    order = _category_order(budget)
    keys = sorted(set(approved) | set(to_date), key=lambda key: (key[0], order.get(key[1], len(order)), key[1]))
    account.state = FinalAccount.State.DRAFT
    if before == FinalAccount.State.EXEMPT:
        account.explanation = ""
    account.save()
    lines = FinalAccountLine.objects.bulk_create(
        FinalAccountLine(
            final_account=account,
            subject_id=subject_id,
            category=category,
            approved=approved.get((subject_id, category), ZERO),
            spent_in_year=in_period.get((subject_id, category), ZERO),
            spent_to_date=to_date.get((subject_id, category), ZERO),
        )
        for subject_id, category in keys
    )
    audit.record(
        actor=actor,
        action="final_account.compile",
        target=account,
        rule="B7",
        changes={
            "state": [None if created else before, account.state],
            "lines": [None, len(lines)],
            "period": [None, f"{start}–{year}" if start != year else str(year)],
            "spent_in_year": [None, sum((line.spent_in_year for line in lines), ZERO)],
        },
    )
    return account


def _final_accounts_obligation(project, year: int) -> Obligation:
    """The project's B7 obligation for the year, made now when the sweep has not made it
    (an account filed early, or late) so the record says it was met."""
    from projects import rules as project_rules

    obligation, _created = deadlines.obligation_ensure(
        target=project,
        kind="final_accounts",
        period=str(year),
        due_at=deadlines.due_on(project_rules.final_accounts_due_date(year)),
        title=_("%(year)d final accounts of %(project)s") % {"year": year, "project": project},
        responsible_users=[project.leader],
        responsible_role=Role.UNIT_ADMIN.value,
        responsible_organisation=project.lead_unit,
        escalation_role=Role.AGENCY.value,
        escalation_organisation=project.managing_agency,
        managing_organisation=project.managing_agency,
        link=reverse("core:deadlines"),
    )
    return obligation


@transaction.atomic
def final_account_submit(*, actor, final_account: FinalAccount, explanation: str = "") -> FinalAccount:
    """The lead unit's administrator sends the year's final accounts to the agency, after the
    year has ended and by 20 April of the next (B7 — KRD-FUNDS §37). The accounts must have
    been compiled after the last spending import. Completes the project's ``final_accounts``
    obligation of that year."""
    budget = _lock_budget(final_account.budget)
    account = FinalAccount.objects.select_for_update().get(pk=final_account.pk)
    if not may_submit(actor, budget):
        raise PermissionDenied
    if account.state == FinalAccount.State.SUBMITTED:
        raise StateConflict(_("These final accounts are already submitted."), code="final_account_submitted")
    if account.state == FinalAccount.State.EXEMPT:
        raise StateConflict(account.explanation or _("These final accounts are not due."), code="final_account_exempt")
    today = timezone.localdate()
    if today.year <= account.year:
        raise StateConflict(
            _("B7 — KRD-FUNDS §37: the final accounts of %(year)d are submitted after the year has ended.")
            % {"year": account.year},
            code="year_not_ended",
        )
    if budget.imports.filter(
        state=ExpenditureImport.State.APPLIED, year__lte=account.year, imported_at__gt=account.compiled_at
    ).exists():
        raise StateConflict(
            _("Spending was imported after these final accounts were compiled: compile them again first."),
            code="final_account_stale",
        )
    project = budget.project
    audit.save_changes(
        account,
        actor=actor,
        action="final_account.submit",
        rule="B7",
        fields={
            "state": FinalAccount.State.SUBMITTED,
            "submitted_by": actor,
            "submitted_at": timezone.now(),
            "explanation": explanation.strip(),
        },
    )
    obligation = _final_accounts_obligation(project, account.year)
    if obligation.is_active:
        deadlines.obligation_complete(obligation=obligation, actor=actor)
    notify(
        recipients=users_with_role(organisation_id=project.managing_agency_id, role=Role.AGENCY.value),
        title=_("%(project)s submitted its %(year)d final accounts") % {"project": project, "year": account.year},
        link=reverse("budgets:final_account", args=[budget.pk, account.year]),
    )
    return account


# ---- Balances (B9 — KRD-FUNDS §44, MAJOR-FUNDS §47) ---------------------------------------------


def subject_balance(budget: Budget, subject) -> Decimal:
    """Approved central funds of the subject less the central funds it spent, never below 0."""
    approved = (
        BudgetLine.objects.filter(version_id=budget.approved_version_id, subject=subject).aggregate(
            total=Sum("central")
        )["total"]
        or ZERO
    )
    spent = (
        Expenditure.objects.filter(budget_id=budget.pk, subject=subject, is_central=True).aggregate(
            total=Sum("amount")
        )["total"]
        or ZERO
    )
    return max(approved - spent, ZERO)


@transaction.atomic
def balance_settle(
    *, actor, budget: Budget, subject, accepted_on: dt.date, passed_first_attempt: bool, credit_is_good: bool
) -> Balance:
    """The agency records a subject's balance after its financial acceptance and what becomes
    of it (B9): passed at the first attempt with the unit's credit good, the unit keeps it for
    two years of direct research costs — from the acceptance (KRD-FUNDS §44) or from 1 January
    of the next year (MAJOR-FUNDS §47) — and must report its use by the end; otherwise it is
    recovered."""
    budget = _lock_budget(budget)
    if not may_settle(actor, budget):
        raise PermissionDenied
    if subject.proposal_id != budget.proposal_id:
        raise PermissionDenied
    if Balance.objects.filter(subject=subject).exists():
        raise StateConflict(_("The balance of this subject is already settled."), code="balance_settled")
    if accepted_on > timezone.localdate():
        raise ValidationError({"accepted_on": [_("The financial acceptance cannot conclude in the future.")]})
    if accepted_on < budget.project.start_date:
        raise ValidationError({"accepted_on": [_("The financial acceptance comes after the project starts.")]})
    outcome = rules.balance_disposition(
        edition=budget.edition_rules,
        accepted_on=accepted_on,
        passed_first_attempt=passed_first_attempt,
        credit_is_good=credit_is_good,
    )
    balance = Balance.objects.create(
        budget=budget,
        subject=subject,
        amount=subject_balance(budget, subject),
        accepted_on=accepted_on,
        passed_first_attempt=passed_first_attempt,
        credit_is_good=credit_is_good,
        disposition=Balance.Disposition.KEPT if outcome.kept else Balance.Disposition.RECOVERED,
        keep_from=outcome.keep_from,
        keep_until=outcome.keep_until,
        decided_by=actor,
    )
    audit.record(
        actor=actor,
        action="balance.settle",
        target=balance,
        rule="B9",
        changes={**audit.snapshot(balance, exclude={"decided_at"}), "article": [None, outcome.article]},
    )
    link = reverse("budgets:balances", args=[budget.pk])
    project = budget.project
    if outcome.kept and balance.amount > 0:
        deadlines.obligation_create(
            target=balance,
            kind=BALANCE_USE_REPORT,
            due_at=deadlines.due_on(outcome.keep_until),
            title=_("Report on the use of the balance of %(subject)s (%(project)s)")
            % {"subject": subject, "project": project.number},
            responsible_role=Role.UNIT_ADMIN.value,
            responsible_organisation=subject.unit,
            escalation_role=Role.AGENCY.value,
            escalation_organisation=project.managing_agency,
            managing_organisation=project.managing_agency,
            link=link,
            actor=actor,
        )
    notify(
        recipients=users_with_role(organisation_id=subject.unit_id, role=Role.UNIT_ADMIN.value),
        title=(
            _("The balance of %(subject)s is kept by your unit until %(until)s (%(article)s)")
            if outcome.kept
            else _("The balance of %(subject)s is recovered by the agency (%(article)s)")
        )
        % {"subject": subject, "until": outcome.keep_until, "article": outcome.article},
        link=link,
    )
    return balance


@transaction.atomic
def balance_use_report(*, actor, balance: Balance, used_amount: Decimal, report: str) -> Balance:
    """The subject unit reports how much of a kept balance it used for direct research costs
    (B9 — KRD-FUNDS §44: what is left after two years is returned). Completes the reporting
    obligation."""
    balance = Balance.objects.select_for_update().select_related("subject", "budget").get(pk=balance.pk)
    if not may_report_use(actor, balance):
        raise PermissionDenied
    if balance.disposition != Balance.Disposition.KEPT:
        raise StateConflict(_("A recovered balance is not the unit's to use."), code="balance_recovered")
    if balance.reported_at is not None:
        raise StateConflict(_("The use of this balance is already reported."), code="balance_reported")
    used_amount = Decimal(used_amount)
    if used_amount < 0 or used_amount > balance.amount or used_amount != used_amount.quantize(rules.CENT):
        raise ValidationError(
            {
                "used_amount": [
                    _("Between 0 and the balance of %(amount)s yuan, with at most 2 decimals.")
                    % {"amount": balance.amount}
                ]
            }
        )
    if not report.strip():
        raise ValidationError({"report": [_("Say what the balance was used for.")]})
    audit.save_changes(
        balance,
        actor=actor,
        action="balance.use_report",
        rule="B9",
        fields={"used_amount": used_amount, "use_report": report.strip(), "reported_at": timezone.now()},
    )
    for obligation in _open_obligations(balance, BALANCE_USE_REPORT):
        deadlines.obligation_complete(obligation=obligation, actor=actor)
    return balance


def _open_obligations(target, kind: str) -> Iterable[Obligation]:
    return Obligation.objects.filter(
        content_type=ContentType.objects.get_for_model(target, for_concrete_model=False),
        object_id=str(target.pk),
        kind=kind,
        state__in=[Obligation.State.OPEN, Obligation.State.OVERDUE],
    )
