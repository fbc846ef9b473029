"""Reading the exports of the units' finance systems: CSV (UTF-8 with or without BOM, or GBK;
comma or tab separated) or Excel .xlsx, streamed row by row, and the names those exports give
their columns, budget categories and sources of funds.

Nothing here knows a budget: ``spending_import`` checks the rows against one. The expert
library's import (``reviews``) reads its tables with the same reader.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
from collections.abc import Iterator, Sequence
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from budgets.models import LineCategory

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

# The largest finance export the portal reads (the page and the API alike).
MAX_FILE_BYTES = 64 * 1024 * 1024

_SPACES = re.compile(r"[\s\u3000*＊]+")
_PARENTHESES = re.compile(r"[(（][^)）]*[)）]$")
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T].*)?$")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_EXCEL_EPOCH = dt.date(1899, 12, 30)


def compare_key(text) -> str:
    """A header or a code as compared: no spaces, no unit suffix like （元）, ASCII
    parentheses and dashes, lower case."""
    value = _SPACES.sub("", str(text or "")).lstrip("\ufeff")
    value = value.replace("（", "(").replace("）", ")").replace("－", "-").replace("—", "-").replace("／", "/")
    if not value.startswith("设备费"):
        value = _PARENTHESES.sub("", value)
    return value.replace("_", "").lower()


HEADER_KEYS = {compare_key(alias): name for name, aliases in FIELD_ALIASES.items() for alias in aliases}
CATEGORY_KEYS = {
    **{compare_key(name): code for name, code in CATEGORY_NAMES.items()},
    **{compare_key(choice.value): choice.value for choice in LineCategory},
}
CENTRAL_KEYS = frozenset(compare_key(name) for name in CENTRAL_SOURCES)
OTHER_KEYS = frozenset(compare_key(name) for name in OTHER_SOURCE_NAMES)


def cell_text(value) -> str:
    """A cell as text: stripped, empty for an empty cell, a whole float without its ".0"."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def parse_date(value) -> dt.date | None:
    """A booking date as exports write it (2027-03-01, 2027/3/1, 2027年3月1日, 20270301, an
    Excel date or serial day number); None when it is not one."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and 20000 < value < 80000:  # an Excel serial day number
        return _EXCEL_EPOCH + dt.timedelta(days=int(value))
    text = cell_text(value)
    match = _DATE.match(text) or _COMPACT_DATE.match(text)
    if match is None:
        return None
    try:
        return dt.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def parse_amount(value) -> Decimal | None:
    """An amount in yuan (thousands separators and currency signs allowed); None when it is not
    a finite number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, Decimal):
        return value
    text = cell_text(value).replace(",", "").replace("，", "").replace("¥", "").replace("￥", "").replace(" ", "")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None


class UnreadableFile(Exception):
    """The file is not a table the reader understands; the message says why."""


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
        raise UnreadableFile(_("The file is neither UTF-8 nor GBK text.")) from error
    except csv.Error as error:
        raise UnreadableFile(_("The file is not a readable CSV table: %(error)s") % {"error": error}) from error
    finally:
        text.detach()


def _xlsx_rows(handle) -> Iterator[Sequence]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(handle, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        raise UnreadableFile(_("The Excel file cannot be read: %(error)s") % {"error": error}) from error
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
        raise UnreadableFile(_("Old .xls workbooks are not read: save the file as .xlsx or CSV."))
    return _csv_rows(handle)


def check_size(uploaded_file, *, field: str | None = "file") -> None:
    """Refuse a file above ``MAX_FILE_BYTES`` before anything of it is read (on ``field``, or
    as a plain error for a form's own field check)."""
    size = getattr(uploaded_file, "size", None)
    if size is not None and size > MAX_FILE_BYTES:
        message = _("The file is larger than 64 MB.")
        raise ValidationError({field: [message]} if field else message)
