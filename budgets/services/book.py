"""The budget book of an application: opening it, editing its tables, confirming warnings."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from budgets import policies, rules, selectors
from budgets.checks import Severity
from budgets.models import (
    Budget,
    BudgetLine,
    BudgetVersion,
    EquipmentItem,
    ExpertPayee,
    IncomeSource,
    LineCategory,
    YearPlan,
)
from core import audit
from core.exceptions import RuleViolation, StateConflict
from core.findings import Finding
from core.identity import normal_id
from core.locks import lock
from core.uploads import read_pdf
from projects.policies import is_applicant_of
from secrecy.services import check_attachment_level

AMOUNT_FIELDS = ("central", "local_government", "own", "other_channel", "performance_pay")
TEXT_FIELDS = ("basis", "explanation", "change_reason")


def edition_for_proposal(proposal) -> rules.PolicyEdition:
    """The edition a proposal's budget follows: the call's (fixed when it was published)."""
    call = proposal.call
    published = call.published_at.date() if call.published_at else timezone.localdate()
    return rules.edition_for(program=call.special_project.program.code, on=published, code=call.funds_edition or None)


def lock_budget(budget: Budget) -> Budget:
    """The budget row locked, with its proposal's call, its project and its approved version."""
    return lock(Budget, budget.pk, related=("proposal__call", "project", "approved_version"))


def lock_approved_budget(budget: Budget) -> Budget:
    """The budget locked (``lock_budget``), once it is approved and belongs to a project: what
    spending, final accounts and balances are recorded against."""
    locked = lock_budget(budget)
    if locked.project_id is None or locked.approved_version_id is None:
        raise StateConflict(
            _("Spending is recorded once the budget is approved and belongs to a project."), code="budget_not_approved"
        )
    return locked


@transaction.atomic
def budget_open(*, actor, proposal) -> Budget:
    """The budget book of a formal application, created on first opening with an empty
    application version (B1: the categories of the call's edition)."""
    if not is_applicant_of(actor, proposal):
        raise PermissionDenied
    existing = Budget.objects.filter(proposal=proposal).first()
    if existing is not None:
        return existing
    if proposal.stage != "formal":
        raise StateConflict(
            _("A pre-application states only the total central funds requested (KRD-FUNDS §23)."),
            code="pre_application_budget",
        )
    if proposal.state not in policies.EDITABLE_PROPOSAL_STATES:
        raise StateConflict(_("Only a draft or a returned proposal can be changed."), code="proposal_not_editable")
    edition = edition_for_proposal(proposal)
    budget = Budget.objects.create(proposal=proposal, edition=edition.code)
    version = BudgetVersion.objects.create(
        budget=budget, number=1, kind=BudgetVersion.Kind.APPLICATION, created_by=actor
    )
    budget.working_version = version
    budget.save(update_fields=["working_version"])
    audit.record(actor=actor, action="budget.open", target=budget, rule="B1", changes={"edition": [None, edition.code]})
    return budget


def require_editor(actor, version: BudgetVersion) -> None:
    """Who may change a version: the applicant their draft application (while the proposal is
    a draft or returned); the managing agency its draft review; the requester their draft
    adjustment. Anyone else is refused (``policies.may_edit_version`` gives the same answer
    without the reason)."""
    budget = version.budget
    if version.state != BudgetVersion.State.DRAFT:
        raise StateConflict(_("This budget version is no longer a draft."), code="version_not_draft")
    if version.kind == BudgetVersion.Kind.APPLICATION:
        proposal = budget.proposal
        if not is_applicant_of(actor, proposal):
            raise PermissionDenied
        if proposal.state not in policies.EDITABLE_PROPOSAL_STATES:
            raise StateConflict(_("Only a draft or a returned proposal can be changed."), code="proposal_not_editable")
        return
    if version.kind == BudgetVersion.Kind.REVIEW:
        if not policies.manages_budget(actor, budget):
            raise PermissionDenied
        return
    if version.kind == BudgetVersion.Kind.ADJUSTMENT:
        adjustment = version.adjustment
        if not policies.is_requester_of(actor, adjustment):
            raise PermissionDenied
        # B6: the route is worked out from the request as submitted; what is approved is what was asked.
        if adjustment.state != adjustment.State.DRAFT:
            raise StateConflict(
                _("A submitted adjustment request can no longer be changed; withdraw it and request again."),
                code="adjustment_submitted",
            )
        return
    raise StateConflict(_("An approved budget is changed only through an adjustment (B6)."), code="approved_is_final")


def _lock_version(version: BudgetVersion) -> BudgetVersion:
    return lock(BudgetVersion, version.pk, related=("budget__proposal__call__special_project",))


def _require_subject_unit(version: BudgetVersion, subject, unit) -> None:
    if subject.proposal_id != version.budget.proposal_id:
        raise PermissionDenied
    if unit.pk not in selectors.subject_unit_ids(subject):
        raise RuleViolation(
            "B1",
            _("%(unit)s is neither the unit of this subject nor one of its participants.") % {"unit": unit},
            code="unit_not_in_subject",
        )


def _categories(version: BudgetVersion) -> set[str]:
    edition = selectors.edition_of(version.budget)
    return {str(category) for category in edition.categories} | {LineCategory.INDIRECT.value}


def _sync_requested_funds(version: BudgetVersion, subject) -> None:
    """The subject's requested central funds are the sum of its central lines (the table the
    public notice and the lists read)."""
    if version.kind != BudgetVersion.Kind.APPLICATION:
        return
    total = version.lines.filter(subject=subject).aggregate(total=Sum("central"))["total"] or Decimal("0.00")
    if subject.requested_funds != total:
        subject.requested_funds = total
        subject.save(update_fields=["requested_funds"])


@transaction.atomic
def lines_save(*, actor, version: BudgetVersion, subject, unit, rows: dict[str, dict]) -> list[BudgetLine]:
    """Save one subject unit's budget table: ``rows`` maps a category to its amounts per
    source, performance pay, calculation basis, explanation (and, in a review or adjustment,
    the reason for the change). An all-empty row is removed."""
    version = _lock_version(version)
    require_editor(actor, version)
    _require_subject_unit(version, subject, unit)
    allowed = _categories(version)
    unknown = set(rows) - allowed
    if unknown:
        raise RuleViolation(
            "B1",
            _("%(categories)s: not categories of this budget's funds rules.")
            % {"categories": ", ".join(sorted(unknown))},
            code="unknown_category",
        )
    existing = {line.category: line for line in version.lines.filter(subject=subject, unit=unit)}
    changes: dict[str, list] = {}
    saved = []
    for category, values in rows.items():
        amounts = {name: rules.money(values.get(name) or 0) for name in AMOUNT_FIELDS}
        if category != LineCategory.INDIRECT:
            amounts["performance_pay"] = Decimal("0.00")
        texts = {name: (values.get(name) or "").strip() for name in TEXT_FIELDS}
        for name, amount in amounts.items():
            if amount < 0:
                raise RuleViolation(
                    "B0", _("Amounts cannot be negative."), fields={f"{category}.{name}": [_("Enter 0 or more.")]}
                )
        if amounts["performance_pay"] > amounts["central"]:
            raise RuleViolation(
                "B2",
                _("Performance pay is part of the indirect costs and cannot exceed them (KRD-FUNDS §19)."),
                fields={f"{category}.performance_pay": [_("At most the indirect costs.")]},
            )
        line = existing.get(category)
        is_empty = not any(amounts.values()) and not any(texts.values())
        before = {name: str(getattr(line, name)) for name in (*AMOUNT_FIELDS, *TEXT_FIELDS)} if line else None
        if is_empty:
            if line is not None:
                line.delete()
                changes[category] = [before, None]
            continue
        if line is None:
            line = BudgetLine(version=version, subject=subject, unit=unit, category=category)
        for name, value in {**amounts, **texts}.items():
            setattr(line, name, value)
        line.save()
        after = {name: str(getattr(line, name)) for name in (*AMOUNT_FIELDS, *TEXT_FIELDS)}
        if before != after:
            changes[category] = [before, after]
        saved.append(line)
    _sync_requested_funds(version, subject)
    if changes:
        audit.record(
            actor=actor,
            action="budget.lines_save",
            target=version.budget,
            rule="B1",
            changes={f"v{version.number}.s{subject.number}.{unit.pk}.{key}": value for key, value in changes.items()},
        )
        _touch(version)
    return saved


def _touch(version: BudgetVersion) -> None:
    version.warnings_confirmed_at = None
    version.save(update_fields=["warnings_confirmed_at", "updated_at"])


@transaction.atomic
def years_save(*, actor, version: BudgetVersion, subject, unit, years: dict[int, Decimal]) -> list[YearPlan]:
    """Save a subject unit's central funds per year (分年度预算)."""
    version = _lock_version(version)
    require_editor(actor, version)
    _require_subject_unit(version, subject, unit)
    existing = {row.year: row for row in version.year_plans.filter(subject=subject, unit=unit)}
    changes = {}
    for year, amount in years.items():
        amount = rules.money(amount or 0)
        if amount < 0:
            raise RuleViolation("B0", _("Amounts cannot be negative."), fields={str(year): [_("Enter 0 or more.")]})
        row = existing.get(year)
        if row is None and amount == 0:
            continue
        if row is not None and amount == 0:
            row.delete()
            changes[str(year)] = [str(row.central), None]
            continue
        if row is None:
            row = YearPlan(version=version, subject=subject, unit=unit, year=year, central=amount)
            changes[str(year)] = [None, str(amount)]
        elif row.central != amount:
            changes[str(year)] = [str(row.central), str(amount)]
            row.central = amount
        row.save()
    if changes:
        audit.record(
            actor=actor,
            action="budget.years_save",
            target=version.budget,
            changes={f"v{version.number}.s{subject.number}.{unit.pk}.{key}": value for key, value in changes.items()},
        )
        _touch(version)
    return list(version.year_plans.filter(subject=subject, unit=unit))


@transaction.atomic
def equipment_item_add(
    *,
    actor,
    version: BudgetVersion,
    subject,
    unit,
    name: str,
    quantity: int,
    unit_price,
    central=None,
    specification: str = "",
    justification: str = "",
) -> EquipmentItem:
    """List an equipment purchase (KRD-FUNDS §24); its amount is quantity × unit price."""
    version = _lock_version(version)
    require_editor(actor, version)
    _require_subject_unit(version, subject, unit)
    amount = rules.money(Decimal(quantity) * rules.money(unit_price))
    central = amount if central in (None, "") else rules.money(central)
    if quantity < 1 or amount < 0 or not 0 <= central <= amount:
        raise RuleViolation(
            "B0",
            _("Enter a quantity of at least 1, a price of 0 or more, and central funds within the amount."),
            code="equipment_item_invalid",
        )
    item = EquipmentItem.objects.create(
        version=version,
        subject=subject,
        unit=unit,
        name=name,
        specification=specification,
        quantity=quantity,
        unit_price=rules.money(unit_price),
        amount=amount,
        central=central,
        justification=justification,
    )
    audit.record(
        actor=actor, action="budget.equipment_add", target=version.budget, changes={"item": [None, f"{name} {amount}"]}
    )
    _touch(version)
    return item


@transaction.atomic
def equipment_item_remove(*, actor, item: EquipmentItem) -> None:
    version = _lock_version(item.version)
    require_editor(actor, version)
    audit.record(
        actor=actor, action="budget.equipment_remove", target=version.budget, changes={"item": [item.name, None]}
    )
    item.delete()
    _touch(version)


@transaction.atomic
def income_source_add(
    *,
    actor,
    version: BudgetVersion,
    subject,
    unit,
    source: str,
    funder: str,
    amount,
    form: str = IncomeSource.Form.CASH,
    is_central_funds: bool = False,
    letter=None,
    letter_level: str = "none",
) -> IncomeSource:
    """Record another source of funds with its funder's commitment (B5 — KRD-FUNDS §22(一)). A
    letter declared above the portal's maximum classification level is refused (S11 —
    SECRETS-LAW §24)."""
    if letter is not None:
        check_attachment_level(letter_level or "none")
    version = _lock_version(version)
    require_editor(actor, version)
    _require_subject_unit(version, subject, unit)
    amount = rules.money(amount)
    if amount <= 0:
        raise RuleViolation("B5", _("A committed amount is more than 0."), fields={"amount": [_("Enter more than 0.")]})
    row = IncomeSource(
        version=version,
        subject=subject,
        unit=unit,
        source=source,
        funder=funder,
        amount=amount,
        form=form,
        is_central_funds=is_central_funds,
    )
    if letter is not None:
        read_pdf(letter)
        row.letter = letter
    row.full_clean(exclude=["version", "subject", "unit", "letter"])
    row.save()
    audit.record(
        actor=actor,
        action="budget.income_add",
        target=version.budget,
        rule="B5",
        changes={"income": [None, f"{funder} {source} {amount}"]},
    )
    _touch(version)
    return row


@transaction.atomic
def income_source_remove(*, actor, income: IncomeSource) -> None:
    version = _lock_version(income.version)
    require_editor(actor, version)
    audit.record(
        actor=actor, action="budget.income_remove", target=version.budget, changes={"income": [str(income), None]}
    )
    income.delete()
    _touch(version)


@transaction.atomic
def expert_payee_add(
    *, actor, version: BudgetVersion, subject, name: str, amount, id_number: str = "", organisation_name: str = ""
) -> ExpertPayee:
    """Plan an expert consultation payee (B4 — KRD-FUNDS §18(八): never project staff)."""
    version = _lock_version(version)
    require_editor(actor, version)
    if subject.proposal_id != version.budget.proposal_id:
        raise PermissionDenied
    people = {(person.name, normal_id(person.id_number)) for person in subject.proposal.people.all()}
    if any(
        normal_id(id_number) and normal_id(id_number) == known_id or name.strip() == known_name
        for known_name, known_id in people
    ):
        raise RuleViolation(
            "B4",
            _("%(name)s works on the project, so cannot be paid expert consultation fees (KRD-FUNDS §18(八)).")
            % {"name": name},
            fields={"name": [_("Choose someone outside the project.")]},
        )
    payee = ExpertPayee.objects.create(
        version=version,
        subject=subject,
        name=name,
        id_number=id_number,
        organisation_name=organisation_name,
        amount=rules.money(amount),
    )
    audit.record(
        actor=actor, action="budget.payee_add", target=version.budget, rule="B4", changes={"payee": [None, name]}
    )
    _touch(version)
    return payee


@transaction.atomic
def expert_payee_remove(*, actor, payee: ExpertPayee) -> None:
    version = _lock_version(payee.version)
    require_editor(actor, version)
    audit.record(
        actor=actor, action="budget.payee_remove", target=version.budget, changes={"payee": [payee.name, None]}
    )
    payee.delete()
    _touch(version)


@transaction.atomic
def budget_settings_save(*, actor, budget: Budget, is_post_subsidy: bool, is_theoretical: bool) -> Budget:
    """Post-subsidy (major only, MAJOR-FUNDS §32) and pure theoretical research (2021 reform)."""
    budget = lock_budget(budget)
    version = budget.working_version
    require_editor(actor, version)
    edition = selectors.edition_of(budget)
    if is_post_subsidy and "major" not in edition.programs:
        raise RuleViolation("B10", _("Post-subsidy applies to major projects only (MAJOR-FUNDS §32)."))
    if is_theoretical and edition.theory_rate is None:
        raise RuleViolation(
            "B2", _("%(edition)s has no separate rate for theoretical research.") % {"edition": edition.title}
        )
    audit.save_changes(
        budget,
        actor=actor,
        action="budget.settings",
        fields={"is_post_subsidy": is_post_subsidy, "is_theoretical": is_theoretical},
    )
    _touch(version)
    return budget


@transaction.atomic
def warnings_confirm(*, actor, version: BudgetVersion) -> BudgetVersion:
    """The applicant confirms the budget's warnings (they do not block, but are read)."""
    version = _lock_version(version)
    require_editor(actor, version)
    warnings = [issue for issue in selectors.version_issues(version) if issue.severity == Severity.WARNING]
    version.warnings_confirmed_at = timezone.now()
    version.save(update_fields=["warnings_confirmed_at", "updated_at"])
    audit.record(
        actor=actor,
        action="budget.warnings_confirm",
        target=version.budget,
        changes={"warnings": [None, [issue.message for issue in warnings]]},
    )
    return version


def copy_version(source: BudgetVersion, *, kind: str, actor, budget: Budget) -> BudgetVersion:
    """A new version with every row of ``source``; call with the budget locked."""
    number = (budget.versions.aggregate(top=Max("number"))["top"] or 0) + 1
    version = BudgetVersion.objects.create(budget=budget, number=number, kind=kind, based_on=source, created_by=actor)
    for model, related in (
        (BudgetLine, source.lines),
        (YearPlan, source.year_plans),
        (EquipmentItem, source.equipment_items),
        (IncomeSource, source.income_sources),
        (ExpertPayee, source.expert_payees),
    ):
        rows = list(related.all())
        for row in rows:
            row.pk = None
            row.id = None
            row.version = version
            if isinstance(row, BudgetLine):
                row.change_reason = ""
        model.objects.bulk_create(rows)
    return version


def submission_findings(proposal) -> list:
    """The budget's part of the checks at submission: a formal application needs a budget
    book whose checks pass, with its warnings confirmed."""
    if proposal.stage != "formal":
        return []
    budget = Budget.objects.filter(proposal=proposal).select_related("working_version").first()
    if budget is None or budget.working_version is None or not budget.working_version.lines.exists():
        return [
            Finding(
                "B1",
                "budget_missing",
                _("The budget book is empty: fill in the budget of each subject (KRD-FUNDS §22)."),
            )
        ]
    issues = selectors.version_issues(budget.working_version)
    findings = [
        Finding(issue.check, "budget", issue.message, issue.field)
        for issue in issues
        if issue.severity == Severity.ERROR
    ]
    has_warnings = any(issue.severity == Severity.WARNING for issue in issues)
    if has_warnings and budget.working_version.warnings_confirmed_at is None:
        findings.append(
            Finding(
                "B1",
                "budget_warnings",
                _("The budget has warnings: read and confirm them on the budget page before submitting."),
            )
        )
    return findings
