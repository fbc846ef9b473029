"""Suspected leaks (S10 — SECRETS-REGS §34): anyone signed in reports one; the secrecy officers
of the organisation concerned record the remedial measures and report it to the secrecy
authority within 24 hours. A report is seen by its reporter and those officers (404 otherwise)."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.access import AUTHENTICATED, authenticated, declare_access, roles
from core.refusals import refusals
from secrecy import policies, rules, selectors, services
from secrecy.forms import LeakActForm, LeakForm
from secrecy.models import LeakReport

OFFICERS = roles("secrecy_officer", object_scoped=True)
PAGE_SIZE = 30


def _due(leak: LeakReport) -> dt.datetime:
    return leak.reported_at + dt.timedelta(hours=rules.LEAK_REPORT_HOURS)


@require_http_methods(["GET", "POST"])
@declare_access(AUTHENTICATED)
def leak_new(request: HttpRequest) -> HttpResponse:
    user = request.user
    known = selectors.classifications_in_force_for_user(user)
    chosen = request.GET.get("classification", "")
    initial = {"organisation": user.organisation_id}
    if chosen.isdigit():
        initial["classification"] = chosen
    form = LeakForm(request.POST or None, initial=initial, classifications=known if known.exists() else None)
    if request.method == "POST" and form.is_valid():
        with refusals(request, form=form, flash=True) as outcome:
            leak = services.leak_report(
                actor=user,
                description=form.cleaned_data["description"],
                organisation=form.cleaned_data["organisation"],
                classification=form.cleaned_data.get("classification"),
            )
        if not outcome.refused:
            messages.success(
                request,
                _(
                    "Thank you: the report is recorded and the secrecy officers of %(organisation)s are told. "
                    "They take remedial measures and report it within 24 hours (SECRETS-REGS §34)."
                )
                % {"organisation": leak.organisation},
            )
            return redirect("secrecy:leak_detail", pk=leak.pk)
    return render(request, "secrecy/leak_form.html", {"form": form})


@require_GET
@declare_access(roles("secrecy_officer"))
def leak_list(request: HttpRequest) -> HttpResponse:
    """The reports concerning the officer's organisation, newest first."""
    leaks = selectors.leaks_for_user(request.user).filter(organisation_id=request.user.organisation_id)
    page = Paginator(leaks.order_by("-reported_at", "-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(leak, _due(leak)) for leak in page.object_list]
    return render(request, "secrecy/leak_list.html", {"page": page, "rows": rows})


@require_GET
@declare_access(authenticated(object_scoped=True))
def leak_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    leak = selectors.leak_get_for_user(user, pk)
    may_act = policies.may_act_on_leak(user, leak)
    knows_classification = selectors.knows(user, leak.classification_id)
    return render(
        request,
        "secrecy/leak_detail.html",
        {
            "leak": leak,
            "due": _due(leak),
            "is_officer": may_act,
            "may_act": may_act and leak.state != LeakReport.State.ESCALATED,
            "may_escalate": may_act and leak.state == LeakReport.State.ACTED,
            "act_form": LeakActForm(initial={"measures": leak.measures}),
            "knows_classification": knows_classification,
        },
    )


def _leak_action(request: HttpRequest, pk: int, run, done: str) -> HttpResponse:
    leak = selectors.leak_get_for_user(request.user, pk)
    with refusals(request) as outcome:
        run(leak)
    if not outcome.refused:
        messages.success(request, done)
    return redirect("secrecy:leak_detail", pk=leak.pk)


@require_POST
@declare_access(OFFICERS)
def leak_act(request: HttpRequest, pk: int) -> HttpResponse:
    form = LeakActForm(request.POST)
    if not form.is_valid():
        selectors.leak_get_for_user(request.user, pk)
        messages.error(request, _("Describe the remedial measures."))
        return redirect("secrecy:leak_detail", pk=pk)
    return _leak_action(
        request,
        pk,
        lambda leak: services.leak_act(actor=request.user, leak=leak, measures=form.cleaned_data["measures"]),
        _("The remedial measures are recorded."),
    )


@require_POST
@declare_access(OFFICERS)
def leak_escalate(request: HttpRequest, pk: int) -> HttpResponse:
    return _leak_action(
        request,
        pk,
        lambda leak: services.leak_escalate(actor=request.user, leak=leak),
        _("Recorded as reported to the secrecy authority."),
    )


urlpatterns = [
    path("secrecy/leaks/", leak_list, name="leak_list"),
    path("secrecy/leaks/new/", leak_new, name="leak_new"),
    path("secrecy/leaks/<int:pk>/", leak_detail, name="leak_detail"),
    path("secrecy/leaks/<int:pk>/measures/", leak_act, name="leak_act"),
    path("secrecy/leaks/<int:pk>/escalate/", leak_escalate, name="leak_escalate"),
]
