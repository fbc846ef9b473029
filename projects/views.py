from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.access import PUBLIC, declare_access, roles
from core.exceptions import RuleViolation, StateConflict
from core.files import protected_file_response
from projects import rules, selectors, services
from projects.forms import (
    AttachmentForm,
    CallDirectionForm,
    CallForm,
    IndicatorForm,
    ParticipantUnitForm,
    PersonForm,
    ProposalBasicForm,
    ReturnForm,
    ScheduleForm,
    SubjectForm,
)
from projects.models import Call, Pledge, Proposal


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
            "can_apply": call.is_open and request.user.is_authenticated and request.user.has_role("applicant"),
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


# ---- Proposals -------------------------------------------------------------------------------

APPLICANT_FORMS = {
    "unit": ParticipantUnitForm,
    "subject": SubjectForm,
    "person": PersonForm,
    "indicator": IndicatorForm,
    "schedule": ScheduleForm,
    "attachment": AttachmentForm,
}


@require_GET
@declare_access(roles("applicant", "unit_admin", "recommender", "agency", "ministry", "admin"))
def proposal_list(request: HttpRequest) -> HttpResponse:
    proposals = selectors.proposals_for_user(request.user).order_by("-updated_at", "-id")
    page = Paginator(proposals, 50).get_page(request.GET.get("page"))
    return render(request, "projects/proposal_list.html", {"page": page})


@require_POST
@declare_access(roles("applicant", object_scoped=True))
def proposal_start(request: HttpRequest, pk: int) -> HttpResponse:
    """Start a draft for the call (formal, or pre-application for a two-round call)."""
    call = selectors.call_get_for_user(request.user, pk)
    stage = Proposal.Stage.PRE if call.mode == Call.Mode.TWO_ROUND else Proposal.Stage.FORMAL
    try:
        proposal = services.proposal_create(actor=request.user, call=call, stage=stage)
    except StateConflict as error:
        messages.error(request, error.message)
        return redirect("projects:call_detail", pk=call.pk)
    except PermissionDenied as error:
        raise Http404 from error
    return redirect("projects:proposal_detail", pk=proposal.pk)


def _proposal_context(request, proposal, **forms_given):
    editable = proposal.applicant_id == request.user.pk and proposal.state in services.EDITABLE_STATES
    context = {
        "proposal": proposal,
        "call": proposal.call,
        "editable": editable,
        "units": proposal.units.select_related("organisation"),
        "subjects": proposal.subjects.select_related("unit", "leader").prefetch_related("participant_units"),
        "people": proposal.people.select_related("organisation", "subject"),
        "indicators": proposal.indicators.all(),
        "schedule": proposal.schedule.all(),
        "attachments": proposal.attachments.all(),
        "pledges": _pledge_rows(proposal),
        "findings": services.proposal_findings(proposal) if proposal.state in services.EDITABLE_STATES else [],
        "is_unit_admin": request.user.has_role("unit_admin") and request.user.organisation_id == proposal.lead_unit_id,
        "is_recommender": request.user.has_role("recommender")
        and request.user.organisation_id == proposal.recommending_department_id,
        "is_agency": selectors.call_is_managed_by(request.user, proposal.call),
        "return_form": ReturnForm(),
    }
    if editable:
        context["basic_form"] = forms_given.get("basic") or ProposalBasicForm(instance=proposal)
        for name, form_class in APPLICANT_FORMS.items():
            given = forms_given.get(name)
            if given is not None:
                context[f"{name}_form"] = given
            elif name in ("subject", "person"):
                context[f"{name}_form"] = form_class(proposal=proposal)
            else:
                context[f"{name}_form"] = form_class()
    return context


def _pledge_rows(proposal):
    given = set(proposal.pledges.values_list("party", "organisation_id", "person_id"))
    rows = []
    for party, organisation, person, label in services.required_pledges(proposal):
        key = (party, getattr(organisation, "pk", None), getattr(person, "pk", None))
        rows.append(
            {
                "party": party,
                "party_label": Pledge.Party(party).label,
                "label": label,
                "organisation_id": key[1] or "",
                "person_id": key[2] or "",
                "confirmed": key in given,
            }
        )
    return rows


@require_GET
@declare_access(roles("applicant", "unit_admin", "recommender", "agency", "ministry", "admin", object_scoped=True))
def proposal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = selectors.proposal_get_for_user(request.user, pk)
    return render(request, "projects/proposal_detail.html", _proposal_context(request, proposal))


@require_POST
@declare_access(roles("applicant", object_scoped=True))
def proposal_save(request: HttpRequest, pk: int) -> HttpResponse:
    """Save the basic section (also the htmx autosave): partial input is kept as typed."""
    proposal = selectors.proposal_get_for_user(request.user, pk)
    form = ProposalBasicForm(request.POST, instance=proposal)
    if not form.is_valid():
        if request.htmx:
            return HttpResponse(status=204)
        return render(
            request, "projects/proposal_detail.html", _proposal_context(request, proposal, basic=form), status=400
        )
    try:
        services.proposal_save_section(
            actor=request.user, proposal=proposal, **{name: form.cleaned_data[name] for name in form.changed_data}
        )
    except StateConflict as error:
        messages.error(request, error.message)
    except PermissionDenied as error:
        raise Http404 from error
    if request.htmx:
        return render(request, "projects/_autosaved.html", {"saved_at": timezone.localtime()})
    messages.success(request, _("Saved."))
    return redirect("projects:proposal_detail", pk=proposal.pk)


@require_POST
@declare_access(roles("applicant", object_scoped=True))
def proposal_add(request: HttpRequest, pk: int, part: str) -> HttpResponse:
    """Add a unit, subject, person, indicator, schedule stage or attachment to a draft."""
    proposal = selectors.proposal_get_for_user(request.user, pk)
    form_class = APPLICANT_FORMS.get(part)
    if form_class is None:
        raise Http404
    kwargs = {"proposal": proposal} if part in ("subject", "person") else {}
    form = (
        form_class(request.POST, request.FILES, **kwargs)
        if part == "attachment"
        else form_class(request.POST, **kwargs)
    )
    if form.is_valid():
        data = form.cleaned_data
        try:
            if part == "unit":
                services.proposal_unit_add(actor=request.user, proposal=proposal, organisation=data["organisation"])
            elif part == "subject":
                services.proposal_subject_save(actor=request.user, proposal=proposal, **data)
            elif part == "person":
                services.proposal_person_save(actor=request.user, proposal=proposal, **data)
            elif part == "indicator":
                services.proposal_indicator_add(actor=request.user, proposal=proposal, **data)
            elif part == "schedule":
                services.proposal_schedule_add(actor=request.user, proposal=proposal, **data)
            else:
                services.proposal_attachment_add(
                    actor=request.user, proposal=proposal, uploaded_file=data["file"], kind=data["kind"]
                )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        except StateConflict as error:
            messages.error(request, error.message)
            return redirect("projects:proposal_detail", pk=proposal.pk)
        except PermissionDenied as error:
            raise Http404 from error
        else:
            messages.success(request, _("Added."))
            return redirect(f"{reverse('projects:proposal_detail', args=[proposal.pk])}#{part}")
    context = _proposal_context(request, proposal, **{part: form})
    return render(request, "projects/proposal_detail.html", context, status=400)


@require_POST
@declare_access(roles("applicant", object_scoped=True))
def proposal_pledge(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = selectors.proposal_get_for_user(request.user, pk)
    wanted = (
        request.POST.get("party"),
        request.POST.get("organisation_id") or None,
        request.POST.get("person_id") or None,
    )
    for party, organisation, person, _label in services.required_pledges(proposal):
        if (party, str(getattr(organisation, "pk", "")) or None, str(getattr(person, "pk", "")) or None) == wanted:
            try:
                services.proposal_pledge_confirm(
                    actor=request.user, proposal=proposal, party=party, organisation=organisation, person=person
                )
            except (StateConflict, PermissionDenied) as error:
                raise Http404 from error
            messages.success(request, _("Pledge confirmed."))
            return redirect(f"{reverse('projects:proposal_detail', args=[proposal.pk])}#pledges")
    messages.error(request, _("This proposal needs no such pledge."))
    return redirect(f"{reverse('projects:proposal_detail', args=[proposal.pk])}#pledges")


@require_GET
@declare_access(roles("applicant", "unit_admin", "recommender", "agency", "ministry", "admin", object_scoped=True))
def proposal_attachment(request: HttpRequest, pk: int, attachment_pk: int) -> HttpResponse:
    """Download an attachment, after the proposal's own permission check."""
    proposal = selectors.proposal_get_for_user(request.user, pk)
    attachment = proposal.attachments.filter(pk=attachment_pk).first()
    if attachment is None:
        raise Http404
    return protected_file_response(attachment.file, filename=attachment.original_name)


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
        try:
            service(actor=request.user, proposal=proposal)
        except PermissionDenied as error:
            raise Http404 from error
        except RuleViolation as error:
            messages.error(request, error.message)
            for finding in error.findings:
                messages.error(request, f"{finding['rule']} · {finding['message']} {finding['item']}".strip())
        except StateConflict as error:
            messages.error(request, error.message)
        else:
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
    try:
        services.proposal_return(actor=request.user, proposal=proposal, reason=form.cleaned_data["reason"])
    except PermissionDenied as error:
        raise Http404 from error
    messages.success(request, _("The proposal was returned to its applicant."))
    return redirect("projects:proposal_list")
