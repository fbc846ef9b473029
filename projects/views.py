from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.access import PUBLIC, declare_access, roles
from core.exceptions import RuleViolation, StateConflict
from projects import rules, selectors, services
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
    manages = selectors.call_is_managed_by(request.user, call)
    return render(
        request,
        "projects/call_detail.html",
        {
            "call": call,
            "directions": call.directions.all(),
            "manages": manages,
            "direction_form": CallDirectionForm() if manages and call.state == call.State.DRAFT else None,
            "earliest_birth_date": rules.earliest_birth_date(guide_year=call.year, max_age=call.leader_max_age)
            if call.leader_max_age
            else None,
        },
    )


@require_http_methods(["GET", "POST"])
@declare_access(roles("agency"))
def call_create(request: HttpRequest) -> HttpResponse:
    form = CallForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = {name: value for name, value in form.cleaned_data.items() if name != "invited_organisations"}
        try:
            call = services.call_create(actor=request.user, **data)
        except PermissionDenied as error:
            raise Http404 from error
        call.invited_organisations.set(form.cleaned_data["invited_organisations"])
        messages.success(request, _("The call guide was saved as a draft."))
        return redirect("projects:call_detail", pk=call.pk)
    return render(request, "projects/call_form.html", {"form": form})


@require_http_methods(["GET", "POST"])
@declare_access(roles("agency", object_scoped=True))
def call_edit(request: HttpRequest, pk: int) -> HttpResponse:
    call = selectors.call_get_for_user(request.user, pk)
    if not selectors.call_is_managed_by(request.user, call):
        raise Http404
    form = CallForm(request.POST or None, instance=call, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.changed_data if name != "invited_organisations"}
        try:
            if data:
                services.call_update(actor=request.user, call=call, **data)
            if "invited_organisations" in form.changed_data:
                call.invited_organisations.set(form.cleaned_data["invited_organisations"])
        except StateConflict as error:
            messages.error(request, error.message)
            return redirect("projects:call_detail", pk=call.pk)
        messages.success(request, _("The call guide was saved."))
        return redirect("projects:call_detail", pk=call.pk)
    return render(request, "projects/call_form.html", {"form": form, "call": call})


@require_POST
@declare_access(roles("agency", object_scoped=True))
def call_direction_add(request: HttpRequest, pk: int) -> HttpResponse:
    call = selectors.call_get_for_user(request.user, pk)
    if not selectors.call_is_managed_by(request.user, call):
        raise Http404
    form = CallDirectionForm(request.POST)
    if form.is_valid():
        try:
            services.call_direction_add(actor=request.user, call=call, **form.cleaned_data)
        except StateConflict as error:
            messages.error(request, error.message)
        else:
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
    call = selectors.call_get_for_user(request.user, pk)
    if not selectors.call_is_managed_by(request.user, call):
        raise Http404
    try:
        services.call_publish(actor=request.user, call=call)
    except (RuleViolation, StateConflict) as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The call guide is published; applications are open."))
    return redirect("projects:call_detail", pk=call.pk)
