"""Pages of call guides (指南): the list, a call's page, drafting, directions and publication
(P1 — KRD-MGMT §21)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.access import PUBLIC, declare_access, roles
from core.refusals import refusals
from projects import policies, rules, selectors, services
from projects.forms import CallDirectionForm, CallForm


@require_GET
@declare_access(PUBLIC)
def call_list(request: HttpRequest) -> HttpResponse:
    calls = selectors.calls_for_user(request.user).order_by("-published_at", "-id")
    return render(
        request,
        "projects/call_list.html",
        {"calls": calls, "is_agency": request.user.is_authenticated and request.user.has_role("agency")},
    )


@require_GET
@declare_access(PUBLIC)  # object-scoped through calls_for_user: unknown and hidden calls are 404
def call_detail(request: HttpRequest, pk: int) -> HttpResponse:
    call = selectors.call_get_for_user(request.user, pk)
    manages = policies.manages_call(request.user, call)
    return render(
        request,
        "projects/call_detail.html",
        {
            "call": call,
            "directions": call.directions.all(),
            "manages": manages,
            "can_apply": call.is_open and request.user.is_authenticated and request.user.has_role("applicant"),
            "library_entries": selectors.library_entries_for_user(request.user)
            if call.special_project.program.code == "intl"
            else None,
            "direction_form": CallDirectionForm() if manages and call.state == call.State.DRAFT else None,
            "earliest_birth_date": rules.earliest_birth_date(guide_year=call.year, max_age=call.leader_max_age)
            if call.leader_max_age
            else None,
        },
    )


def _managed_call(request: HttpRequest, pk: int):
    """The call ``pk`` when the user's agency manages it; 404 otherwise."""
    call = selectors.call_get_for_user(request.user, pk)
    if not policies.manages_call(request.user, call):
        raise Http404
    return call


@require_http_methods(["GET", "POST"])
@declare_access(roles("agency"))
def call_create(request: HttpRequest) -> HttpResponse:
    form = CallForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = {name: value for name, value in form.cleaned_data.items() if name != "invited_organisations"}
        with refusals(request, form=form) as outcome:
            call = services.call_create(actor=request.user, **data)
            call.invited_organisations.set(form.cleaned_data["invited_organisations"])
        if not outcome.refused:
            messages.success(request, _("The call guide was saved as a draft."))
            return redirect("projects:call_detail", pk=call.pk)
    return render(request, "projects/call_form.html", {"form": form})


@require_http_methods(["GET", "POST"])
@declare_access(roles("agency", object_scoped=True))
def call_edit(request: HttpRequest, pk: int) -> HttpResponse:
    call = _managed_call(request, pk)
    form = CallForm(request.POST or None, instance=call, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.changed_data if name != "invited_organisations"}
        with refusals(request) as outcome:
            if data:
                services.call_update(actor=request.user, call=call, **data)
            if "invited_organisations" in form.changed_data:
                call.invited_organisations.set(form.cleaned_data["invited_organisations"])
        if not outcome.refused:
            messages.success(request, _("The call guide was saved."))
        return redirect("projects:call_detail", pk=call.pk)
    return render(request, "projects/call_form.html", {"form": form, "call": call})


@require_POST
@declare_access(roles("agency", object_scoped=True))
def call_direction_add(request: HttpRequest, pk: int) -> HttpResponse:
    call = _managed_call(request, pk)
    form = CallDirectionForm(request.POST)
    if form.is_valid():
        with refusals(request) as outcome:
            services.call_direction_add(actor=request.user, call=call, **form.cleaned_data)
        if not outcome.refused:
            messages.success(request, _("Direction added."))
        return redirect("projects:call_detail", pk=call.pk)
    return render(
        request,
        "projects/call_detail.html",
        {"call": call, "directions": call.directions.all(), "manages": True, "direction_form": form},
        status=400,
    )


@require_POST
@declare_access(roles("agency", object_scoped=True))
def call_publish(request: HttpRequest, pk: int) -> HttpResponse:
    call = _managed_call(request, pk)
    with refusals(request) as outcome:
        services.call_publish(actor=request.user, call=call)
    if not outcome.refused:
        messages.success(request, _("The call guide is published; applications are open."))
    return redirect("projects:call_detail", pk=call.pk)


urlpatterns = [
    path("calls/", call_list, name="call_list"),
    path("calls/new/", call_create, name="call_create"),
    path("calls/<int:pk>/", call_detail, name="call_detail"),
    path("calls/<int:pk>/edit/", call_edit, name="call_edit"),
    path("calls/<int:pk>/directions/", call_direction_add, name="call_direction_add"),
    path("calls/<int:pk>/publish/", call_publish, name="call_publish"),
]
