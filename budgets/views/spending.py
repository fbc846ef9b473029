"""Budget pages: spending (imports and execution rates), annual final accounts (B7) and
balances (B9).

Every page answers 404 for a budget the user may not open (``budget_get_for_user``). A
refusal of an action on a budget the user may open is shown as a message on the page
(``core.refusals``); so is an action the user's role does not take on it (``budgets.policies``).
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from budgets import policies, rules, selectors
from budgets.models import Balance, Budget, ExpenditureImport, FinalAccount
from budgets.services import balances as balance_services
from budgets.services import execution, finance_files
from budgets.services import final_accounts as account_services
from budgets.services import spending_import as import_services
from core.access import declare_access, roles
from core.refusals import refusals
from projects import rules as project_rules

# Those who read a budget book (object-scoped through budgets_for_user: others get 404).
SPENDING_READERS = roles("applicant", "unit_admin", "agency", "ministry", "admin", object_scoped=True)
RECENT_IMPORTS = 20
ERRORS_SHOWN = 50


def _years(budget: Budget) -> list[int]:
    if budget.project is None:
        return []
    first, last = execution.spending_years(budget.project)
    return list(range(first, last + 1))


class ExpenditureImportForm(forms.Form):
    year = forms.TypedChoiceField(label=gettext_lazy("Year"), coerce=int)
    file = forms.FileField(
        label=gettext_lazy("Spending file"),
        help_text=gettext_lazy(
            "CSV (UTF-8 or GBK) or Excel .xlsx as your finance system exports it, with a header row: "
            "课题编号, 单位统一社会信用代码 or 单位名称, 科目, 资金来源, 记账日期, 凭证号, 摘要, 收款人, "
            "收款人证件号, 金额. One bad row refuses the whole file."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.xlsx"}),
    )

    def __init__(self, *args, budget: Budget, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(year, year) for year in _years(budget)]

    def clean_file(self):
        uploaded = self.cleaned_data["file"]
        finance_files.check_size(uploaded, field=None)
        return uploaded


class FinalAccountSubmitForm(forms.Form):
    explanation = forms.CharField(
        label=gettext_lazy("Explanation"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Anything the agency should know about the year's spending."),
    )


class BalanceSettleForm(forms.Form):
    subject = forms.ModelChoiceField(label=gettext_lazy("Subject"), queryset=None)
    accepted_on = forms.DateField(
        label=gettext_lazy("Financial acceptance concluded on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    passed_first_attempt = forms.BooleanField(label=gettext_lazy("Passed at the first attempt"), required=False)
    credit_is_good = forms.BooleanField(label=gettext_lazy("The unit's credit rating is good"), required=False)

    def __init__(self, *args, budget: Budget, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subject"].queryset = budget.proposal.subjects.filter(balance__isnull=True).order_by("number")


class BalanceUseForm(forms.Form):
    used_amount = forms.DecimalField(
        label=gettext_lazy("Used for direct research costs (yuan)"),
        min_value=Decimal(0),
        max_digits=14,
        decimal_places=2,
    )
    report = forms.CharField(label=gettext_lazy("What it was used for"), widget=forms.Textarea(attrs={"rows": 3}))


def _role_refused(request: HttpRequest) -> None:
    """The budget is the user's to open, the action not theirs to take on it."""
    messages.error(request, _("Your role cannot do this on this budget."))


# ---- Spending --------------------------------------------------------------------------------


def _spending_page(request: HttpRequest, budget: Budget, form: ExpenditureImportForm, *, status: int = 200):
    imports = list(budget.imports.select_related("imported_by").order_by("-imported_at", "-id")[:RECENT_IMPORTS])
    for record in imports:
        record.shown_errors = record.errors[:ERRORS_SHOWN]
        record.hidden_error_count = max(import_services.import_error_count(record) - ERRORS_SHOWN, 0)
    return render(
        request,
        "budgets/spending_detail.html",
        {
            "budget": budget,
            "project": budget.project,
            "form": form,
            "may_import": policies.may_import_spending(request.user, budget),
            "imports": imports,
            "rates": execution.execution_rates(budget) if budget.approved_version_id else None,
        },
        status=status,
    )


@require_GET
@declare_access(SPENDING_READERS)
def import_status(request: HttpRequest, pk: int, import_pk: int) -> HttpResponse:
    """htmx: the state of a background import, polled while it is queued or running; when it
    ends, the page reloads to show the rows and rates."""
    budget = selectors.budget_get_for_user(request.user, pk)
    record = budget.imports.filter(pk=import_pk).first()
    if record is None:
        raise Http404
    response = render(
        request,
        "budgets/_import_status.html",
        {"budget": budget, "record": record, "rows": import_services.import_progress(record)},
    )
    if record.state not in (record.State.QUEUED, record.State.RUNNING) and request.headers.get("HX-Request"):
        response["HX-Refresh"] = "true"
    return response


@require_GET
@declare_access(SPENDING_READERS)
def spending(request: HttpRequest, pk: int) -> HttpResponse:
    """The spending of a budget: the import form, the history of imports with the errors of
    refused files, and the execution rate per subject and category."""
    budget = selectors.budget_get_for_user(request.user, pk)
    return _spending_page(request, budget, ExpenditureImportForm(budget=budget))


@require_POST
@declare_access(roles("applicant", "unit_admin", object_scoped=True))
def spending_import(request: HttpRequest, pk: int) -> HttpResponse:
    """Import a year's spending file: all rows or none (B1, B4, B11)."""
    budget = selectors.budget_get_for_user(request.user, pk)
    form = ExpenditureImportForm(request.POST, request.FILES, budget=budget)
    if not form.is_valid():
        return _spending_page(request, budget, form, status=400)
    if not policies.may_import_spending(request.user, budget):
        _role_refused(request)
        return redirect("budgets:spending", pk=budget.pk)
    uploaded = form.cleaned_data["file"]
    year = form.cleaned_data["year"]
    if uploaded.size > import_services.BACKGROUND_IMPORT_BYTES:
        with refusals(request) as outcome:
            record = import_services.expenditure_import_queue(
                actor=request.user, budget=budget, year=year, uploaded_file=uploaded
            )
        if outcome.refused:
            return redirect("budgets:spending", pk=budget.pk)
        messages.info(
            request,
            _("%(file)s is being imported in the background; this page shows its progress.")
            % {"file": record.file_name},
        )
        return redirect(f"{reverse('budgets:spending', args=[budget.pk])}#import-{record.pk}")
    with refusals(request) as outcome:
        # A refused file comes back refused: its row errors are on the page, under its anchor.
        record = import_services.expenditure_import(
            actor=request.user, budget=budget, year=year, uploaded_file=uploaded, refused_raises=False
        )
    if outcome.refused:
        return redirect("budgets:spending", pk=budget.pk)
    if record.state == ExpenditureImport.State.REFUSED:
        messages.error(request, import_services.refusal_message(record))
        return redirect(f"{reverse('budgets:spending', args=[budget.pk])}#import-{record.pk}")
    messages.success(
        request,
        _("Imported %(rows)d rows (%(total)s yuan) of %(year)d.")
        % {"rows": record.row_count, "total": record.total, "year": record.year},
    )
    return redirect("budgets:spending", pk=budget.pk)


# ---- Final accounts (B7 — KRD-FUNDS §37) -------------------------------------------------------


@require_GET
@declare_access(SPENDING_READERS)
def final_accounts(request: HttpRequest, pk: int) -> HttpResponse:
    """The final accounts of each year of the project, with their state and due date."""
    budget = selectors.budget_get_for_user(request.user, pk)
    accounts = {account.year: account for account in budget.final_accounts.all()}
    rows = [
        {"year": year, "account": accounts.get(year), "due": project_rules.final_accounts_due_date(year)}
        for year in _years(budget)
    ]
    return render(
        request, "budgets/final_account_list.html", {"budget": budget, "project": budget.project, "rows": rows}
    )


@require_GET
@declare_access(SPENDING_READERS)
def final_account(request: HttpRequest, pk: int, year: int) -> HttpResponse:
    """One year's final accounts: lines per subject and category, carry-over per subject."""
    budget = selectors.budget_get_for_user(request.user, pk)
    if year not in _years(budget):
        raise Http404
    account = budget.final_accounts.filter(year=year).select_related("submitted_by").first()
    subjects = []
    carry_over = []
    if account is not None and account.state != FinalAccount.State.EXEMPT:
        lines = list(account.lines.select_related("subject").order_by("subject__number", "id"))
        for line in lines:
            line.rate = rules.execution_rate(spent=line.spent_to_date, approved=line.approved)
            if not subjects or subjects[-1]["subject"].pk != line.subject_id:
                subjects.append({"subject": line.subject, "lines": []})
            subjects[-1]["lines"].append(line)
        carry_over = account_services.final_account_carry_over(account)
    period_start = account_services.accounts_period_start(budget.project, year)
    return render(
        request,
        "budgets/final_account_detail.html",
        {
            "budget": budget,
            "project": budget.project,
            "year": year,
            "account": account,
            "subjects": subjects,
            "carry_over": carry_over,
            "period_start": period_start if period_start != year else None,
            "due": project_rules.final_accounts_due_date(year),
            "may_compile": policies.may_compile_final_accounts(request.user, budget),
            "may_submit": policies.may_submit_final_accounts(request.user, budget),
            "submit_form": FinalAccountSubmitForm(),
        },
    )


@require_POST
@declare_access(roles("applicant", "unit_admin", object_scoped=True))
def final_account_compile(request: HttpRequest, pk: int, year: int) -> HttpResponse:
    budget = selectors.budget_get_for_user(request.user, pk)
    if not policies.may_compile_final_accounts(request.user, budget):
        _role_refused(request)
        return redirect("budgets:final_account", pk=budget.pk, year=year)
    with refusals(request) as outcome:
        account = account_services.final_account_compile(actor=request.user, budget=budget, year=year)
    if not outcome.refused:
        if account.state == FinalAccount.State.EXEMPT:
            messages.warning(request, account.explanation)
        else:
            messages.success(request, _("The %(year)d final accounts are compiled.") % {"year": year})
    return redirect("budgets:final_account", pk=budget.pk, year=year)


@require_POST
@declare_access(roles("unit_admin", object_scoped=True))
def final_account_submit(request: HttpRequest, pk: int, year: int) -> HttpResponse:
    budget = selectors.budget_get_for_user(request.user, pk)
    account = budget.final_accounts.filter(year=year).first()
    form = FinalAccountSubmitForm(request.POST)
    if account is None:
        messages.error(request, _("Compile the final accounts first."))
    elif not policies.may_submit_final_accounts(request.user, budget):
        _role_refused(request)
    elif form.is_valid():
        with refusals(request) as outcome:
            account_services.final_account_submit(
                actor=request.user, final_account=account, explanation=form.cleaned_data["explanation"]
            )
        if not outcome.refused:
            messages.success(request, _("The %(year)d final accounts were sent to the agency.") % {"year": year})
    return redirect("budgets:final_account", pk=budget.pk, year=year)


# ---- Balances (B9 — KRD-FUNDS §44, MAJOR-FUNDS §47) -------------------------------------------


def _balances_page(request: HttpRequest, budget: Budget, *, settle_form=None, use_forms=None, status: int = 200):
    balances = {
        balance.subject_id: balance
        for balance in budget.balances.select_related("subject__unit", "decided_by").order_by("subject__number")
    }
    rates = execution.execution_rates(budget) if budget.approved_version_id else None
    may_settle = policies.may_settle_balance(request.user, budget)
    use_forms = use_forms or {}
    rows = []
    for subject_rates in rates.subjects if rates else []:
        subject = subject_rates.subject
        balance = balances.get(subject.pk)
        may_report = (
            balance is not None
            and balance.disposition == Balance.Disposition.KEPT
            and balance.reported_at is None
            and policies.may_report_balance_use(request.user, balance)
        )
        rows.append(
            {
                "subject": subject,
                "approved": subject_rates.approved,
                "spent": subject_rates.spent,
                "remaining": max(subject_rates.approved - subject_rates.spent, Decimal("0.00")),
                "balance": balance,
                "returned": balance.amount - balance.used_amount if balance and balance.reported_at else None,
                "use_form": (use_forms.get(balance.pk) or BalanceUseForm(prefix=f"balance-{balance.pk}"))
                if may_report
                else None,
            }
        )
    return render(
        request,
        "budgets/balance_list.html",
        {
            "budget": budget,
            "project": budget.project,
            "rows": rows,
            "settle_form": (settle_form or BalanceSettleForm(budget=budget)) if may_settle else None,
        },
        status=status,
    )


@require_GET
@declare_access(SPENDING_READERS)
def balances(request: HttpRequest, pk: int) -> HttpResponse:
    """Each subject's unspent central funds and, after financial acceptance, its balance and
    what becomes of it."""
    budget = selectors.budget_get_for_user(request.user, pk)
    return _balances_page(request, budget)


@require_POST
@declare_access(roles("agency", object_scoped=True))
def balance_settle(request: HttpRequest, pk: int) -> HttpResponse:
    budget = selectors.budget_get_for_user(request.user, pk)
    form = BalanceSettleForm(request.POST, budget=budget)
    if not policies.may_settle_balance(request.user, budget):
        messages.error(request, _("Only the managing agency settles balances."))
    elif not form.is_valid():
        return _balances_page(request, budget, settle_form=form, status=400)
    else:
        with refusals(request) as outcome:
            balance = balance_services.balance_settle(actor=request.user, budget=budget, **form.cleaned_data)
        if not outcome.refused:
            messages.success(
                request,
                _("The balance of %(subject)s: %(amount)s yuan, %(disposition)s.")
                % {
                    "subject": balance.subject,
                    "amount": balance.amount,
                    "disposition": balance.get_disposition_display(),
                },
            )
    return redirect("budgets:balances", pk=budget.pk)


@require_POST
@declare_access(roles("unit_admin", object_scoped=True))
def balance_report(request: HttpRequest, pk: int) -> HttpResponse:
    balance = (
        Balance.objects.filter(budget__in=selectors.budgets_for_user(request.user).values("pk"), pk=pk)
        .select_related("budget", "subject")
        .first()
    )
    if balance is None:
        raise Http404
    form = BalanceUseForm(request.POST, prefix=f"balance-{balance.pk}")
    if not policies.may_report_balance_use(request.user, balance):
        messages.error(request, _("Only the subject unit reports the use of its balance."))
    elif not form.is_valid():
        budget = selectors.budget_get_for_user(request.user, balance.budget_id)
        return _balances_page(request, budget, use_forms={balance.pk: form}, status=400)
    else:
        with refusals(request) as outcome:
            balance_services.balance_use_report(actor=request.user, balance=balance, **form.cleaned_data)
        if not outcome.refused:
            messages.success(request, _("The use of the balance is reported."))
    return redirect("budgets:balances", pk=balance.budget_id)


urlpatterns = [
    path("budgets/<int:pk>/spending/", spending, name="spending"),
    path("budgets/<int:pk>/spending/import/", spending_import, name="spending_import"),
    path("budgets/<int:pk>/spending/imports/<int:import_pk>/", import_status, name="import_status"),
    path("budgets/<int:pk>/final-accounts/", final_accounts, name="final_accounts"),
    path("budgets/<int:pk>/final-accounts/<int:year>/", final_account, name="final_account"),
    path("budgets/<int:pk>/final-accounts/<int:year>/compile/", final_account_compile, name="final_account_compile"),
    path("budgets/<int:pk>/final-accounts/<int:year>/submit/", final_account_submit, name="final_account_submit"),
    path("budgets/<int:pk>/balances/", balances, name="balances"),
    path("budgets/<int:pk>/balances/settle/", balance_settle, name="balance_settle"),
    path("budgets/balances/<int:pk>/report/", balance_report, name="balance_report"),
]
