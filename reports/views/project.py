"""The project side of the depository: the reports a project owes (T1) and has, the leader's
report form (T2–T4), and a report's manage page with the actions of its viewer: filing,
submission and return by the unit, confirmation by the agency (T5), early release and
extensions (T3, T7), full-text requests (T6) and the download log."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.access import authenticated, declare_access, roles
from core.exceptions import StateConflict
from core.refusals import flash, flash_form_errors, refusals
from reports import policies, rules, selectors, services
from reports.forms import (
    AccessDecisionForm,
    ConfirmForm,
    ExtensionDecisionForm,
    ExtensionForm,
    PublicationForm,
    ReasonForm,
    ReportForm,
    TopicalForm,
)
from reports.models import TechReport
from reports.rules import Access
from secrecy.selectors import mark_of

PROJECT_PAGES = roles("applicant", "unit_admin", "agency", "ministry", "admin", object_scoped=True)
LEADER_PAGES = roles("applicant", object_scoped=True)
REPORT_PAGES = authenticated(object_scoped=True)


# ---- The project's reports ---------------------------------------------------------------------------


def _plan_rows(project, visible: dict[int, TechReport]) -> list[dict]:
    today = timezone.localdate()
    rows = []
    for item in selectors.plan_for(project):
        filed = item.filed_report if item.filed_report is not None and item.filed_report.pk in visible else None
        if filed is not None:
            state = filed.get_state_display()
        elif item.due_on < today:
            state = _("Overdue")
        else:
            state = _("Due")
        rows.append(
            {"item": item, "report": filed, "state": state, "is_overdue": filed is None and item.due_on < today}
        )
    return rows


@require_GET
@declare_access(PROJECT_PAGES)
def project_reports(request: HttpRequest, project_pk: int) -> HttpResponse:
    project = selectors.project_for_user(request.user, project_pk)
    reports = list(selectors.reports_for_user(request.user).filter(project=project).order_by("-created_at", "-id"))
    return render(
        request,
        "reports/project_reports.html",
        {
            "project": project,
            "plan": _plan_rows(project, {report.pk: report for report in reports}),
            "reports": [(report, services.access_code(report)) for report in reports],
            "may_create": policies.may_file(request.user, project),
            "may_plan": policies.may_confirm_as_agency(request.user, project),
            "topical_form": TopicalForm(),
        },
    )


@require_POST
@declare_access(roles("agency", object_scoped=True))
def plan_add(request: HttpRequest, project_pk: int) -> HttpResponse:
    """T1 — REPORTS §10(3): the agency adds a topical report to what the project owes."""
    project = selectors.project_for_user(request.user, project_pk)
    if not policies.may_confirm_as_agency(request.user, project):
        messages.error(request, _("Only the managing agency adds required reports."))
        return redirect("reports:project_reports", project_pk=project.pk)
    form = TopicalForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the type and the due date of the topical report."))
        return redirect("reports:project_reports", project_pk=project.pk)
    with refusals(request) as outcome:
        item = services.plan_add_topical(actor=request.user, project=project, **form.cleaned_data)
    if not outcome.refused:
        messages.success(request, _("“%(title)s” is added to the required reports.") % {"title": item.title})
    return redirect("reports:project_reports", project_pk=project.pk)


# ---- The leader's form ----------------------------------------------------------------------------------


def _form_page(request, form: ReportForm, *, project, report: TechReport | None, status: int = 200) -> HttpResponse:
    action = (
        reverse("reports:report_edit", args=[report.pk])
        if report is not None
        else reverse("reports:report_new", args=[project.pk])
    )
    return render(
        request,
        "reports/report_form.html",
        {"form": form, "project": project, "report": report, "action_url": action},
        status=status,
    )


def _save_and_maybe_file(request, form: ReportForm, *, project, report: TechReport | None) -> HttpResponse:
    values = form.service_values()
    with refusals(request, form=form) as saving:
        if report is None:
            report = services.report_create(actor=request.user, project=project, **values)
        else:
            report = services.report_update(actor=request.user, report=report, **values)
    if saving.refused:
        if isinstance(saving.error, StateConflict):  # filed meanwhile: its page says what is next
            flash(request, saving.error)
            return redirect("reports:report_detail", pk=report.pk)
        return _form_page(request, form, project=project, report=report, status=400)
    if request.POST.get("action") != "file":
        messages.success(request, _("The draft is saved."))
        return redirect("reports:report_detail", pk=report.pk)
    with refusals(request, form=form) as filing:
        services.report_file(actor=request.user, report=report)
    if filing.refused:
        # The draft is saved as typed; the form comes back with what stops the filing.
        messages.warning(request, _("The draft is saved, but it cannot be filed yet."))
        return _form_page(request, form, project=project, report=report, status=400)
    messages.success(request, _("The report is filed with your unit, which checks and submits it."))
    return redirect("reports:report_detail", pk=report.pk)


@require_http_methods(["GET", "POST"])
@declare_access(LEADER_PAGES)
def report_new(request: HttpRequest, project_pk: int) -> HttpResponse:
    project = selectors.project_for_user(request.user, project_pk)
    if not policies.may_file(request.user, project):
        raise Http404
    if request.method == "POST":
        form = ReportForm(request.POST, request.FILES, project=project)
        if form.is_valid():
            return _save_and_maybe_file(request, form, project=project, report=None)
        return _form_page(request, form, project=project, report=None, status=400)
    initial = {"compiled_on": timezone.localdate(), "units": project.lead_unit.name}
    item = project.report_plan.filter(pk=request.GET.get("plan_item") or 0).first()
    if item is not None:
        initial.update(kind=item.kind, plan_item=item.pk, title=f"{project.title}{item.title}")
    return _form_page(request, ReportForm(initial=initial, project=project), project=project, report=None)


@require_http_methods(["GET", "POST"])
@declare_access(LEADER_PAGES)
def report_edit(request: HttpRequest, pk: int) -> HttpResponse:
    report = selectors.report_get_for_user(request.user, pk)
    if not policies.may_file(request.user, report):
        raise Http404
    if report.state not in services.EDITABLE:
        messages.error(request, _("A filed report is no longer edited; ask the unit to return it."))
        return redirect("reports:report_detail", pk=report.pk)
    project = report.project
    if request.method == "POST":
        form = ReportForm(request.POST, request.FILES, project=project)
        if form.is_valid():
            return _save_and_maybe_file(request, form, project=project, report=report)
        return _form_page(request, form, project=project, report=report, status=400)
    form = ReportForm(initial=ReportForm.initial_for(report), project=project)
    return _form_page(request, form, project=project, report=report)


# ---- The manage page ----------------------------------------------------------------------------------


def _detail_context(request: HttpRequest, report: TechReport) -> dict:
    user = request.user
    state = report.state
    is_leader = policies.may_file(user, report)
    is_unit = policies.may_check_for_unit(user, report)
    is_agency = policies.may_confirm_as_agency(user, report)
    is_manager = policies.may_manage_report(user, report)
    speaks_for_report = policies.may_speak_for_report(user, report)
    delayed_open = report.access == Access.DELAYED and state == TechReport.State.CONFIRMED and not report.released_at
    latest_release = None
    if report.access == Access.DELAYED and report.delay_reason in rules.MAX_DELAY_MONTHS:
        latest_release = rules.latest_release(report.submitted_on or timezone.localdate(), report.delay_reason)
    deciding_access = policies.may_decide_access(user, report)
    return {
        "report": report,
        "units": list(report.units.order_by("name")),
        "access_code": services.access_code(report),
        "classification_mark": mark_of(report, report.project),
        "refusal": policies.full_text_refusal(user, report),
        "may_edit": is_leader and state in services.EDITABLE,
        "may_submit": is_unit and state == TechReport.State.FILED,
        "may_return": state in (TechReport.State.FILED, TechReport.State.SUBMITTED)
        and policies.may_return(user, report),
        "may_confirm": is_agency and state == TechReport.State.SUBMITTED,
        "may_publish": speaks_for_report and delayed_open,
        "may_extend": speaks_for_report and delayed_open,
        "may_decide_extension": is_agency and delayed_open,
        "may_decide_access": deciding_access,
        "latest_release": latest_release,
        "extension_deadline": services.extension_deadline(report) if delayed_open else None,
        "extensions": list(report.extensions.select_related("requested_by", "decided_by").order_by("-requested_at")),
        "access_requests": list(report.access_requests.select_related("requester__organisation", "decided_by"))
        if deciding_access or is_manager
        else [],
        "downloads": list(report.downloads.select_related("user")[:200]) if is_manager or is_unit else None,
        "return_form": ReasonForm(),
        "confirm_form": ConfirmForm(initial={"release_on": report.release_on}),
        "publication_form": PublicationForm(),
        "extension_form": ExtensionForm(),
        "today": timezone.localdate(),
    }


@require_GET
@declare_access(REPORT_PAGES)
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    report = selectors.report_get_for_user(request.user, pk)
    if not (policies.is_own_report(request.user, report) or policies.may_manage_report(request.user, report)):
        # A reader of the depository: its public page (a requested full text is decided here).
        return redirect("reports:public_detail", pk=report.pk)
    return render(request, "reports/report_detail.html", _detail_context(request, report))


def _valid(form: forms.Form, request: HttpRequest) -> dict | None:
    if form.is_valid():
        return form.cleaned_data
    flash_form_errors(request, form)
    return None


def _file(request, report):
    services.report_file(actor=request.user, report=report)
    return _("The report is filed with your unit, which checks and submits it.")


def _submit(request, report):
    services.report_submit(actor=request.user, report=report)
    return _("The report is submitted to the agency.")


def _return(request, report):
    data = _valid(ReasonForm(request.POST), request)
    if data is None:
        return None
    services.report_return(actor=request.user, report=report, reason=data["reason"])
    return _("The report is returned to the leader.")


def _confirm(request, report):
    data = _valid(ConfirmForm(request.POST), request)
    if data is None:
        return None
    confirmed = services.report_confirm(actor=request.user, report=report, release_on=data.get("release_on"))
    return _("The report is confirmed (%(code)s).") % {"code": services.access_code(confirmed)}


def _publication(request, report):
    data = _valid(PublicationForm(request.POST), request)
    if data is None:
        return None
    services.record_publication(actor=request.user, report=report, note=data["note"])
    return _("The report is public from today (REPORTS §12(1)).")


def _extension(request, report):
    data = _valid(ExtensionForm(request.POST), request)
    if data is None:
        return None
    services.extension_request(
        actor=request.user, report=report, new_release_on=data["new_release_on"], reason=data["reason"]
    )
    return _("The extension is requested from the agency.")


def _extension_decision(request, report):
    data = _valid(ExtensionDecisionForm(request.POST), request)
    if data is None:
        return None
    extension = report.extensions.filter(pk=data["extension"]).first()
    if extension is None:
        raise Http404
    services.extension_decide(
        actor=request.user, extension=extension, approve=data["decision"] == "approve", note=data.get("note", "")
    )
    if data["decision"] == "approve":
        return _("The extension is approved: the report is released on %(day)s.") % {"day": extension.new_release_on}
    return _("The extension is refused.")


def _access_decision(request, report):
    data = _valid(AccessDecisionForm(request.POST), request)
    if data is None:
        return None
    access_request = report.access_requests.filter(pk=data["request"]).first()
    if access_request is None:
        raise Http404
    grant = data["decision"] == "grant"
    services.access_decide(
        actor=request.user, request=access_request, grant=grant, expires_on=data.get("expires_on") if grant else None
    )
    return _("The full text is authorised.") if grant else _("The request is refused.")


# Each action of the manage page with the policy that says whose it is.
ACTIONS = {
    "file": (_file, policies.may_file),
    "submit": (_submit, policies.may_check_for_unit),
    "return": (_return, policies.may_return),
    "confirm": (_confirm, policies.may_confirm_as_agency),
    "record-publication": (_publication, policies.may_speak_for_report),
    "request-extension": (_extension, policies.may_speak_for_report),
    "decide-extension": (_extension_decision, policies.may_confirm_as_agency),
    "decide-access": (_access_decision, policies.may_decide_access),
}
NOT_YOURS = gettext_lazy("This action is not yours to take on this report.")


@require_POST
@declare_access(REPORT_PAGES)
def report_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in ACTIONS:
        raise Http404
    report = selectors.report_get_for_user(request.user, pk)
    run, may_take = ACTIONS[action]
    if not may_take(request.user, report):
        messages.error(request, NOT_YOURS)
        return redirect("reports:report_detail", pk=report.pk)
    with refusals(request) as outcome:
        success = run(request, report)
    if not outcome.refused and success:
        messages.success(request, success)
    return redirect("reports:report_detail", pk=report.pk)


urlpatterns = [
    path("projects/<int:project_pk>/tech-reports/", project_reports, name="project_reports"),
    path("projects/<int:project_pk>/tech-reports/new/", report_new, name="report_new"),
    path("projects/<int:project_pk>/tech-reports/plan/", plan_add, name="plan_add"),
    path("reports/<int:pk>/", report_detail, name="report_detail"),
    path("reports/<int:pk>/edit/", report_edit, name="report_edit"),
    path("reports/<int:pk>/<str:action>/", report_action, name="report_action"),
]
