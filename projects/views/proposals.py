"""Pages of the applicant's proposal (申报书): the list, starting a draft, the proposal's page
with its sections, saving and adding to them, pledges, attachments and team members (P2)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.access import declare_access, roles
from core.exceptions import StateConflict
from core.files import protected_file_response
from core.refusals import flash, refusals
from projects import extensions, policies, selectors, services
from projects.forms import (
    AnswerForm,
    AppealForm,
    AttachmentForm,
    FormalReviewDecisionForm,
    IndicatorForm,
    ParticipantUnitForm,
    PersonForm,
    ProposalBasicForm,
    ResolveForm,
    ReturnForm,
    ScheduleForm,
    SubjectForm,
)
from projects.models import Call, Pledge, Proposal
from projects.views.common import back

PROPOSAL_READERS = roles("applicant", "unit_admin", "recommender", "agency", "ministry", "admin", object_scoped=True)

APPLICANT_FORMS = {
    "unit": ParticipantUnitForm,
    "subject": SubjectForm,
    "person": PersonForm,
    "indicator": IndicatorForm,
    "schedule": ScheduleForm,
    "attachment": AttachmentForm,
}

# Which section of the page each eligibility finding belongs to (for the per-section markers).
SECTION_OF_FINDING = {
    "unit_not_mainland": "unit",
    "unit_not_legal_entity": "unit",
    "unit_registered_too_late": "unit",
    "leader_birth_date_missing": "person",
    "leader_too_old": "person",
    "leader_id_missing": "person",
    "leads_twice_in_call": "person",
    "too_many_participations": "person",
    "leads_excluded_project": "person",
    "no_subject": "subject",
    "too_many_subjects": "subject",
    "too_many_units": "subject",
    "ip_analysis_missing": "basic",
    "foreign_partner_missing": "basic",
    "agreement_missing": "attachment",
    "joint_agreement_missing": "attachment",
    "pledge_missing": "pledges",
}


@require_GET
@declare_access(roles("applicant", "unit_admin", "recommender", "agency", "ministry", "admin"))
def proposal_list(request: HttpRequest) -> HttpResponse:
    page = selectors.proposal_page_for_user(request.user, page_number=request.GET.get("page"))
    return render(request, "projects/proposal_list.html", {"page": page})


@require_POST
@declare_access(roles("applicant", object_scoped=True))
def proposal_start(request: HttpRequest, pk: int) -> HttpResponse:
    """Start a draft for the call (formal, or pre-application for a two-round call)."""
    call = selectors.call_get_for_user(request.user, pk)
    stage = Proposal.Stage.PRE if call.mode == Call.Mode.TWO_ROUND else Proposal.Stage.FORMAL
    entry_id = request.POST.get("library_entry") or None
    library_entry = selectors.library_entries_for_user(request.user).filter(pk=entry_id).first() if entry_id else None
    with refusals(request) as outcome:
        proposal = services.proposal_create(actor=request.user, call=call, stage=stage, library_entry=library_entry)
    if outcome.refused:
        return redirect("projects:call_detail", pk=call.pk)
    return redirect("projects:proposal_detail", pk=proposal.pk)


def _missing_by_section(findings) -> dict[str, int]:
    counts: dict[str, int] = {}
    for finding in findings:
        section = SECTION_OF_FINDING.get(finding.code, "completeness")
        counts[section] = counts.get(section, 0) + 1
    return counts


def _review_opinions(user, proposal) -> list[dict]:
    """The experts' opinions of published review rounds, anonymised, for the applicant and
    their unit (KRD-MGMT §26: results go back to the applicants)."""
    if not policies.is_applicant_of(user, proposal) and not policies.is_unit_admin_of(
        user, organisation_id=proposal.lead_unit_id
    ):
        return []
    return extensions.review_opinions(proposal)


def _budget_of(user, proposal):
    return extensions.proposal_budget(user, proposal)


def _proposal_context(request, proposal, **forms_given):
    user = request.user
    editable = policies.is_applicant_of(user, proposal) and proposal.state in services.EDITABLE_STATES
    parts = selectors.proposal_parts_for_user(user, proposal)
    context = {
        "proposal": proposal,
        "call": proposal.call,
        "editable": editable,
        "units": proposal.units.select_related("organisation"),
        "subjects": parts["subjects"],
        "people": parts["people"],
        "indicators": parts["indicators"],
        "schedule": proposal.schedule.all(),
        "attachments": proposal.attachments.all(),
        "pledges": _pledge_rows(proposal, hidden_subjects=parts["hidden_subjects"]),
        "findings": (
            findings := services.proposal_findings(proposal) if proposal.state in services.EDITABLE_STATES else []
        ),
        "missing": _missing_by_section(findings),
        "is_unit_admin": policies.is_unit_admin_of(user, organisation_id=proposal.lead_unit_id),
        "is_recommender": policies.is_recommender_of(user, organisation_id=proposal.recommending_department_id),
        "is_agency": policies.manages_proposal(user, proposal),
        "return_form": ReturnForm(),
        "formal_review": getattr(proposal, "formal_review", None),
        "appeals": proposal.appeals.all(),
        "objections": proposal.objections.select_related("raised_by"),
        "notice": proposal.public_notices.order_by("-starts_at").first(),
        "project": selectors.project_of_proposal(user, proposal),
        "budget": _budget_of(user, proposal),
        "review_opinions": _review_opinions(user, proposal),
        "decision_form": FormalReviewDecisionForm(),
        "appeal_form": AppealForm(),
        "answer_form": AnswerForm(),
        "resolve_form": ResolveForm(),
        "now": timezone.now(),
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


def _pledge_rows(proposal, *, hidden_subjects=()):
    given = set(proposal.pledges.values_list("party", "organisation_id", "person_id"))
    # S6: a subject hidden from the reader is not named in the pledges either.
    hidden_labels = tuple(f"{subject}: " for subject in hidden_subjects)
    rows = []
    for party, organisation, person, label in services.required_pledges(proposal):
        if hidden_labels and label.startswith(hidden_labels):
            continue
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


def _rerender(request, proposal, **forms_given) -> HttpResponse:
    """The proposal's page again with the posted form, which keeps what was typed (400)."""
    context = _proposal_context(request, proposal, **forms_given)
    return render(request, "projects/proposal_detail.html", context, status=400)


@require_GET
@declare_access(PROPOSAL_READERS)
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
        return _rerender(request, proposal, basic=form)
    with refusals(request) as outcome:
        services.proposal_save_section(
            actor=request.user, proposal=proposal, **{name: form.cleaned_data[name] for name in form.changed_data}
        )
    if outcome.refused:
        # Nothing was saved: the autosave shows no time, the page shows the refusal.
        if request.htmx:
            return HttpResponse(status=204)
        return redirect("projects:proposal_detail", pk=proposal.pk)
    if request.htmx:
        return render(request, "projects/_autosaved.html", {"saved_at": timezone.localtime()})
    messages.success(request, _("Saved."))
    return redirect("projects:proposal_detail", pk=proposal.pk)


def _add_part(*, actor, proposal, part: str, data: dict) -> None:
    if part == "unit":
        services.proposal_unit_add(actor=actor, proposal=proposal, organisation=data["organisation"])
    elif part == "subject":
        services.proposal_subject_save(actor=actor, proposal=proposal, **data)
    elif part == "person":
        services.proposal_person_save(actor=actor, proposal=proposal, **data)
    elif part == "indicator":
        services.proposal_indicator_add(actor=actor, proposal=proposal, **data)
    elif part == "schedule":
        services.proposal_schedule_add(actor=actor, proposal=proposal, **data)
    else:
        services.proposal_attachment_add(
            actor=actor,
            proposal=proposal,
            uploaded_file=data["file"],
            kind=data["kind"],
            classification_level=data["classification_level"],
        )


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
        # A refused value (S11: the article beside it) stays on the form; the draft is unchanged.
        with refusals(request, form=form) as outcome:
            _add_part(actor=request.user, proposal=proposal, part=part, data=form.cleaned_data)
        if not outcome.refused:
            messages.success(request, _("Added."))
            return redirect(f"{reverse('projects:proposal_detail', args=[proposal.pk])}#{part}")
        if isinstance(outcome.error, StateConflict):
            # No longer a draft: the page has no form to show it on.
            flash(request, outcome.error)
            return redirect("projects:proposal_detail", pk=proposal.pk)
    return _rerender(request, proposal, **{part: form})


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
            with refusals(request) as outcome:
                services.proposal_pledge_confirm(
                    actor=request.user, proposal=proposal, party=party, organisation=organisation, person=person
                )
            if not outcome.refused:
                messages.success(request, _("Pledge confirmed."))
            return back(proposal, "#pledges")
    messages.error(request, _("This proposal needs no such pledge."))
    return back(proposal, "#pledges")


@require_GET
@declare_access(PROPOSAL_READERS)
def proposal_attachment(request: HttpRequest, pk: int, attachment_pk: int) -> HttpResponse:
    """Download an attachment, after the proposal's own permission check."""
    proposal = selectors.proposal_get_for_user(request.user, pk)
    attachment = proposal.attachments.filter(pk=attachment_pk).first()
    if attachment is None:
        raise Http404
    return protected_file_response(attachment.file, filename=attachment.original_name)


@require_POST
@declare_access(roles("applicant", object_scoped=True))
def proposal_person_edit(request: HttpRequest, pk: int, person_pk: int) -> HttpResponse:
    """Correct a team member (e.g. complete the project leader's ID and birth date)."""
    proposal = selectors.proposal_get_for_user(request.user, pk)
    person = proposal.people.filter(pk=person_pk).first()
    if person is None:
        raise Http404
    form = PersonForm(request.POST, instance=proposal.people.get(pk=person.pk), proposal=proposal)
    if not form.is_valid():
        return _rerender(request, proposal, person=form)
    with refusals(request) as outcome:
        services.proposal_person_save(actor=request.user, proposal=proposal, person=person, **form.cleaned_data)
    if not outcome.refused:
        messages.success(request, _("Saved."))
    return back(proposal, "#person")


urlpatterns = [
    path("calls/<int:pk>/apply/", proposal_start, name="proposal_start"),
    path("proposals/", proposal_list, name="proposal_list"),
    path("proposals/<int:pk>/", proposal_detail, name="proposal_detail"),
    path("proposals/<int:pk>/save/", proposal_save, name="proposal_save"),
    path("proposals/<int:pk>/add/<slug:part>/", proposal_add, name="proposal_add"),
    path("proposals/<int:pk>/pledge/", proposal_pledge, name="proposal_pledge"),
    path("proposals/<int:pk>/attachments/<int:attachment_pk>/", proposal_attachment, name="proposal_attachment"),
    path("proposals/<int:pk>/people/<int:person_pk>/", proposal_person_edit, name="proposal_person_edit"),
]
