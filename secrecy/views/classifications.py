"""Classification pages (S1–S9): the decisions a user may know of, a new decision, and one
decision with its need-to-know list, objections, secrecy reviews and filings. Everything else
answers 404 (S6 — SECRETS-LAW §16)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from core.access import AUTHENTICATED, authenticated, declare_access
from core.refusals import add_to_form, refusals
from secrecy import policies, rules, selectors, services
from secrecy.forms import (
    ChangeForm,
    ClassificationFilterForm,
    ClassificationForm,
    ConfirmProvisionalForm,
    DeclassifyForm,
    DisputeDecideForm,
    DisputeForm,
    ExtendForm,
    GrantForm,
    NamePersonForm,
    ReviewDecideForm,
    ReviewRequestForm,
    initial_stage,
)
from secrecy.models import Classification, Dispute
from secrecy.targets import resolve_target, target_url

# Anyone signed in may be on a need-to-know list; the selectors narrow to what they may know of.
KNOWERS = authenticated(object_scoped=True)
PAGE_SIZE = 30


@require_GET
@declare_access(KNOWERS)
def classification_list(request: HttpRequest) -> HttpResponse:
    """The decisions the user may know of, in a fixed number of queries whatever their number."""
    filters = ClassificationFilterForm(request.GET or None)
    records = selectors.classification_list_for_user(request.user)
    if filters.is_valid():
        if filters.cleaned_data["state"]:
            records = records.filter(state=filters.cleaned_data["state"])
        if filters.cleaned_data["level"]:
            records = records.filter(level=filters.cleaned_data["level"])
    page = Paginator(records.order_by("-created_at", "-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(classification, target_url(classification)) for classification in page.object_list]
    authority = selectors.authority_for(request.user)
    return render(
        request,
        "secrecy/classification_list.html",
        {
            "page": page,
            "rows": rows,
            "filters": filters,
            "may_classify": authority is not None and policies.is_officer_of(request.user, authority),
        },
    )


def _level_label(level: str) -> str:
    return str(rules.Level(level).label) if level in rules.Level.values else ""


def _target_from_reference(reference: str):
    model_key, _separator, object_id = (reference or "").strip().partition(":")
    return resolve_target(model_key, object_id) if object_id else None


@require_http_methods(["GET", "POST"])
@declare_access(AUTHENTICATED)
def classification_new(request: HttpRequest) -> HttpResponse:
    """A decision by a responsible classifier of the user's authority (S2 — SECRECY §18); other
    users are told who decides instead."""
    user = request.user
    authority = selectors.authority_for(user)
    may_decide = authority is not None and policies.is_officer_of(user, authority)
    reference = request.GET.get("target", "")
    target = _target_from_reference(reference)
    initial = {"target": reference}
    if target is not None:
        initial.update(name=str(target), stage=initial_stage(target))
    form = ClassificationForm(request.POST or None, initial=initial)
    if request.method == "POST" and may_decide and form.is_valid():
        target = form.target_object
        with refusals(request) as outcome:
            classification = services.classify(actor=user, target=target, authority=authority, **form.service_fields())
        if outcome.refused:
            # Beside the field it names goes each message of S1–S3 (the period, what is missing,
            # the level), however short the rule's whole message; the rest above the form.
            fields = getattr(outcome.error, "fields", None)
            add_to_form(form, ValidationError(fields) if fields else outcome.error)
        else:
            messages.success(
                request,
                _("“%(name)s” is classified: %(mark)s.") % {"name": classification.name, "mark": classification.mark},
            )
            return redirect("secrecy:classification_detail", pk=classification.pk)
    existing = selectors.classification_of(target) if target is not None else None
    return render(
        request,
        "secrecy/classification_form.html",
        {
            "form": form,
            "authority": authority,
            "authority_max_level": _level_label(authority.max_level) if authority is not None else "",
            "may_decide": may_decide,
            "target": target,
            "existing": existing,
            "maximum_years": [(rules.Level(level).label, years) for level, years in rules.MAX_YEARS.items()],
        },
    )


def _detail_context(request: HttpRequest, classification: Classification) -> dict:
    user = request.user
    disputes = list(classification.disputes.select_related("raised_by", "decided_by").order_by("-raised_at", "-id"))
    classification._claimed_levels = [
        dispute.claimed_level for dispute in disputes if dispute.state == Dispute.State.OPEN
    ]
    grants = list(
        classification.grants.select_related(
            "user__organisation", "organisation", "granted_by", "approved_by", "revoked_by", "via__organisation"
        ).order_by("granted_at", "id")
    )
    in_force = classification.in_force
    decider = policies.deciding_authority_of(user, classification) if in_force else None
    is_head = in_force and policies.is_head_of(user, classification.authority)
    is_officer = in_force and policies.is_officer_of(user, classification.authority)
    names_people = policies.names_for_organisation(user)
    for grant in grants:
        grant.name_form = None
        if (
            in_force
            and names_people
            and grant.organisation_id == user.organisation_id
            and not grant.is_pending
            and grant.revoked_at is None
        ):
            grant.name_form = NamePersonForm(organisation_id=grant.organisation_id, auto_id=f"id_name{grant.pk}_%s")
    today = timezone.localdate()
    may_decide = decider is not None
    return {
        "classification": classification,
        "target": classification.target,
        "target_url": target_url(classification),
        "is_disputed": classification.handled_level != classification.level,
        "written_record": rules.written_record_required(classification.level),
        "grants": grants,
        "live_grants": sum(1 for grant in grants if grant.revoked_at is None and not grant.is_pending),
        "disputes": disputes,
        "reviews": list(classification.reviews.select_related("requested_by", "reviewer").order_by("-requested_at")),
        "filings": list(classification.filings.select_related("filed_by").order_by("due_on", "id")),
        "annual_filings": selectors.annual_filings_of(classification),
        "decider": decider,
        "may_decide": may_decide,
        "is_head": is_head,
        "is_officer": is_officer,
        "may_extend": may_decide and rules.extension_allowed(today=today, expiry=classification.expires_on),
        "may_audit": policies.may_read_audit_trail(user),
        "grant_form": GrantForm(auto_id="id_grant_%s"),
        "change_form": ChangeForm(auto_id="id_change_%s", initial={"level": classification.level}),
        "extend_form": ExtendForm(auto_id="id_extend_%s"),
        "declassify_form": DeclassifyForm(auto_id="id_declassify_%s"),
        "confirm_form": ConfirmProvisionalForm(auto_id="id_confirm_%s", initial={"level": classification.level}),
        "dispute_form": DisputeForm(auto_id="id_dispute_%s"),
        "dispute_decide_form": DisputeDecideForm(auto_id="id_decide_%s"),
        "review_form": ReviewRequestForm(auto_id="id_review_%s"),
        "review_decide_form": ReviewDecideForm(auto_id="id_review_decide_%s"),
    }


@require_GET
@declare_access(KNOWERS)
def classification_detail(request: HttpRequest, pk: int) -> HttpResponse:
    classification = selectors.classification_get_for_decider(request.user, pk)
    return render(request, "secrecy/classification_detail.html", _detail_context(request, classification))


urlpatterns = [
    path("secrecy/classifications/", classification_list, name="classification_list"),
    path("secrecy/classifications/new/", classification_new, name="classification_new"),
    path("secrecy/classifications/<int:pk>/", classification_detail, name="classification_detail"),
]
