"""The proposed list, the ministry's compliance review, public notice (公示) and objections
(P5 — KRD-MGMT §31–32)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.db.models import F, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.access import PUBLIC, declare_access, roles
from core.refusals import refusals
from projects import selectors, services
from projects.forms import ObjectionForm, ResolveForm
from projects.models import Proposal
from projects.views.common import back


@require_POST
@declare_access(roles("agency", object_scoped=True))
def proposal_propose(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = selectors.proposal_get_for_user(request.user, pk)
    with refusals(request) as outcome:
        services.proposal_propose(actor=request.user, proposal=proposal)
    if not outcome.refused:
        messages.success(request, _("Put on the proposed list for the ministry's compliance review."))
    return back(proposal)


@require_http_methods(["GET", "POST"])
@declare_access(roles("ministry", object_scoped=True))
def compliance_review(request: HttpRequest, pk: int) -> HttpResponse:
    """MOST's compliance review of a call's proposed projects (KRD-MGMT §32)."""
    call = selectors.call_get_for_user(request.user, pk)
    proposed = (
        selectors.proposals_for_user(request.user)
        .filter(call=call, state=Proposal.State.PROPOSED)
        .order_by(F("defense_score").desc(nulls_last=True), "pk")
    )
    if request.method == "POST":
        if request.POST.get("return_id"):
            proposal = proposed.filter(pk=request.POST["return_id"]).first()
            if proposal is None:
                raise Http404
            with refusals(request) as outcome:
                services.compliance_return(actor=request.user, proposal=proposal, reason=request.POST.get("reason", ""))
            if not outcome.refused:
                messages.success(request, _("Returned to the agency."))
        else:
            chosen = list(proposed.filter(pk__in=request.POST.getlist("approve")))
            with refusals(request) as outcome:
                services.compliance_approve(actor=request.user, call=call, proposals=chosen)
            if not outcome.refused:
                messages.success(request, _("Approved: the projects are on public notice."))
        return redirect("projects:compliance_review", pk=call.pk)
    return render(
        request,
        "projects/compliance_review.html",
        {"call": call, "proposed": proposed.annotate(central_funds=Sum("subjects__requested_funds"))},
    )


@require_GET
@declare_access(PUBLIC)
def public_notice_list(request: HttpRequest) -> HttpResponse:
    notices = selectors.public_notices_for_public(request.user).order_by("-starts_at")
    return render(request, "projects/public_notice_list.html", {"notices": notices, "now": timezone.now()})


@require_http_methods(["GET", "POST"])
@declare_access(PUBLIC)  # a secret call has no public notice page: 404
def public_notice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    notice = selectors.public_notices_for_public(request.user).filter(pk=pk).first()
    if notice is None:
        raise Http404
    form = ObjectionForm(request.POST or None)
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if form.is_valid():
            proposal = (
                selectors.public_notice_entries(notice, request.user).filter(pk=form.cleaned_data["proposal"]).first()
            )
            if proposal is None:
                raise Http404
            with refusals(request) as outcome:
                services.objection_raise(
                    actor=request.user, notice=notice, proposal=proposal, text=form.cleaned_data["text"]
                )
            if not outcome.refused:
                messages.success(request, _("Your objection was received; the agency will resolve it."))
            return redirect("projects:public_notice_detail", pk=notice.pk)
    now = timezone.now()
    return render(
        request,
        "projects/public_notice_detail.html",
        {
            "notice": notice,
            "entries": selectors.public_notice_entries(notice, request.user),
            "is_open": not notice.is_closed and notice.starts_at <= now < notice.ends_at,
        },
    )


@require_POST
@declare_access(roles("agency", object_scoped=True))
def objection_resolve(request: HttpRequest, pk: int, objection_pk: int) -> HttpResponse:
    proposal = selectors.proposal_get_for_user(request.user, pk)
    objection = proposal.objections.filter(pk=objection_pk).first()
    if objection is None:
        raise Http404
    form = ResolveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a decision and write the resolution."))
        return back(proposal, "#notice")
    with refusals(request):
        services.objection_resolve(
            actor=request.user,
            objection=objection,
            sustained=form.cleaned_data["sustained"],
            resolution=form.cleaned_data["resolution"],
        )
    return back(proposal, "#notice")


urlpatterns = [
    path("proposals/<int:pk>/propose/", proposal_propose, name="proposal_propose"),
    path("proposals/<int:pk>/objections/<int:objection_pk>/resolve/", objection_resolve, name="objection_resolve"),
    path("calls/<int:pk>/compliance/", compliance_review, name="compliance_review"),
    path("public-notices/", public_notice_list, name="public_notice_list"),
    path("public-notices/<int:pk>/", public_notice_detail, name="public_notice_detail"),
]
