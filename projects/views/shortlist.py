"""Two-round calls (P3 — KRD-MGMT §26–29): first-round and defense results, the shortlist, and
the formal application from a shortlisted pre-application."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.access import declare_access, roles
from core.refusals import refusals
from projects import policies, selectors, services
from projects.views.common import back


def _score_view(service):
    @require_POST
    @declare_access(roles("agency", object_scoped=True))
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        """Record a review result (first round of a pre-application, defense of a formal one)."""
        proposal = selectors.proposal_get_for_user(request.user, pk)
        try:
            score = Decimal(request.POST.get("score", ""))
        except InvalidOperation:
            messages.error(request, _("Enter the score as a number."))
            return back(proposal, "#formal-review")
        with refusals(request) as outcome:
            service(actor=request.user, proposal=proposal, score=score)
        if not outcome.refused:
            messages.success(request, _("Review result recorded."))
        return back(proposal, "#formal-review")

    return view


first_round_score = _score_view(services.first_round_score_set)
defense_score = _score_view(services.defense_score_set)


@require_POST
@declare_access(roles("agency", object_scoped=True))
def shortlist_make(request: HttpRequest, pk: int) -> HttpResponse:
    call = selectors.call_get_for_user(request.user, pk)
    if not policies.manages_call(request.user, call):
        raise Http404
    with refusals(request) as outcome:
        outcomes = services.shortlist_make(actor=request.user, call=call)
    if not outcome.refused:
        for direction_outcome in outcomes:
            messages.success(
                request,
                _(
                    "Direction %(direction)s: %(shortlisted)d of %(candidates)d shortlisted (shortlist size %(size)d%(skipped)s)."
                )
                % {
                    "direction": direction_outcome.direction,
                    "shortlisted": len(direction_outcome.shortlisted),
                    "candidates": direction_outcome.candidates,
                    "size": direction_outcome.size,
                    "skipped": _(", first round skipped") if direction_outcome.first_round_skipped else "",
                },
            )
    return redirect("projects:call_detail", pk=call.pk)


@require_POST
@declare_access(roles("applicant", object_scoped=True))
def formal_from_pre(request: HttpRequest, pk: int) -> HttpResponse:
    pre = selectors.proposal_get_for_user(request.user, pk)
    with refusals(request) as outcome:
        formal = services.formal_from_pre(actor=request.user, pre_proposal=pre)
    if outcome.refused:
        return back(pre)
    return redirect("projects:proposal_detail", pk=formal.pk)


urlpatterns = [
    path("proposals/<int:pk>/first-round/", first_round_score, name="first_round_score"),
    path("proposals/<int:pk>/defense/", defense_score, name="defense_score"),
    path("proposals/<int:pk>/formal/", formal_from_pre, name="formal_from_pre"),
    path("calls/<int:pk>/shortlist/", shortlist_make, name="shortlist_make"),
]
