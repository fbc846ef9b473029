"""Budget pages: the budget book, its versions, and editing a version's tables."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from budgets import checks, policies, selectors
from budgets.forms import (
    AdjustmentForm,
    EquipmentItemForm,
    ExpertPayeeForm,
    IncomeSourceForm,
    LinesForm,
    ReviewAnswerForm,
    YearsForm,
)
from budgets.models import OTHER_SOURCES, BudgetVersion, EquipmentItem, ExpertPayee, IncomeSource
from budgets.services import book
from core.access import declare_access, roles
from core.refusals import refusals
from projects.models import Attachment
from projects.selectors import proposal_get_for_user

SOURCES = ("central", "local_government", "own", "other_channel")
BUDGET_READERS = roles("applicant", "unit_admin", "agency", "ministry", "admin", object_scoped=True)
# The applicant edits the application and adjustment requests; the agency its budget review.
BUDGET_EDITORS = roles("applicant", "agency", object_scoped=True)
APPLICANT = roles("applicant", object_scoped=True)


def _with_values(views, version, *, posted: tuple[int, int, dict] | None = None, errors=None):
    """Give each row the values its inputs show: what was typed (after an error) or what is saved."""
    for view in views:
        for table in view.tables:
            typed = posted[2] if posted and posted[:2] == (table.subject.pk, table.unit.pk) else None
            for row in table.rows:
                values = {}
                for name in (*SOURCES, "performance_pay", "basis", "explanation", "change_reason"):
                    key = f"{row.category}-{name}"
                    if typed is not None:
                        values[name] = typed.get(key, "")
                    elif row.line is not None:
                        value = getattr(row.line, name)
                        values[name] = "" if isinstance(value, Decimal) and value == 0 else value
                    else:
                        values[name] = ""
                row.values = values
                row.errors = {
                    name: (errors or {}).get(f"{row.category}-{name}")
                    for name in values
                    if typed is not None and (errors or {}).get(f"{row.category}-{name}")
                }
                row.changed = row.before is not None and row.line is not None and row.before.central != row.line.central
                row.changed = row.changed or (row.before is None) != (row.line is None)
    return views


def version_context(request, version: BudgetVersion, **extra) -> dict:
    content = selectors.version_content(version)
    facts = selectors.book_facts(content)
    views = selectors.subject_views(content, facts)
    issues = checks.run_checks(facts)
    editable = policies.may_edit_version(request.user, version)
    budget = version.budget
    _with_values(views, version, posted=extra.pop("posted", None), errors=extra.pop("errors", None))
    context = {
        "version": version,
        "budget": budget,
        "edition": facts.edition,
        "views": views,
        "project_totals": selectors.project_totals(views),
        "issues": issues,
        "errors": [i for i in issues if i.severity == checks.Severity.ERROR],
        "warnings": [i for i in issues if i.severity == checks.Severity.WARNING],
        "editable": editable,
        "with_reason": version.kind in (BudgetVersion.Kind.REVIEW, BudgetVersion.Kind.ADJUSTMENT),
        "years": selectors.project_years(budget),
        "is_agency": policies.manages_budget(request.user, budget),
        "is_applicant": policies.is_budget_applicant(request.user, budget),
        "income_sources": [(source.value, source.label) for source in OTHER_SOURCES],
        "income_forms": IncomeSource.Form.choices,
        "letter_levels": Attachment.LEVEL_CHOICES,
        "answer_form": ReviewAnswerForm(),
        "adjustment": getattr(version, "adjustment", None) if version.kind == BudgetVersion.Kind.ADJUSTMENT else None,
    }
    context.update(extra)
    return context


@require_GET
@declare_access(BUDGET_READERS)  # object-scoped through budgets_for_user: others get 404
def version_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One version of a budget book: editable tables for whoever may change it, else read-only,
    with every check's findings beside it."""
    version = selectors.version_get_for_user(request.user, pk)
    return render(request, "budgets/version_detail.html", version_context(request, version))


@require_GET
@declare_access(BUDGET_READERS)
def budget_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The budget book: its versions, the approved budget, review and adjustments."""
    budget = selectors.budget_get_for_user(request.user, pk)
    versions = list(budget.versions.select_related("created_by").order_by("number"))
    adjustments = list(selectors.adjustments_for_user(request.user).filter(budget=budget))
    return render(
        request,
        "budgets/budget_detail.html",
        {
            "budget": budget,
            "versions": versions,
            "adjustments": adjustments,
            "edition": selectors.edition_of(budget),
            "is_agency": policies.manages_budget(request.user, budget),
            "is_leader": policies.leads_budget_project(request.user, budget),
            "adjustment_form": AdjustmentForm(),
        },
    )


@require_POST
@declare_access(roles("applicant", object_scoped=True))
def budget_open(request: HttpRequest, proposal_pk: int) -> HttpResponse:
    proposal = proposal_get_for_user(request.user, proposal_pk)
    with refusals(request) as outcome:
        budget = book.budget_open(actor=request.user, proposal=proposal)
    if outcome.refused:
        return redirect("projects:proposal_detail", pk=proposal.pk)
    return redirect("budgets:version", pk=budget.working_version_id)


def _editable_version(request, pk: int) -> BudgetVersion:
    version = selectors.version_get_for_user(request.user, pk)
    if not policies.may_edit_version(request.user, version):
        raise Http404
    return version


def _subject_unit(version: BudgetVersion, subject_pk: int, unit_pk: int):
    content_subjects = version.budget.proposal.subjects.prefetch_related("participant_units").select_related("unit")
    subject = content_subjects.filter(pk=subject_pk).first()
    if subject is None:
        raise Http404
    units = {subject.unit_id: subject.unit, **{u.pk: u for u in subject.participant_units.all()}}
    unit = units.get(unit_pk)
    if unit is None:
        raise Http404
    return subject, unit


def _back(version: BudgetVersion, anchor: str = "") -> HttpResponse:
    return redirect(reverse("budgets:version", args=[version.pk]) + (f"#{anchor}" if anchor else ""))


@require_POST
@declare_access(BUDGET_EDITORS)
def lines_save(request: HttpRequest, pk: int, subject_pk: int, unit_pk: int) -> HttpResponse:
    """Save one subject unit's table; on an error the page comes back with what was typed."""
    version = _editable_version(request, pk)
    subject, unit = _subject_unit(version, subject_pk, unit_pk)
    edition = selectors.edition_of(version.budget)
    with_reason = version.kind != BudgetVersion.Kind.APPLICATION
    form = LinesForm(request.POST, categories=selectors.categories_of(edition), with_reason=with_reason)
    anchor = f"table-s{subject.pk}-u{unit.pk}"
    if form.is_valid():
        # The service names a cell as the API does (materials.central): its refusal goes on the input.
        with refusals(request, form=form.by_service_names()) as outcome:
            book.lines_save(actor=request.user, version=version, subject=subject, unit=unit, rows=form.rows())
        if not outcome.refused:
            messages.success(
                request, _("%(unit)s's budget of %(subject)s is saved.") % {"unit": unit, "subject": subject}
            )
            return _back(version, anchor)
    errors = {key: [str(e) for e in value] for key, value in form.errors.items()}
    messages.error(request, " ".join(str(e) for e in form.non_field_errors()) or _("Correct the marked amounts."))
    context = version_context(
        request, version, posted=(subject.pk, unit.pk, request.POST.dict()), errors=errors, error_table=anchor
    )
    return render(request, "budgets/version_detail.html", context, status=400)


@require_POST
@declare_access(BUDGET_EDITORS)
def lines_preview(request: HttpRequest, pk: int, subject_pk: int, unit_pk: int) -> HttpResponse:
    """htmx: the subject and project roll-ups and the indirect cap with what is being typed,
    before it is saved (B2)."""
    version = _editable_version(request, pk)
    subject, unit = _subject_unit(version, subject_pk, unit_pk)
    content = selectors.version_content(version)
    facts = selectors.book_facts(content)
    edition = facts.edition
    form = LinesForm(request.POST, categories=selectors.categories_of(edition))
    form.is_valid()  # invalid cells count as 0 in the preview; saving reports them
    typed = []
    for category, values in form.rows().items():
        amounts = {name: values.get(name) or Decimal("0.00") for name in (*SOURCES, "performance_pay")}
        if any(amounts.values()):
            typed.append(
                checks.LineFacts(
                    unit_id=unit.pk,
                    category=category,
                    basis=values.get("basis") or "",
                    explanation=values.get("explanation") or "",
                    **amounts,
                )
            )
    subjects = []
    for subject_facts in facts.subjects:
        if subject_facts.id == subject.pk:
            kept = tuple(line for line in subject_facts.lines if line.unit_id != unit.pk)
            subject_facts = replace(subject_facts, lines=kept + tuple(typed))
        subjects.append(subject_facts)
    facts = replace(facts, subjects=tuple(subjects))
    views = [
        selectors.SubjectView(
            subject=s,
            facts=f,
            tables=[],
            payees=[],
            totals=checks.totals(f),
            base=(cap := checks.subject_cap(facts, f))[0],
            cap=cap[1],
            tiers=cap[2],
        )
        for s, f in zip(content.subjects, facts.subjects, strict=True)
    ]
    current = next(view for view in views if view.subject.pk == subject.pk)
    row_totals = {
        category: sum(
            (values.get(name) or Decimal(0) for name in SOURCES if values.get(name) is not None), Decimal("0.00")
        )
        for category, values in form.rows().items()
    }
    return render(
        request,
        "budgets/_rollup.html",
        {
            "view": current,
            "project_totals": selectors.project_totals(views),
            "unit_ids": current.facts.unit_ids,
            "unit": unit,
            "row_totals": row_totals,
            "oob": True,
        },
    )


@require_POST
@declare_access(BUDGET_EDITORS)
def years_save(request: HttpRequest, pk: int, subject_pk: int, unit_pk: int) -> HttpResponse:
    version = _editable_version(request, pk)
    subject, unit = _subject_unit(version, subject_pk, unit_pk)
    form = YearsForm(request.POST, years=selectors.project_years(version.budget))
    if form.is_valid():
        with refusals(request) as outcome:
            book.years_save(actor=request.user, version=version, subject=subject, unit=unit, years=form.plan())
        if not outcome.refused:
            messages.success(request, _("The yearly schedule is saved."))
    else:
        messages.error(request, _("Enter amounts of 0 or more, in yuan with at most 2 decimals."))
    return _back(version, f"years-s{subject.pk}-u{unit.pk}")


@require_POST
@declare_access(BUDGET_EDITORS)
def equipment_add(request: HttpRequest, pk: int, subject_pk: int, unit_pk: int) -> HttpResponse:
    version = _editable_version(request, pk)
    subject, unit = _subject_unit(version, subject_pk, unit_pk)
    form = EquipmentItemForm(request.POST, prefix="equipment")
    if form.is_valid():
        with refusals(request) as outcome:
            book.equipment_item_add(
                actor=request.user, version=version, subject=subject, unit=unit, **form.cleaned_data
            )
        if not outcome.refused:
            messages.success(request, _("The equipment item is added."))
    else:
        messages.error(request, _("Equipment item: %(errors)s") % {"errors": _flat(form)})
    return _back(version, f"equipment-s{subject.pk}-u{unit.pk}")


@require_POST
@declare_access(BUDGET_EDITORS)
def income_add(request: HttpRequest, pk: int, subject_pk: int, unit_pk: int) -> HttpResponse:
    version = _editable_version(request, pk)
    subject, unit = _subject_unit(version, subject_pk, unit_pk)
    form = IncomeSourceForm(request.POST, request.FILES, prefix="income")
    if form.is_valid():
        with refusals(request) as outcome:
            book.income_source_add(actor=request.user, version=version, subject=subject, unit=unit, **form.cleaned_data)
        if not outcome.refused:
            messages.success(request, _("The source of funds is added."))
    else:
        messages.error(request, _("Other source: %(errors)s") % {"errors": _flat(form)})
    return _back(version, f"income-s{subject.pk}-u{unit.pk}")


@require_POST
@declare_access(BUDGET_EDITORS)
def payee_add(request: HttpRequest, pk: int, subject_pk: int) -> HttpResponse:
    version = _editable_version(request, pk)
    subject = version.budget.proposal.subjects.filter(pk=subject_pk).first()
    if subject is None:
        raise Http404
    form = ExpertPayeeForm(request.POST, prefix="payee")
    if form.is_valid():
        with refusals(request) as outcome:
            book.expert_payee_add(actor=request.user, version=version, subject=subject, **form.cleaned_data)
        if not outcome.refused:
            messages.success(request, _("The expert is added."))
    else:
        messages.error(request, _("Expert: %(errors)s") % {"errors": _flat(form)})
    return _back(version, f"payees-s{subject.pk}")


REMOVABLE = {"equipment": EquipmentItem, "income": IncomeSource, "payee": ExpertPayee}


@require_POST
@declare_access(BUDGET_EDITORS)
def row_remove(request: HttpRequest, pk: int, kind: str, row_pk: int) -> HttpResponse:
    version = _editable_version(request, pk)
    model = REMOVABLE.get(kind)
    row = model.objects.filter(version=version, pk=row_pk).first() if model else None
    if row is None:
        raise Http404
    {
        "equipment": lambda: book.equipment_item_remove(actor=request.user, item=row),
        "income": lambda: book.income_source_remove(actor=request.user, income=row),
        "payee": lambda: book.expert_payee_remove(actor=request.user, payee=row),
    }[kind]()
    messages.success(request, _("Removed."))
    return _back(version)


@require_POST
@declare_access(APPLICANT)
def settings_save(request: HttpRequest, pk: int) -> HttpResponse:
    version = _editable_version(request, pk)
    if version.kind != BudgetVersion.Kind.APPLICATION:
        raise Http404
    with refusals(request):
        book.budget_settings_save(
            actor=request.user,
            budget=version.budget,
            is_post_subsidy=bool(request.POST.get("is_post_subsidy")),
            is_theoretical=bool(request.POST.get("is_theoretical")),
        )
    return _back(version)


@require_POST
@declare_access(APPLICANT)
def warnings_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    version = _editable_version(request, pk)
    book.warnings_confirm(actor=request.user, version=version)
    messages.success(request, _("You have confirmed the budget's warnings."))
    return _back(version, "checks")


@require_GET
@declare_access(BUDGET_READERS)
def compare(request: HttpRequest, pk: int) -> HttpResponse:
    """Two versions side by side, line by line, with the difference and the reason given."""
    budget = selectors.budget_get_for_user(request.user, pk)
    versions = list(budget.versions.order_by("number"))
    if not versions:
        raise Http404
    by_number = {str(v.number): v for v in versions}
    left = by_number.get(request.GET.get("a", ""), versions[0])
    right = by_number.get(request.GET.get("b", ""), versions[-1])
    return render(
        request,
        "budgets/compare.html",
        {"budget": budget, "versions": versions, "left": left, "right": right, "rows": selectors.compare(left, right)},
    )


def _flat(form) -> str:
    return "; ".join(
        f"{form.fields[k].label if k in form.fields else ''} {' '.join(v)}".strip() for k, v in form.errors.items()
    )


urlpatterns = [
    path("budgets/<int:pk>/", budget_detail, name="budget"),
    path("budgets/<int:pk>/compare/", compare, name="compare"),
    path("budgets/proposals/<int:proposal_pk>/open/", budget_open, name="open"),
    path("budgets/versions/<int:pk>/", version_detail, name="version"),
    path("budgets/versions/<int:pk>/settings/", settings_save, name="settings"),
    path("budgets/versions/<int:pk>/confirm-warnings/", warnings_confirm, name="confirm_warnings"),
    path("budgets/versions/<int:pk>/subjects/<int:subject_pk>/units/<int:unit_pk>/lines/", lines_save, name="lines"),
    path(
        "budgets/versions/<int:pk>/subjects/<int:subject_pk>/units/<int:unit_pk>/preview/",
        lines_preview,
        name="preview",
    ),
    path("budgets/versions/<int:pk>/subjects/<int:subject_pk>/units/<int:unit_pk>/years/", years_save, name="years"),
    path(
        "budgets/versions/<int:pk>/subjects/<int:subject_pk>/units/<int:unit_pk>/equipment/",
        equipment_add,
        name="equipment_add",
    ),
    path(
        "budgets/versions/<int:pk>/subjects/<int:subject_pk>/units/<int:unit_pk>/income/",
        income_add,
        name="income_add",
    ),
    path("budgets/versions/<int:pk>/subjects/<int:subject_pk>/payees/", payee_add, name="payee_add"),
    path("budgets/versions/<int:pk>/<str:kind>/<int:row_pk>/remove/", row_remove, name="row_remove"),
]
