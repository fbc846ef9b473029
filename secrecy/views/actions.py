"""The actions on a classification decision, one POST route each: need-to-know entries (S6),
change, extension and early declassification (S4), provisional levels and objections (S7),
secrecy reviews (S9). Each calls its service and goes back to the decision with a message;
a decision the user may not know of answers 404."""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.db.models import Model
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core.access import authenticated, declare_access
from core.refusals import flash_form_errors, refusals
from secrecy import selectors, services
from secrecy.forms import (
    ChangeForm,
    ConfirmProvisionalForm,
    DeclassifyForm,
    DisputeDecideForm,
    DisputeForm,
    ExtendForm,
    GrantForm,
    ReviewDecideForm,
    ReviewRequestForm,
)
from secrecy.models import Classification

# The services decide who may act (the deciding authority's officers, its head, a listed
# organisation's administrators, anyone on the list); the route admits anyone who may know of
# the decision.
ACTORS = authenticated(object_scoped=True)


def _child(classification: Classification, relation: str, pk: int) -> Model:
    row = getattr(classification, relation).filter(pk=pk).first()
    if row is None:
        raise Http404
    return row


def _act(
    request: HttpRequest,
    pk: int,
    run: Callable[[Classification, dict], object],
    done: str | Promise,
    form: forms.Form | None = None,
) -> HttpResponse:
    """Validate ``form`` (if any), run the service, report the outcome as a message."""
    classification = selectors.classification_get_for_decider(request.user, pk)
    if form is not None and not form.is_valid():
        flash_form_errors(request, form)
        return redirect("secrecy:classification_detail", pk=pk)
    with refusals(request) as outcome:
        run(classification, form.cleaned_data if form is not None else {})
    if not outcome.refused:
        messages.success(request, done)
    return redirect("secrecy:classification_detail", pk=pk)


# ---- Need-to-know (S6) ------------------------------------------------------------------------------


@require_POST
@declare_access(ACTORS)
def grant_add(request: HttpRequest, pk: int) -> HttpResponse:
    def run(classification, data):
        grant = services.grant_add(
            actor=request.user,
            classification=classification,
            user=data["user"],
            organisation=data["organisation"],
            reason=data["reason"],
        )
        if grant.is_pending:
            messages.info(request, _("The addition waits for the approval of the authority's head (SECRETS-LAW §16)."))

    return _act(request, pk, run, gettext_lazy("The need-to-know list is updated."), GrantForm(request.POST))


@require_POST
@declare_access(ACTORS)
def grant_approve(request: HttpRequest, pk: int, grant_pk: int) -> HttpResponse:
    def run(classification, data):
        services.grant_approve(actor=request.user, grant=_child(classification, "grants", grant_pk))

    return _act(request, pk, run, gettext_lazy("The addition is approved."))


@require_POST
@declare_access(ACTORS)
def grant_revoke(request: HttpRequest, pk: int, grant_pk: int) -> HttpResponse:
    def run(classification, data):
        services.grant_revoke(actor=request.user, grant=_child(classification, "grants", grant_pk))

    return _act(request, pk, run, gettext_lazy("Removed from the need-to-know list."))


# ---- Changes, extension, declassification (S4) -------------------------------------------------------


@require_POST
@declare_access(ACTORS)
def classification_change(request: HttpRequest, pk: int) -> HttpResponse:
    form = ChangeForm(request.POST)

    def run(classification, data):
        services.classification_change(actor=request.user, classification=classification, **form.service_fields())

    return _act(request, pk, run, gettext_lazy("The decision is changed; the list is told in writing."), form)


@require_POST
@declare_access(ACTORS)
def classification_extend(request: HttpRequest, pk: int) -> HttpResponse:
    def run(classification, data):
        services.classification_extend(
            actor=request.user,
            classification=classification,
            reason=data["reason"],
            period_years=data["period_years"],
            declassify_on=data["declassify_on"],
        )

    return _act(
        request, pk, run, gettext_lazy("The period is extended; the list is told in writing."), ExtendForm(request.POST)
    )


@require_POST
@declare_access(ACTORS)
def classification_declassify(request: HttpRequest, pk: int) -> HttpResponse:
    def run(classification, data):
        services.classification_declassify(
            actor=request.user, classification=classification, ending=data["ending"], reason=data["reason"]
        )

    return _act(request, pk, run, gettext_lazy("The item is declassified."), DeclassifyForm(request.POST))


# ---- Provisional levels and objections (S7) ---------------------------------------------------------


@require_POST
@declare_access(ACTORS)
def provisional_report(request: HttpRequest, pk: int) -> HttpResponse:
    def run(classification, data):
        services.provisional_report(actor=request.user, classification=classification)

    return _act(request, pk, run, gettext_lazy("The provisional level is reported for a decision."))


@require_POST
@declare_access(ACTORS)
def provisional_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    def run(classification, data):
        services.provisional_confirm(actor=request.user, classification=classification, level=data["level"] or None)

    return _act(request, pk, run, gettext_lazy("The level is decided."), ConfirmProvisionalForm(request.POST))


@require_POST
@declare_access(ACTORS)
def dispute_raise(request: HttpRequest, pk: int) -> HttpResponse:
    def run(classification, data):
        services.dispute_raise(
            actor=request.user,
            classification=classification,
            claimed_level=data["claimed_level"],
            reason=data["reason"],
        )

    return _act(
        request,
        pk,
        run,
        gettext_lazy("Your objection is recorded: the item is handled at the highest level claimed until decided."),
        DisputeForm(request.POST),
    )


@require_POST
@declare_access(ACTORS)
def dispute_decide(request: HttpRequest, pk: int, dispute_pk: int) -> HttpResponse:
    def run(classification, data):
        services.dispute_decide(
            actor=request.user, dispute=_child(classification, "disputes", dispute_pk), level=data["level"]
        )

    return _act(request, pk, run, gettext_lazy("The objection is decided."), DisputeDecideForm(request.POST))


# ---- Secrecy reviews (S9) ---------------------------------------------------------------------------


@require_POST
@declare_access(ACTORS)
def review_request(request: HttpRequest, pk: int) -> HttpResponse:
    def run(classification, data):
        services.review_request(actor=request.user, classification=classification, **data)

    return _act(request, pk, run, gettext_lazy("The secrecy review is requested."), ReviewRequestForm(request.POST))


@require_POST
@declare_access(ACTORS)
def review_decide(request: HttpRequest, pk: int, review_pk: int) -> HttpResponse:
    def run(classification, data):
        services.review_decide(
            actor=request.user,
            review=_child(classification, "reviews", review_pk),
            approve=data["decision"] == "approve",
            conditions=data["conditions"],
        )

    return _act(request, pk, run, gettext_lazy("The secrecy review is decided."), ReviewDecideForm(request.POST))


PREFIX = "secrecy/classifications/<int:pk>/"

urlpatterns = [
    path(f"{PREFIX}grants/", grant_add, name="grant_add"),
    path(f"{PREFIX}grants/<int:grant_pk>/approve/", grant_approve, name="grant_approve"),
    path(f"{PREFIX}grants/<int:grant_pk>/revoke/", grant_revoke, name="grant_revoke"),
    path(f"{PREFIX}change/", classification_change, name="classification_change"),
    path(f"{PREFIX}extend/", classification_extend, name="classification_extend"),
    path(f"{PREFIX}declassify/", classification_declassify, name="classification_declassify"),
    path(f"{PREFIX}provisional/report/", provisional_report, name="provisional_report"),
    path(f"{PREFIX}provisional/confirm/", provisional_confirm, name="provisional_confirm"),
    path(f"{PREFIX}disputes/", dispute_raise, name="dispute_raise"),
    path(f"{PREFIX}disputes/<int:dispute_pk>/decide/", dispute_decide, name="dispute_decide"),
    path(f"{PREFIX}reviews/", review_request, name="review_request"),
    path(f"{PREFIX}reviews/<int:review_pk>/decide/", review_decide, name="review_decide"),
]
