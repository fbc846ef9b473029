"""The submission chain on the proposal's page: the applicant submits (every eligibility check
runs, P2) or withdraws, the lead unit submits, the recommending department recommends (P12),
and any of them returns the proposal to its applicant."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core.access import declare_access, roles
from core.refusals import refusals
from projects import selectors, services
from projects.forms import ReturnForm
from projects.views.common import findings_listed

PROPOSAL_ACTIONS = {
    "submit": (
        roles("applicant", object_scoped=True),
        services.proposal_submit,
        gettext_lazy("Submitted to your unit."),
    ),
    "unit-submit": (
        roles("unit_admin", object_scoped=True),
        services.proposal_unit_submit,
        gettext_lazy("Submitted for the unit."),
    ),
    "recommend": (
        roles("recommender", object_scoped=True),
        services.proposal_recommend,
        gettext_lazy("Recommended to the agency."),
    ),
    "withdraw": (
        roles("applicant", object_scoped=True),
        services.proposal_withdraw,
        gettext_lazy("The proposal was withdrawn."),
    ),
}


def _proposal_action(name: str):
    policy, service, done = PROPOSAL_ACTIONS[name]

    @require_POST
    @declare_access(policy)
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        proposal = selectors.proposal_get_for_user(request.user, pk)
        with refusals(request) as outcome, findings_listed():
            service(actor=request.user, proposal=proposal)
        if not outcome.refused:
            messages.success(request, done)
        return redirect("projects:proposal_detail", pk=proposal.pk)

    view.__name__ = f"proposal_{name.replace('-', '_')}"
    return view


proposal_submit = _proposal_action("submit")
proposal_unit_submit = _proposal_action("unit-submit")
proposal_recommend = _proposal_action("recommend")
proposal_withdraw = _proposal_action("withdraw")


@require_POST
@declare_access(roles("unit_admin", "recommender", "agency", object_scoped=True))
def proposal_return(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = selectors.proposal_get_for_user(request.user, pk)
    form = ReturnForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the reason for returning the proposal."))
        return redirect("projects:proposal_detail", pk=proposal.pk)
    with refusals(request) as outcome:
        services.proposal_return(actor=request.user, proposal=proposal, reason=form.cleaned_data["reason"])
    if outcome.refused:
        return redirect("projects:proposal_detail", pk=proposal.pk)
    messages.success(request, _("The proposal was returned to its applicant."))
    return redirect("projects:proposal_list")


urlpatterns = [
    path("proposals/<int:pk>/submit/", proposal_submit, name="proposal_submit"),
    path("proposals/<int:pk>/unit-submit/", proposal_unit_submit, name="proposal_unit_submit"),
    path("proposals/<int:pk>/recommend/", proposal_recommend, name="proposal_recommend"),
    path("proposals/<int:pk>/return/", proposal_return, name="proposal_return"),
    path("proposals/<int:pk>/withdraw/", proposal_withdraw, name="proposal_withdraw"),
]
