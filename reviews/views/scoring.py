"""Review pages: scoring — the agency's rounds (settings, criteria, state actions, ranking per
group, PDFs), the expert's assignments (declaration, scoring form, watermarked materials) and
the public list of a published round's experts (KRD-MGMT §26)."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.access import PUBLIC, declare_access, roles
from core.refusals import refusals
from projects.selectors import calls_for_user
from reviews import documents, policies, selectors
from reviews.models import Assignment, Expert, ReviewItem, ReviewRound
from reviews.services import scoring

AGENCY_PAGES = roles("agency", "ministry", "admin", object_scoped=True)
EXPERT_PAGES = roles("expert", object_scoped=True)


class RoundForm(forms.ModelForm):
    deadline = forms.DateTimeField(
        label=gettext_lazy("Scoring deadline"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=gettext_lazy("Beijing time. Experts are reminded before it and late experts are recorded (V4)."),
    )
    criteria = forms.CharField(
        label=gettext_lazy("Criteria"),
        widget=forms.Textarea(attrs={"rows": 4}),
        initial="创新性 | 40 | 100\n可行性 | 30 | 100\n团队与基础 | 30 | 100",
        help_text=gettext_lazy("One per line: name | weight | highest score."),
    )

    class Meta:
        model = ReviewRound
        fields = [
            "title",
            "kind",
            "method",
            "aggregation",
            "group_size",
            "min_experts",
            "deadline",
            "hide_identities",
            "collaboration_years",
            "max_rounds_per_year",
            "disagreement_points",
        ]

    def clean_criteria(self) -> list[dict]:
        rows = []
        for number, line in enumerate(self.cleaned_data["criteria"].splitlines(), start=1):
            if not line.strip():
                continue
            parts = [part.strip() for part in line.split("|")]
            try:
                rows.append(
                    {
                        "name": parts[0],
                        "weight": Decimal(parts[1]) if len(parts) > 1 else Decimal(1),
                        "scale_max": int(parts[2]) if len(parts) > 2 else 100,
                    }
                )
            except (ArithmeticError, ValueError) as error:
                raise forms.ValidationError(
                    _("Line %(number)d: write name | weight | highest score.") % {"number": number}
                ) from error
        if not rows:
            raise forms.ValidationError(_("Give at least one criterion."))
        return rows


# ---- Agency pages --------------------------------------------------------------------------------


@require_GET
@declare_access(AGENCY_PAGES)
def round_list(request: HttpRequest) -> HttpResponse:
    rounds = selectors.rounds_for_user(request.user).annotate(item_count=selectors.item_count(request.user))
    return render(
        request, "reviews/round_list.html", {"rounds": rounds, "may_create": policies.may_create_rounds(request.user)}
    )


@require_http_methods(["GET", "POST"])
@declare_access(roles("agency", object_scoped=True))
def round_create(request: HttpRequest) -> HttpResponse:
    managed = calls_for_user(request.user).filter(special_project__managing_agency_id=request.user.organisation_id)
    chosen = request.GET.get("call") or request.POST.get("call")
    if not chosen:
        calls = managed.select_related("special_project").order_by("-year", "-id")[:100]
        return render(request, "reviews/round_form.html", {"calls": calls})
    call = managed.filter(pk=chosen if str(chosen).isdigit() else 0).first()
    if call is None:
        raise Http404
    form = RoundForm(request.POST or None, initial={"title": f"{call.title} · {_('first-round review')}"})
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        criteria = data.pop("criteria")
        title = data.pop("title")
        kind = data.pop("kind")
        with refusals(request, form=form) as outcome:
            review_round = scoring.round_create(
                actor=request.user, call=call, kind=kind, title=title, criteria=criteria, **data
            )
        if not outcome.refused:
            messages.success(request, _("The round is created. Assign its experts next."))
            return redirect("reviews:round_detail", pk=review_round.pk)
    return render(request, "reviews/round_form.html", {"form": form, "call": call})


def _assign_url(review_round: ReviewRound) -> str:
    return reverse("reviews:round_assignment", args=[review_round.pk])


class ExtendForm(forms.Form):
    """More time for the experts of an open round (V4)."""

    deadline = forms.DateTimeField(
        label=gettext_lazy("New deadline"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )


@require_GET
@declare_access(AGENCY_PAGES)
def round_detail(request: HttpRequest, pk: int) -> HttpResponse:
    review_round = selectors.round_get_for_user(request.user, pk)
    items = (
        selectors.items_of_round(request.user, review_round)
        .select_related("group", "proposal", "project")
        .annotate(
            expert_count=Count("assignments", filter=~Q(assignments__state=Assignment.State.WITHDRAWN)),
            submitted_count=Count("assignments", filter=Q(assignments__state=Assignment.State.SUBMITTED)),
        )
        .order_by("group_id", "rank", "id")
    )
    groups: dict[str, list[ReviewItem]] = {}
    for item in items:
        groups.setdefault(item.group.name if item.group else _("Without a group"), []).append(item)
    return render(
        request,
        "reviews/round_detail.html",
        {
            "round": review_round,
            "criteria": list(review_round.criteria.all()),
            "groups": list(groups.items()),
            "may_run": policies.may_manage_round(request.user, review_round),
            "assign_url": _assign_url(review_round),
            "is_scored": review_round.state in (ReviewRound.State.CLOSED, ReviewRound.State.PUBLISHED),
            "may_shortlist": review_round.kind == ReviewRound.Kind.FIRST_ROUND and review_round.call_id is not None,
            "extend_form": ExtendForm() if review_round.state == ReviewRound.State.OPEN else None,
        },
    )


ACTIONS = {
    "open": (scoring.round_open, gettext_lazy("The round is open: the experts are told and reminded.")),
    "close": (scoring.round_close, gettext_lazy("The round is closed and ranked.")),
    "publish": (scoring.round_publish, gettext_lazy("The results are published with the list of experts.")),
    "shortlist": (scoring.round_shortlist, gettext_lazy("The shortlist is made (P3).")),
    "extend": (
        scoring.round_reopen,
        gettext_lazy("The experts have more time: their reminders follow the new deadline."),
    ),
}


@require_POST
@declare_access(roles("agency", object_scoped=True))
def round_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in ACTIONS:
        raise Http404
    review_round = selectors.round_get_for_user(request.user, pk)
    if not policies.may_manage_round(request.user, review_round):
        messages.error(request, _("Only the managing agency runs this round."))
        return redirect("reviews:round_detail", pk=pk)
    function, success = ACTIONS[action]
    arguments = {}
    if action == "extend":
        form = ExtendForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Give the new deadline as a date and time."))
            return redirect("reviews:round_detail", pk=pk)
        arguments["deadline"] = form.cleaned_data["deadline"]
    with refusals(request) as outcome:
        function(actor=request.user, review_round=review_round, **arguments)
    if not outcome.refused:
        messages.success(request, success)
    return redirect("reviews:round_detail", pk=pk)


def _pdf(content: bytes, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
@declare_access(AGENCY_PAGES)
def round_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    review_round = selectors.round_get_for_user(request.user, pk)
    items = selectors.items_of_round(request.user, review_round)
    return _pdf(documents.round_ranking_pdf(review_round, items=items), f"review-round-{review_round.pk}.pdf")


@require_GET
@declare_access(AGENCY_PAGES)
def item_pdf(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    review_round = selectors.round_get_for_user(request.user, pk)
    item = (
        selectors.items_of_round(request.user, review_round)
        .select_related("group", "proposal", "project", "review_round")
        .filter(pk=item_pk)
        .first()
    )
    if item is None:
        raise Http404
    # The agency and the oversight see the experts' names (hidden only from the applicants).
    return _pdf(documents.item_summary_pdf(item, show_names=True), f"review-item-{item.pk}.pdf")


# ---- Expert pages --------------------------------------------------------------------------------


@require_GET
@declare_access(EXPERT_PAGES)
def my_assignments(request: HttpRequest) -> HttpResponse:
    assignments = (
        selectors.assignments_for_expert(request.user)
        .exclude(state=Assignment.State.WITHDRAWN)
        .order_by("-item__review_round__created_at", "item_id", "id")
    )
    return render(request, "reviews/my_assignments.html", {"assignments": assignments})


def _declare_url(assignment: Assignment) -> str:
    return reverse("reviews:assignment_declare", args=[assignment.pk])


@require_http_methods(["GET", "POST"])
@declare_access(EXPERT_PAGES)
def assignment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The declaration first; then the scoring form: save a draft or submit."""
    assignment = selectors.assignment_get_for_expert(request.user, pk)
    criteria = list(assignment.item.review_round.criteria.all())
    if request.method == "POST":
        scores = {criterion.pk: request.POST.get(f"criterion_{criterion.pk}", "") for criterion in criteria}
        with refusals(request) as outcome:
            scoring.score_save(
                actor=request.user,
                assignment=assignment,
                scores=scores,
                recommendation=request.POST.get("recommendation", ""),
                opinion=request.POST.get("opinion", ""),
            )
            if "submit" in request.POST:
                scoring.assignment_submit(actor=request.user, assignment=assignment)
        if outcome.refused:
            # Show what was typed again with the message; what was saved before stays saved.
            return _assignment_page(request, assignment, criteria, posted=request.POST, status=400)
        if "submit" in request.POST:
            messages.success(request, _("Your scores are submitted."))
        else:
            messages.success(request, _("Draft saved."))
        return redirect("reviews:assignment_detail", pk=pk)
    return _assignment_page(request, assignment, criteria)


def _assignment_page(request, assignment: Assignment, criteria, *, posted=None, status: int = 200) -> HttpResponse:
    review_round = assignment.item.review_round
    if posted is not None:
        values = {criterion.pk: posted.get(f"criterion_{criterion.pk}", "") for criterion in criteria}
        recommendation = posted.get("recommendation", "")
        opinion = posted.get("opinion", "")
    else:
        values = {score.criterion_id: score.value for score in assignment.scores.all()}
        recommendation = assignment.recommendation
        opinion = assignment.opinion
    return render(
        request,
        "reviews/assignment_detail.html",
        {
            "assignment": assignment,
            "round": review_round,
            "item": assignment.item,
            "proposal": assignment.item.proposal,
            "hide_identities": review_round.hide_identities,
            "rows": [(criterion, values.get(criterion.pk)) for criterion in criteria],
            "recommendation": recommendation,
            "opinion": opinion,
            "recommendations": Assignment.Recommendation.choices,
            "declare_url": _declare_url(assignment),
            "is_declared": assignment.state != Assignment.State.ASSIGNED,
            "may_score": assignment.state == Assignment.State.DECLARED and review_round.state == ReviewRound.State.OPEN,
        },
        status=status,
    )


@require_GET
@declare_access(EXPERT_PAGES)
def assignment_materials(request: HttpRequest, pk: int) -> HttpResponse:
    """The materials, watermarked with the expert's name; only after the declaration."""
    assignment = selectors.assignment_get_for_expert(request.user, pk)
    if assignment.state not in (Assignment.State.DECLARED, Assignment.State.SUBMITTED):
        raise Http404
    return _pdf(documents.materials_pdf(assignment), f"review-materials-{assignment.pk}.pdf")


# ---- Public --------------------------------------------------------------------------------------


@require_GET
@declare_access(PUBLIC)
def round_experts(request: HttpRequest, pk: int) -> HttpResponse:
    """KRD-MGMT §26: the experts of a published round, made public (404 before)."""
    review_round = selectors.published_round_get(request.user, pk)
    experts = (
        Expert.objects.filter(
            assignments__item__review_round=review_round, assignments__state=Assignment.State.SUBMITTED
        )
        .select_related("organisation")
        .distinct()
        .order_by("name", "id")
    )
    return render(request, "reviews/round_experts.html", {"round": review_round, "experts": experts})


urlpatterns = [
    path("reviews/rounds/", round_list, name="round_list"),
    path("reviews/rounds/new/", round_create, name="round_create"),
    path("reviews/rounds/<int:pk>/", round_detail, name="round_detail"),
    path("reviews/rounds/<int:pk>/ranking.pdf", round_pdf, name="round_pdf"),
    path("reviews/rounds/<int:pk>/items/<int:item_pk>/summary.pdf", item_pdf, name="item_pdf"),
    path("reviews/rounds/<int:pk>/experts/", round_experts, name="round_experts"),
    path("reviews/rounds/<int:pk>/<str:action>/", round_action, name="round_action"),
    path("reviews/my/", my_assignments, name="my_assignments"),
    path("reviews/assignments/<int:pk>/", assignment_detail, name="assignment_detail"),
    path("reviews/assignments/<int:pk>/materials.pdf", assignment_materials, name="assignment_materials"),
]
