"""Importing a year of spending from a unit's finance system export: all rows or none.

Every row is checked (date inside the year, amount, category of the budget's edition, subject
and unit of the budget, B4 expert fees, B11 no onward transfers by participants) and one bad
row refuses the whole file, which is kept with its row errors while the data already imported
stays as it was. A good file replaces the year's earlier rows of the units it covers. Files are
read as a stream (``finance_files``) and inserted in batches, so 50 000 rows take a few seconds
and little memory; a large file goes to the worker, whose progress the page follows.
"""

from __future__ import annotations

import os
import re
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import transaction
from django.utils.translation import gettext as _

from budgets import policies, rules
from budgets.models import Budget, Expenditure, ExpenditureImport, LineCategory
from budgets.services.book import lock_approved_budget
from budgets.services.execution import spending_years
from budgets.services.finance_files import (
    CATEGORY_KEYS,
    CENTRAL_KEYS,
    FIELD_ALIASES,
    FIELD_LENGTHS,
    HEADER_KEYS,
    OTHER_KEYS,
    REQUIRED_FIELDS,
    TRANSFER,
    UnreadableFile,
    cell_text,
    check_size,
    compare_key,
    parse_amount,
    parse_date,
    read_table,
)
from core import audit
from core.exceptions import RuleViolation, StateConflict
from projects.models import Person

ZERO = Decimal("0.00")
BATCH_SIZE = 2000
MAX_REPORTED_ERRORS = 500
MAX_TITLE_LINES = 5  # lines of title (unit, period, printed on…) an export may put above its header
MAX_AMOUNT = Decimal(1000000000000)  # 14 digits with 2 decimals
EXPENDITURE_ATTNAMES = tuple(field.attname for field in Expenditure._meta.concrete_fields)
_TRAILING_NUMBER = re.compile(r"(\d+)\s*$")


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
    subjects = list(
        budget.proposal.subjects.select_related("unit").prefetch_related("participant_units").order_by("number")
    )
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
        units_by_name={compare_key(unit.name): unit.pk for unit in units.values()},
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
            name = HEADER_KEYS.get(compare_key(cell))
            if name and name not in columns:
                columns[name] = index
                headers[name] = cell_text(cell)
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
            category = self._categories[text] = CATEGORY_KEYS.get(compare_key(text))
            return category

    def _unit(self, code: str, name: str) -> int | None:
        if code:
            return self.lookups.units_by_code.get(code)
        if not name:
            return None
        try:
            return self._units[name]
        except KeyError:
            unit_id = self._units[name] = self.lookups.units_by_name.get(compare_key(name))
            return unit_id

    def check(self, number: int, row: Sequence, result: _Result) -> Expenditure | None:
        """The row's expenditure, or None after recording its errors (or for a transfer)."""
        lookups = self.lookups
        cell = self._cell
        headers = self.headers
        errors_before = result.error_count

        category_text = cell_text(cell(row, "category"))
        category = self._category(category_text)
        is_transfer = category == TRANSFER

        subject_text = cell_text(cell(row, "subject"))
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

        code = cell_text(cell(row, "unit_code")).upper()
        name = cell_text(cell(row, "unit_name"))
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

        source_text = cell_text(cell(row, "source"))
        source = self._sources.get(source_text)
        if source is None:
            source = self._sources[source_text] = compare_key(source_text)
        is_central = source not in OTHER_KEYS
        if source and is_central and source not in CENTRAL_KEYS:
            result.error(
                number,
                headers["source"],
                _("%(value)s: the source is 专项 (central special funds) or 自筹 (other sources).")
                % {"value": source_text},
            )

        booked_on = parse_date(cell(row, "booked_on"))
        if booked_on is None:
            result.error(
                number,
                headers["booked_on"],
                _("%(value)s is not a date (YYYY-MM-DD).") % {"value": cell_text(cell(row, "booked_on")) or "—"},
            )
        elif booked_on.year != self.year:
            result.error(
                number,
                headers["booked_on"],
                _("%(date)s is outside %(year)s, the year of this import.")
                % {"date": booked_on.isoformat(), "year": self.year},
            )

        amount = parse_amount(cell(row, "amount"))
        if amount is None:
            result.error(
                number,
                headers["amount"],
                _("%(value)s is not an amount.") % {"value": cell_text(cell(row, "amount")) or "—"},
            )
        elif amount <= 0:
            result.error(number, headers["amount"], _("The amount must be more than zero."))
        elif amount >= MAX_AMOUNT:
            result.error(number, headers["amount"], _("The amount is too large."))
        elif amount != amount.quantize(rules.CENT):
            result.error(number, headers["amount"], _("The amount is in yuan with at most 2 decimals."))

        texts = {}
        for name, length in FIELD_LENGTHS.items():
            value = cell_text(cell(row, name))
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
            if not any(cell_text(cell) for cell in row):
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
    except UnreadableFile as error:
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
        message = refusal_message(record)
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


def refusal_message(record: ExpenditureImport) -> str:
    """What a refused import says: how many errors, in which file, and the first of them."""
    errors = record.errors
    first = errors[0] if errors else {"row": None, "column": "", "message": ""}
    where = _("row %(row)s, %(column)s: ") % first if first.get("row") else ""
    return _("Nothing was imported: %(count)d errors in %(file)s. First: %(first)s") % {
        "count": import_error_count(record),
        "file": record.file_name,
        "first": f"{where}{first['message']}",
    }


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
    return cache.get(progress_key(record.pk), 0)


def import_scope(actor, budget: Budget) -> frozenset[int] | None:
    """The units whose rows ``actor`` may import: None for every unit of the budget (the
    project leader and the lead unit's administrators), the own unit for a subject unit's
    administrator; PermissionDenied for anyone else."""
    if policies.imports_for_every_unit(actor, budget):
        return None
    unit_id = policies.subject_unit_administered(actor, budget)
    if unit_id is None:
        raise PermissionDenied
    return frozenset({unit_id})


def _check_import(actor, budget: Budget, year: int) -> tuple[Budget, frozenset[int] | None]:
    budget = lock_approved_budget(budget)
    allowed_units = import_scope(actor, budget)
    first_year, last_year = spending_years(budget.project)
    if not first_year <= year <= last_year:
        raise ValidationError(
            {"year": [_("The project runs from %(first)d to %(last)d.") % {"first": first_year, "last": last_year}]}
        )
    return budget, allowed_units


def expenditure_import_queue(*, actor, budget: Budget, year: int, uploaded_file) -> ExpenditureImport:
    """Keep a large spending file and hand it to the worker; the page follows its progress.
    The same checks and the same all-or-nothing import run there (``expenditure_import``)."""
    from budgets import tasks  # the task runs this module: imported here, not at the top

    check_size(uploaded_file)
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
        with record.stored_file.open("rb") as stored:
            # Read under the name it was uploaded with; the stored file keeps its own, so that
            # is the file deleted below.
            return expenditure_import(
                actor=record.imported_by,
                budget=record.budget,
                year=record.year,
                uploaded_file=File(stored.file, name=record.file_name),
                record=record,
                refused_raises=False,
            )
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
    *,
    actor,
    budget: Budget,
    year: int,
    uploaded_file,
    record: ExpenditureImport | None = None,
    refused_raises: bool = True,
) -> ExpenditureImport:
    """Import a year of spending from a unit's finance system export: all rows or none.

    The project leader and the lead unit's administrators import rows of every unit; a
    subject unit's administrator only rows of their unit. Each row must fall inside the year,
    carry a positive amount in yuan (2 decimals), a category of the budget's edition (B1) or
    indirect costs, and a subject and unit of the budget. Expert fees paid to the project's
    own staff are refused (B4 — KRD-FUNDS §18(八)); so is an outgoing transfer booked by a
    participant unit (B11 — KRD-FUNDS §29); transfers by the lead or a subject unit are not
    spending and are skipped. A refused file is kept with its errors and raises
    ``ImportRefused`` (or, with ``refused_raises=False``, comes back in state ``refused``); a
    good one replaces the year's earlier rows of the units it covers. A file above 64 MB is
    refused before it is read (a queued file was checked when it was queued).
    """
    if record is None:
        check_size(uploaded_file)
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
    if record.state == ExpenditureImport.State.REFUSED and refused_raises:
        raise ImportRefused(record)
    return record


class _Rollback(Exception):
    pass


def _progress_writer(record: ExpenditureImport):
    key = progress_key(record.pk)
    return lambda rows: cache.set(key, rows, timeout=3600)
