"""Review pages: the agency's assignment of experts to a round (V1 — KRD-MGMT §26) and each
expert's declaration of conflicts before the materials open."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.db.models import Count, Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from core.access import declare_access, roles
from core.refusals import refusals
from reviews import policies, selectors
from reviews.models import Assignment, Expert, ReviewItem
from reviews.services import assignment as services

SHORTFALL_MESSAGES = 20


class SwapForm(forms.Form):
    expert_id_number = forms.CharField(label=gettext_lazy("ID number of the new expert"), max_length=40)
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=300)


class DeclarationForm(forms.Form):
    has_conflict = forms.TypedChoiceField(
        label=gettext_lazy("Do you have a conflict of interest with this application?"),
        choices=[("0", gettext_lazy("No conflict")), ("1", gettext_lazy("I have a conflict and withdraw"))],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=gettext_lazy("The conflict (when there is one)"), max_length=300, required=False, widget=forms.Textarea
    )


def _assignment_for_agency(user, pk: int) -> Assignment:
    """An assignment of a round the user manages or oversees; 404 for anything else."""
    return selectors.assignment_get_for_agency(user, pk)


@require_http_methods(["GET"])
@declare_access(roles("agency", "ministry", "admin", object_scoped=True))
def round_assignment(request: HttpRequest, pk: int) -> HttpResponse:
    """Groups and their members, items and their experts, and items under the minimum —
    in a fixed number of queries whatever the size of the round."""
    review_round = selectors.round_get_for_user(request.user, pk)
    active = Q(assignments__state__in=services.ACTIVE_STATES)
    items = list(
        selectors.items_of_round(request.user, review_round)
        .select_related("proposal__lead_unit", "project", "group")
        .annotate(active_count=Count("assignments", filter=active))
        .prefetch_related(
            Prefetch(
                "assignments",
                queryset=Assignment.objects.select_related("expert__organisation").order_by("state", "id"),
            )
        )
        .order_by("group_id", "id")
    )
    groups = list(
        review_round.groups.prefetch_related(Prefetch("members", queryset=Expert.objects.order_by("name", "id")))
    )
    by_group: dict[int | None, list[ReviewItem]] = {}
    for item in items:
        item.is_short = item.active_count < review_round.min_experts
        by_group.setdefault(item.group_id, []).append(item)
    sections = [(group, by_group.get(group.pk, [])) for group in groups]
    if None in by_group:
        sections.append((None, by_group[None]))
    may_manage = policies.may_manage_round(request.user, review_round)
    return render(
        request,
        "reviews/assignment_round.html",
        {
            "review_round": review_round,
            "sections": sections,
            "short_count": sum(1 for item in items if item.is_short),
            "item_count": len(items),
            "may_manage": may_manage,
            "may_assign": may_manage and review_round.state in services.OPEN_FOR_ASSIGNMENT,
            "may_swap": may_manage and review_round.state in services.OPEN_FOR_CHANGES,
            "swap_form": SwapForm(),
        },
    )


@require_POST
@declare_access(roles("agency", object_scoped=True))
def round_assign(request: HttpRequest, pk: int) -> HttpResponse:
    review_round = selectors.round_get_for_user(request.user, pk)
    with refusals(request) as outcome:
        short = services.round_assign(actor=request.user, review_round=review_round)
    if outcome.refused:
        return redirect("reviews:round_assignment", pk=pk)
    if not short:
        messages.success(request, _("Experts are assigned: every application has at least the minimum."))
        return redirect("reviews:round_assignment", pk=pk)
    messages.warning(
        request,
        _("%(count)d application(s) could not reach the minimum of %(minimum)d experts (V1).")
        % {"count": len(short), "minimum": review_round.min_experts},
    )
    shown = list(short)[:SHORTFALL_MESSAGES]
    titles = {
        item.pk: str(item)
        for item in selectors.items_of_round(request.user, review_round)
        .filter(pk__in=shown)
        .select_related("proposal", "project")
    }
    for item_id in shown:
        messages.warning(request, f"{titles.get(item_id, item_id)}: {short[item_id]}")
    return redirect("reviews:round_assignment", pk=pk)


@require_POST
@declare_access(roles("agency", object_scoped=True))
def assignment_swap(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = _assignment_for_agency(request.user, pk)
    round_pk = assignment.item.review_round_id
    form = SwapForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the new expert's ID number and the reason for the change."))
        return redirect("reviews:round_assignment", pk=round_pk)
    expert = (
        selectors.experts_for_user(request.user)
        .filter(id_number__iexact=form.cleaned_data["expert_id_number"].strip())
        .first()
    )
    if expert is None:
        messages.error(request, _("No expert of the library has this ID number."))
        return redirect("reviews:round_assignment", pk=round_pk)
    with refusals(request) as outcome:
        services.assignment_swap(
            actor=request.user, assignment=assignment, expert=expert, reason=form.cleaned_data["reason"]
        )
    if not outcome.refused:
        messages.success(
            request,
            _("%(old)s is replaced by %(new)s.") % {"old": assignment.expert, "new": expert},
        )
    return redirect("reviews:round_assignment", pk=round_pk)


@require_http_methods(["GET", "POST"])
@declare_access(roles("expert", object_scoped=True))
def assignment_declare(request: HttpRequest, pk: int) -> HttpResponse:
    """The expert's own assignment only (404 for anyone else's)."""
    assignment = selectors.assignment_get_for_expert(request.user, pk)
    form = DeclarationForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            with refusals(request) as outcome:
                services.assignment_declare(
                    actor=request.user,
                    assignment=assignment,
                    has_conflict=form.cleaned_data["has_conflict"],
                    conflict_note=form.cleaned_data["note"],
                )
            if not outcome.refused:
                messages.success(
                    request,
                    _("You have withdrawn from this application; another expert will review it.")
                    if form.cleaned_data["has_conflict"]
                    else _("Declaration recorded: the materials are open to you."),
                )
            return redirect("reviews:assignment_declare", pk=pk)
        messages.error(request, _("Say whether you have a conflict of interest."))
    return render(
        request,
        "reviews/assignment_declare.html",
        {"assignment": assignment, "item": assignment.item, "form": form, "is_open": assignment.state == "assigned"},
    )


urlpatterns = [
    path("reviews/rounds/<int:pk>/assignment/", round_assignment, name="round_assignment"),
    path("reviews/rounds/<int:pk>/assign/", round_assign, name="round_assign"),
    path("reviews/assignments/<int:pk>/swap/", assignment_swap, name="assignment_swap"),
    path("reviews/assignments/<int:pk>/declare/", assignment_declare, name="assignment_declare"),
]
