"""The expert library (专家库, V1 — KRD-MGMT §26, INTL §12, EVAL §32): experts, their
disciplines, declared conflicts, past collaborations and availability, kept by the agencies.

Every write is audited (O1). An import file (Excel .xlsx or CSV, one row per expert) is all
or nothing: every row is checked first and one bad row imports nothing; an expert already in
the library (same ID number) is updated from the row.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from accounts.models import Organisation
from budgets.services.finance_files import read_table  # the shared CSV / Excel reader
from core import audit
from core.exceptions import RuleViolation
from core.identity import DISCIPLINE_CODE
from core.locks import lock, lock_all
from reviews import policies
from reviews.models import Availability, Collaboration, DeclaredConflict, Expert, ExpertDiscipline

MAX_REPORTED_ERRORS = 500
MAX_ROWS = 20000
EXPERT_FIELDS = (
    "name",
    "id_number",
    "user",
    "organisation",
    "organisation_name",
    "professional_title",
    "is_senior",
    "expertise",
    "email",
    "phone",
    "is_foreign",
    "is_academician",
    "is_active",
)


# ---- Who may write -----------------------------------------------------------------------------


def _require_writer(actor) -> None:
    if not policies.may_edit_library(actor):
        raise PermissionDenied


def _lock(expert: Expert) -> Expert:
    return lock(Expert, expert.pk)


# ---- Cells of an import file -------------------------------------------------------------------

_KEY_SPACES = re.compile(r"[\s\u3000*＊]+")
_KEY_SUFFIX = re.compile(r"[(（][^)）]*[)）]$")


def _cell_text(value) -> str:
    """A cell as text: empty for none, 2024 for a spreadsheet's 2024.0, no surrounding spaces."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _header_key(text) -> str:
    """A header or a word as compared: no spaces or asterisks, no suffix like （必填）, ASCII
    parentheses and dashes, no underscores, lower case."""
    value = _KEY_SPACES.sub("", str(text or "")).lstrip("\ufeff")
    value = value.replace("（", "(").replace("）", ")").replace("－", "-").replace("—", "-").replace("／", "/")
    return _KEY_SUFFIX.sub("", value).replace("_", "").lower()


class UnreadableFile(Exception):
    """The upload is no table the reader understands (old .xls, damaged, neither UTF-8 nor GBK)."""


def _table_rows(uploaded_file):
    """The rows of the upload. What the reader raises becomes ``UnreadableFile`` with its words;
    what the caller does with a row is not caught here."""
    try:
        rows = iter(read_table(uploaded_file))
    except Exception as error:  # the reader's own error type is not public
        raise UnreadableFile(str(error)) from error
    while True:
        try:
            row = next(rows)
        except StopIteration:
            return
        except Exception as error:  # the reader's own error type is not public
            raise UnreadableFile(str(error)) from error
        yield row


# ---- Disciplines -------------------------------------------------------------------------------


def normalise_discipline_code(value) -> str:
    """A code as written in a cell or a form: spaces dropped, full-width dot read as a dot,
    a leading zero restored when a spreadsheet read "080" as the number 80."""
    text = _cell_text(value).replace(" ", "").replace("\u3000", "").replace("．", ".").replace("。", ".")
    head, dot, tail = text.partition(".")
    if head.isdigit() and len(head) < 3:
        head = head.zfill(3)
    return f"{head}{dot}{tail}"


def split_discipline_codes(text) -> list[str]:
    """Codes separated by ; ； , ， 、 or spaces, in order, without repeats."""
    codes: list[str] = []
    for part in re.split(r"[;；,，、\s]+", _cell_text(text)):
        code = normalise_discipline_code(part)
        if code and code not in codes:
            codes.append(code)
    return codes


def invalid_discipline_codes(codes: Sequence[str]) -> list[str]:
    return [code for code in codes if not DISCIPLINE_CODE.match(code)]


def discipline_error(codes: Sequence[str]) -> str:
    return _("%(codes)s: a discipline code is written like 080, 080.10 or 520.2010 (GB/T 13745).") % {
        "codes": "、".join(codes)
    }


def _set_disciplines(*, actor, expert: Expert, codes: Sequence[str], primary: str, action: str) -> None:
    codes = list(dict.fromkeys(normalise_discipline_code(code) for code in codes if str(code).strip()))
    primary = normalise_discipline_code(primary) if primary else (codes[0] if codes else "")
    bad = invalid_discipline_codes(codes)
    if bad:
        raise ValidationError({"codes": [discipline_error(bad)]})
    if codes and primary not in codes:
        raise ValidationError({"primary": [_("The primary discipline must be one of the expert's disciplines.")]})
    before = list(expert.disciplines.order_by("-is_primary", "id").values_list("code", "is_primary"))
    after = [(code, code == primary) for code in sorted(codes, key=lambda code: code != primary)]
    if sorted(before) == sorted(after):
        return
    expert.disciplines.all().delete()
    ExpertDiscipline.objects.bulk_create(
        ExpertDiscipline(expert=expert, code=code, is_primary=is_primary) for code, is_primary in after
    )
    primary_before = next((code for code, is_primary in before if is_primary), None)
    audit.record(
        actor=actor,
        action=action,
        target=expert,
        changes={
            "disciplines": [[code for code, _primary in before], [code for code, _primary in after]],
            "primary_discipline": [primary_before, primary or None],
        },
    )


@transaction.atomic
def expert_disciplines_set(*, actor, expert: Expert, codes: list[str], primary: str) -> Expert:
    """Replace the expert's discipline codes; ``primary`` is one of them (at most one primary)."""
    _require_writer(actor)
    expert = _lock(expert)
    _set_disciplines(actor=actor, expert=expert, codes=codes, primary=primary, action="expert.disciplines_set")
    return expert


# ---- Experts -----------------------------------------------------------------------------------


def _clean_fields(fields: dict) -> dict:
    unknown = set(fields) - set(EXPERT_FIELDS)
    if unknown:
        raise TypeError(f"Unknown expert fields: {sorted(unknown)}")
    cleaned = dict(fields)
    for name in ("name", "id_number", "organisation_name", "professional_title", "email", "phone"):
        if name in cleaned:
            cleaned[name] = (cleaned[name] or "").strip()
    if "id_number" in cleaned:
        cleaned["id_number"] = cleaned["id_number"].upper()
    if cleaned.get("organisation") is not None and "organisation_name" not in cleaned:
        cleaned["organisation_name"] = ""
    return cleaned


@transaction.atomic
def expert_save(*, actor, expert: Expert | None = None, disciplines: list[str] | None = None, **fields) -> Expert:
    """Create an expert of the library (``expert`` None) or change one. ``disciplines``, when
    given, replaces the discipline codes (the first is primary). Agencies and administrators
    only."""
    _require_writer(actor)
    fields = _clean_fields(fields)
    if expert is None:
        expert = Expert(**fields)
        expert.full_clean()
        expert.save()
        audit.record(
            actor=actor, action="expert.create", target=expert, changes=audit.snapshot(expert, exclude={"created_at"})
        )
    else:
        expert = _lock(expert)
        if fields:
            audit.save_changes(expert, actor=actor, action="expert.update", fields=fields, validate=True)
    if disciplines is not None:
        _set_disciplines(
            actor=actor,
            expert=expert,
            codes=disciplines,
            primary=disciplines[0] if disciplines else "",
            action="expert.disciplines_set",
        )
    return expert


# ---- Conflicts, collaborations, availability (V1) -----------------------------------------------


@transaction.atomic
def conflict_add(
    *,
    actor,
    expert: Expert,
    organisation: Organisation | None = None,
    person_name: str = "",
    person_id_number: str = "",
    note: str = "",
) -> DeclaredConflict:
    """Record a conflict the expert declared: an organisation or a person (V1 recusal)."""
    _require_writer(actor)
    expert = _lock(expert)
    person_name, person_id_number = person_name.strip(), person_id_number.strip().upper()
    if organisation is None and not person_name and not person_id_number:
        raise ValidationError({"organisation": [_("Name an organisation or a person.")]})
    conflict = DeclaredConflict(
        expert=expert,
        organisation=organisation,
        person_name=person_name,
        person_id_number=person_id_number,
        note=note.strip(),
    )
    conflict.full_clean()
    conflict.save()
    audit.record(actor=actor, action="expert.conflict_add", target=expert, rule="V1", changes=audit.snapshot(conflict))
    return conflict


@transaction.atomic
def conflict_remove(*, actor, conflict: DeclaredConflict) -> None:
    _require_writer(actor)
    expert = _lock(conflict.expert)
    changes = {key: [value, None] for key, (_none, value) in audit.snapshot(conflict).items()}
    conflict.delete()
    audit.record(actor=actor, action="expert.conflict_remove", target=expert, rule="V1", changes=changes)


@transaction.atomic
def collaboration_add(
    *,
    actor,
    expert: Expert,
    person_name: str,
    year: int,
    person_id_number: str = "",
    kind: str = Collaboration.Kind.CO_AUTHOR,
) -> Collaboration:
    """Record a past collaboration of the expert (co-author, co-applicant), used for recusal."""
    _require_writer(actor)
    expert = _lock(expert)
    collaboration = Collaboration(
        expert=expert,
        person_name=person_name.strip(),
        person_id_number=person_id_number.strip().upper(),
        kind=kind,
        year=year,
    )
    collaboration.full_clean()
    if not 1900 <= collaboration.year <= dt.date.max.year:
        raise ValidationError({"year": [_("Enter a year like 2024.")]})
    collaboration.save()
    audit.record(
        actor=actor,
        action="expert.collaboration_add",
        target=expert,
        rule="V1",
        changes=audit.snapshot(collaboration),
    )
    return collaboration


@transaction.atomic
def collaboration_remove(*, actor, collaboration: Collaboration) -> None:
    _require_writer(actor)
    expert = _lock(collaboration.expert)
    changes = {key: [value, None] for key, (_none, value) in audit.snapshot(collaboration).items()}
    collaboration.delete()
    audit.record(actor=actor, action="expert.collaboration_remove", target=expert, rule="V1", changes=changes)


@transaction.atomic
def availability_add(*, actor, expert: Expert, starts_on: dt.date, ends_on: dt.date) -> Availability:
    """A window when the expert can review (an expert without any window is always available)."""
    _require_writer(actor)
    expert = _lock(expert)
    if ends_on < starts_on:
        raise ValidationError({"ends_on": [_("The window ends on or after its first day.")]})
    window = Availability.objects.create(expert=expert, starts_on=starts_on, ends_on=ends_on)
    audit.record(actor=actor, action="expert.availability_add", target=expert, changes=audit.snapshot(window))
    return window


@transaction.atomic
def availability_remove(*, actor, availability: Availability) -> None:
    _require_writer(actor)
    expert = _lock(availability.expert)
    changes = {key: [value, None] for key, (_none, value) in audit.snapshot(availability).items()}
    availability.delete()
    audit.record(actor=actor, action="expert.availability_remove", target=expert, changes=changes)


# ---- Import ------------------------------------------------------------------------------------

FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "专家姓名", "name", "expertname"),
    "id_number": ("身份证件号", "身份证件号码", "证件号", "证件号码", "身份证号", "身份证号码", "idnumber", "id"),
    "organisation": (
        "单位",
        "工作单位",
        "所在单位",
        "单位名称",
        "统一社会信用代码",
        "organisation",
        "organization",
        "unit",
    ),
    "professional_title": ("职称", "专业技术职称", "professionaltitle", "title"),
    "is_senior": ("是否高级职称", "高级职称", "issenior", "senior"),
    "expertise": ("专家类型", "专家类别", "类型", "expertise", "kind"),
    "disciplines": ("学科代码", "学科", "学科领域代码", "disciplines", "disciplinecodes", "discipline"),
    "email": ("邮箱", "电子邮箱", "电子邮件", "email", "e-mail"),
    "phone": ("电话", "手机", "联系电话", "手机号码", "phone", "mobile"),
    "is_foreign": ("是否外籍", "外籍", "isforeign", "foreign"),
    "is_academician": ("是否院士", "院士", "isacademician", "academician"),
}
REQUIRED_COLUMNS = ("name", "id_number")
HEADER_KEYS = {_header_key(alias): name for name, aliases in FIELD_ALIASES.items() for alias in aliases}
TRUE_WORDS = frozenset({"是", "yes", "y", "true", "1", "√", "✓"})
FALSE_WORDS = frozenset({"否", "no", "n", "false", "0", "×", "✗"})
EXPERTISE_WORDS: dict[str, str] = {
    **{word: Expert.Expertise.TECHNICAL for word in ("技术", "技术专家", "technical", "technicalexpert")},
    **{word: Expert.Expertise.MANAGEMENT for word in ("管理", "管理专家", "management", "managementexpert")},
    **{
        word: Expert.Expertise.INDUSTRY
        for word in ("产业", "产业专家", "行业", "行业专家", "企业专家", "industry", "industryexpert")
    },
    **{word: Expert.Expertise.FINANCE for word in ("财务", "财务专家", "finance", "financeexpert", "financial")},
}
TEXT_LENGTHS = {"name": 100, "id_number": 40, "professional_title": 100, "phone": 40, "email": 254}


@dataclass
class ImportResult:
    """What an import did: nothing at all when ``errors`` is not empty."""

    file_name: str = ""
    rows: int = 0
    created: int = 0
    updated: int = 0
    errors: list[dict] = field(default_factory=list)
    error_count: int = 0

    @property
    def is_refused(self) -> bool:
        return self.error_count > 0

    def error(self, row: int | None, column: str, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append({"row": row, "column": column, "message": message})


class ExpertImportRefused(RuleViolation):
    """An expert file with at least one bad row: nothing of it was imported."""

    def __init__(self, result: ImportResult):
        first = result.errors[0] if result.errors else {"row": None, "column": "", "message": ""}
        where = _("row %(row)s, %(column)s: ") % first if first.get("row") else ""
        message = _("V1: nothing was imported into the expert library: %(count)d errors. First: %(first)s") % {
            "count": result.error_count,
            "first": f"{where}{first['message']}",
        }
        fields: dict[str, list[str]] = defaultdict(list)
        for error in result.errors:
            key = f"rows.{error['row']}.{error['column']}" if error.get("row") else "file"
            fields[key].append(error["message"])
        super().__init__(
            "V1",
            message,
            fields=dict(fields),
            code="import_refused",
            findings=[
                {
                    "rule": "V1",
                    "code": "row_error",
                    "message": error["message"],
                    "item": _("row %(row)s, %(column)s") % error if error.get("row") else "",
                    "row": error.get("row"),
                    "column": error.get("column", ""),
                }
                for error in result.errors
            ],
        )
        self.result = result


@dataclass
class _Row:
    number: int
    values: dict  # expert field -> value, only for the columns of the file with a value
    disciplines: list[str] | None


def _boolean(text: str) -> bool | None:
    key = text.strip().lower()
    if key in TRUE_WORDS:
        return True
    if key in FALSE_WORDS:
        return False
    return None


class _Reader:
    def __init__(self, result: ImportResult):
        self.result = result
        self.columns: dict[str, int] = {}
        self.headers: dict[str, str] = {}

    def read_header(self, number: int, row: Sequence) -> bool:
        for index, cell in enumerate(row):
            name = HEADER_KEYS.get(_header_key(cell))
            if name and name not in self.columns:
                self.columns[name] = index
                self.headers[name] = _cell_text(cell)
        missing = [name for name in REQUIRED_COLUMNS if name not in self.columns]
        for name in missing:
            self.result.error(
                number,
                FIELD_ALIASES[name][0],
                _("Column %(column)s is missing (expected one of: %(names)s).")
                % {"column": FIELD_ALIASES[name][0], "names": "、".join(FIELD_ALIASES[name][:3])},
            )
        return not missing

    def cell(self, row: Sequence, name: str) -> str:
        index = self.columns.get(name)
        if index is None or index >= len(row):
            return ""
        return _cell_text(row[index])

    def check(self, number: int, row: Sequence) -> _Row:
        error = self.result.error
        headers = self.headers
        values: dict = {}
        for name in ("name", "id_number"):
            text = self.cell(row, name)
            if not text:
                error(number, headers[name], _("Required."))
            values[name] = text
        values["id_number"] = values["id_number"].replace(" ", "").upper()
        for name, length in TEXT_LENGTHS.items():
            text = values.get(name) if name in values else self.cell(row, name)
            if len(text) > length:
                error(number, headers[name], _("At most %(length)d characters.") % {"length": length})
            elif name not in values and text:
                values[name] = text
        if values.get("email"):
            try:
                validate_email(values["email"])
            except ValidationError:
                error(number, headers["email"], _("%(value)s is not an email address.") % {"value": values["email"]})
        unit = self.cell(row, "organisation")
        if len(unit) > 200:
            error(number, headers["organisation"], _("At most %(length)d characters.") % {"length": 200})
        elif unit:
            values["organisation"] = unit
        for name in ("is_senior", "is_foreign", "is_academician"):
            text = self.cell(row, name)
            if not text:
                continue
            flag = _boolean(text)
            if flag is None:
                error(number, headers[name], _("%(value)s: answer 是 or 否 (yes or no, 1 or 0).") % {"value": text})
            else:
                values[name] = flag
        text = self.cell(row, "expertise")
        if text:
            expertise = EXPERTISE_WORDS.get(_header_key(text))
            if expertise is None:
                error(
                    number,
                    headers["expertise"],
                    _("%(value)s is not a kind of expert (技术, 管理, 产业 or 财务).") % {"value": text},
                )
            else:
                values["expertise"] = expertise
        disciplines = None
        text = self.cell(row, "disciplines")
        if text:
            disciplines = split_discipline_codes(text)
            bad = invalid_discipline_codes(disciplines)
            if bad:
                error(number, headers["disciplines"], discipline_error(bad))
            elif any(len(code) > 20 for code in disciplines):
                error(number, headers["disciplines"], _("At most %(length)d characters.") % {"length": 20})
        return _Row(number=number, values=values, disciplines=disciplines)


def _read_rows(uploaded_file, result: ImportResult) -> list[_Row]:
    reader = _Reader(result)
    rows: list[_Row] = []
    header_seen = False
    first_row_of: dict[str, int] = {}
    try:
        for number, row in enumerate(_table_rows(uploaded_file), start=1):
            if not any(_cell_text(cell) for cell in row):
                continue
            if not header_seen:
                header_seen = True
                if not reader.read_header(number, row):
                    return []
                continue
            if len(rows) >= MAX_ROWS:
                result.error(None, "", _("At most %(count)d experts per file.") % {"count": MAX_ROWS})
                return []
            checked = reader.check(number, row)
            id_number = checked.values["id_number"]
            if id_number:
                if id_number in first_row_of:
                    result.error(
                        number,
                        reader.headers["id_number"],
                        _("%(value)s is already on row %(row)d of this file.")
                        % {"value": id_number, "row": first_row_of[id_number]},
                    )
                else:
                    first_row_of[id_number] = number
            rows.append(checked)
    except UnreadableFile as error:
        result.error(None, "", str(error))
        return []
    if not header_seen:
        result.error(None, "", _("The file is empty."))
    elif not rows and not result.is_refused:
        result.error(None, "", _("The file has a header but no experts."))
    return rows


def _organisations(rows: list[_Row]) -> dict[str, Organisation]:
    """The library's organisations named in the file, by credit code and by name."""
    texts = {row.values["organisation"] for row in rows if row.values.get("organisation")}
    if not texts:
        return {}
    found: dict[str, Organisation] = {}
    codes = {text.upper() for text in texts}
    for organisation in Organisation.objects.filter(Q(name__in=texts) | Q(credit_code__in=codes)):
        found[organisation.name] = organisation
        if organisation.credit_code:
            found[organisation.credit_code.upper()] = organisation
    return found


def expert_import(*, actor, uploaded_file) -> ImportResult:
    """Import experts from an Excel .xlsx or CSV file, one row per expert (V1). Every row is
    checked before anything is written; with any error nothing is imported and the result
    lists the errors by row and column. A row whose ID number is already in the library
    updates that expert (blank cells keep what the library has)."""
    _require_writer(actor)
    result = ImportResult(file_name=getattr(uploaded_file, "name", "") or "")
    rows = _read_rows(uploaded_file, result)
    result.rows = len(rows)
    if result.is_refused:
        return result
    with transaction.atomic():
        organisations = _organisations(rows)
        existing = {
            expert.id_number.upper(): expert
            for expert in lock_all(Expert.objects.filter(id_number__in=[row.values["id_number"] for row in rows]))
        }
        for row in rows:
            fields = dict(row.values)
            unit = fields.pop("organisation", None)
            if unit is not None:
                organisation = organisations.get(unit) or organisations.get(unit.upper())
                fields["organisation"] = organisation
                fields["organisation_name"] = "" if organisation is not None else unit
            expert = existing.get(fields["id_number"])
            try:
                if expert is None:
                    expert_save(actor=actor, disciplines=row.disciplines, **fields)
                    result.created += 1
                else:
                    fields.pop("id_number")
                    expert_save(actor=actor, expert=expert, disciplines=row.disciplines, **fields)
                    result.updated += 1
            except ValidationError as error:
                for name, messages in error.message_dict.items():
                    column = name if name not in FIELD_ALIASES else FIELD_ALIASES[name][0]
                    for message in messages:
                        result.error(row.number, column, message)
        if result.is_refused:
            transaction.set_rollback(True)
            result.created = result.updated = 0
            return result
        audit.record(
            actor=actor,
            action="expert.import",
            rule="V1",
            changes={
                "file": [None, result.file_name],
                "created": [None, result.created],
                "updated": [None, result.updated],
            },
        )
    return result
