from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F, Sum
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
    AnswerForm,
    AppealForm,
    AttachmentForm,
    CallDirectionForm,
    CallForm,
    FormalReviewDecisionForm,
    IndicatorForm,
    ObjectionForm,
    ParticipantUnitForm,
    PersonForm,
    ProposalBasicForm,
    ResolveForm,
    ReturnForm,
    ScheduleForm,
    SubjectForm,
    TaskBookForm,
)
from projects.models import Call, Pledge, Proposal, TaskBook


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
            "library_entries": selectors.library_entries_for_user(request.user)
            if call.special_project.program.code == "intl"
            else None,
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
    try:
        proposal = services.proposal_create(actor=request.user, call=call, stage=stage, library_entry=library_entry)
    except (StateConflict, RuleViolation) as error:
        messages.error(request, error.message)
        return redirect("projects:call_detail", pk=call.pk)
    except PermissionDenied as error:
        raise Http404 from error
    return redirect("projects:proposal_detail", pk=proposal.pk)


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


def _missing_by_section(findings) -> dict[str, int]:
    counts: dict[str, int] = {}
    for finding in findings:
        section = SECTION_OF_FINDING.get(finding.code, "completeness")
        counts[section] = counts.get(section, 0) + 1
    return counts


def _project_budget(user, project):
    from budgets.selectors import budget_of_project

    return budget_of_project(user, project)


def _review_opinions(user, proposal) -> list[dict]:
    """The experts' opinions of published review rounds, anonymised, for the applicant and
    their unit (KRD-MGMT §26: results go back to the applicants)."""
    from reviews.services.scoring import opinions_for_applicant

    if proposal.applicant_id != user.pk and not (
        user.has_role("unit_admin") and user.organisation_id == proposal.lead_unit_id
    ):
        return []
    return opinions_for_applicant(proposal)


def _budget_of(user, proposal):
    from budgets.selectors import budget_of_proposal

    return budget_of_proposal(user, proposal)


def _proposal_context(request, proposal, **forms_given):
    editable = proposal.applicant_id == request.user.pk and proposal.state in services.EDITABLE_STATES
    parts = selectors.proposal_parts_for_user(request.user, proposal)
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
        "is_unit_admin": request.user.has_role("unit_admin") and request.user.organisation_id == proposal.lead_unit_id,
        "is_recommender": request.user.has_role("recommender")
        and request.user.organisation_id == proposal.recommending_department_id,
        "is_agency": selectors.call_is_managed_by(request.user, proposal.call),
        "return_form": ReturnForm(),
        "formal_review": getattr(proposal, "formal_review", None),
        "appeals": proposal.appeals.all(),
        "objections": proposal.objections.select_related("raised_by"),
        "notice": proposal.public_notices.order_by("-starts_at").first(),
        "project": selectors.project_of_proposal(request.user, proposal),
        "budget": _budget_of(request.user, proposal),
        "review_opinions": _review_opinions(request.user, proposal),
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
                    actor=request.user,
                    proposal=proposal,
                    uploaded_file=data["file"],
                    kind=data["kind"],
                    classification_level=data["classification_level"],
                )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        except RuleViolation as error:
            # S11: the refusal names the article beside the field; the draft stays as it was.
            for field, errors in (error.fields or {None: [error.message]}).items():
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


# ---- Formal review, appeals, proposed list, compliance, public notice, approval --------------


def _back(proposal, anchor: str = "") -> HttpResponse:
    return redirect(f"{reverse('projects:proposal_detail', args=[proposal.pk])}{anchor}")


def _report(request, call_service, *, object_is_visible: bool = False) -> bool:
    """Run a service; show its refusal as a message. True when it went through. A permission
    refusal is a 404, unless the user may see the object anyway (then it is a message)."""
    try:
        call_service()
    except PermissionDenied as error:
        if not object_is_visible:
            raise Http404 from error
        messages.error(request, _("Your role cannot do this on this task book."))
    except ValidationError as error:
        for messages_of_field in error.message_dict.values():
            for message in messages_of_field:
                messages.error(request, message)
    except (RuleViolation, StateConflict) as error:
        messages.error(request, error.message)
    else:
        return True
    return False


@require_POST
@declare_access(roles("agency", object_scoped=True))
def formal_review_open(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = selectors.proposal_get_for_user(request.user, pk)
    _report(request, lambda: services.formal_review_open(actor=request.user, proposal=proposal))
    return _back(proposal, "#formal-review")


@require_POST
@declare_access(roles("agency", object_scoped=True))
def formal_review_decide(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = selectors.proposal_get_for_user(request.user, pk)
    form = FormalReviewDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose passed or failed."))
        return _back(proposal, "#formal-review")
    manual = {
        int(key.split("_", 1)[1]): value == "1" for key, value in request.POST.items() if key.startswith("check_")
    }
    if _report(
        request,
        lambda: services.formal_review_decide(
            actor=request.user,
            proposal=proposal,
            passed=form.cleaned_data["passed"],
            reasons=form.cleaned_data["reasons"],
            manual=manual,
        ),
    ):
        messages.success(request, _("The formal review is decided; the applicant has been told."))
    return _back(proposal, "#formal-review")


@require_POST
@declare_access(roles("applicant", object_scoped=True))
def appeal_file(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = selectors.proposal_get_for_user(request.user, pk)
    form = AppealForm(request.POST)
    grounds = form.data.get("grounds", "")
    if _report(request, lambda: services.appeal_file(actor=request.user, proposal=proposal, grounds=grounds)):
        messages.success(request, _("Your appeal was filed."))
    return _back(proposal, "#formal-review")


@require_POST
@declare_access(roles("agency", object_scoped=True))
def appeal_answer(request: HttpRequest, pk: int, appeal_pk: int) -> HttpResponse:
    proposal = selectors.proposal_get_for_user(request.user, pk)
    appeal = proposal.appeals.filter(pk=appeal_pk).first()
    if appeal is None:
        raise Http404
    form = AnswerForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose an outcome and write the answer."))
        return _back(proposal, "#formal-review")
    if _report(
        request,
        lambda: services.appeal_answer(
            actor=request.user, appeal=appeal, upheld=form.cleaned_data["upheld"], answer=form.cleaned_data["answer"]
        ),
    ):
        messages.success(request, _("The appeal is answered."))
    return _back(proposal, "#formal-review")


@require_POST
@declare_access(roles("agency", object_scoped=True))
def proposal_propose(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = selectors.proposal_get_for_user(request.user, pk)
    if _report(request, lambda: services.proposal_propose(actor=request.user, proposal=proposal)):
        messages.success(request, _("Put on the proposed list for the ministry's compliance review."))
    return _back(proposal)


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
            if _report(
                request,
                lambda: services.compliance_return(
                    actor=request.user, proposal=proposal, reason=request.POST.get("reason", "")
                ),
            ):
                messages.success(request, _("Returned to the agency."))
        else:
            chosen = list(proposed.filter(pk__in=request.POST.getlist("approve")))
            if _report(request, lambda: services.compliance_approve(actor=request.user, call=call, proposals=chosen)):
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
            if _report(
                request,
                lambda: services.objection_raise(
                    actor=request.user, notice=notice, proposal=proposal, text=form.cleaned_data["text"]
                ),
            ):
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
        return _back(proposal, "#notice")
    _report(
        request,
        lambda: services.objection_resolve(
            actor=request.user,
            objection=objection,
            sustained=form.cleaned_data["sustained"],
            resolution=form.cleaned_data["resolution"],
        ),
    )
    return _back(proposal, "#notice")


@require_POST
@declare_access(roles("agency", object_scoped=True))
def approval_issue(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = selectors.proposal_get_for_user(request.user, pk)
    try:
        project = services.approval_issue(actor=request.user, proposal=proposal)
    except PermissionDenied as error:
        raise Http404 from error
    except (RuleViolation, StateConflict) as error:
        messages.error(request, error.message)
        return _back(proposal, "#notice")
    messages.success(request, _("Approval notice issued: project %(number)s.") % {"number": project.number})
    return redirect("projects:project_detail", pk=project.pk)


@require_GET
@declare_access(roles("applicant", "unit_admin", "agency", "ministry", "admin", object_scoped=True))
def project_detail(request: HttpRequest, pk: int) -> HttpResponse:
    project = selectors.project_get_for_user(request.user, pk)
    return render(
        request,
        "projects/project_detail.html",
        {
            "project": project,
            "funding_label": rules.funding_label(program_code=project.program.code, project_number=project.number),
            "task_books": selectors.task_books_for_user(request.user).filter(project=project),
            "budget": _project_budget(request.user, project),
        },
    )


# ---- Task books ------------------------------------------------------------------------------

TASK_BOOK_ROLES = ("applicant", "unit_admin", "agency", "ministry", "admin")


def _task_book(request, pk):
    return selectors.task_book_get_for_user(request.user, pk)


@require_GET
@declare_access(roles(*TASK_BOOK_ROLES, object_scoped=True))
def task_book_detail(request: HttpRequest, pk: int) -> HttpResponse:
    from budgets.documents import task_book_budget
    from reports.selectors import plan_for

    book = _task_book(request, pk)
    is_leader = book.project.leader_id == request.user.pk
    return render(
        request,
        "projects/task_book_detail.html",
        {
            "book": book,
            "indicators": book.indicators.select_related("applied"),
            "editable": is_leader and book.state == book.State.DRAFT,
            "form": TaskBookForm(instance=book),
            "budget": task_book_budget(book),
            "required_reports": plan_for(book.project),
            "is_agency": request.user.has_role("agency")
            and request.user.organisation_id == book.project.managing_agency_id,
        },
    )


@require_POST
@declare_access(roles("applicant", object_scoped=True))
def task_book_save(request: HttpRequest, pk: int) -> HttpResponse:
    book = _task_book(request, pk)
    form = TaskBookForm(request.POST, instance=TaskBook.objects.get(pk=book.pk))
    if form.is_valid() and _report(
        request,
        lambda: services.task_book_save(
            actor=request.user, book=book, **{name: form.cleaned_data[name] for name in form.changed_data}
        ),
    ):
        messages.success(request, _("Saved."))
    return redirect("projects:task_book_detail", pk=book.pk)


@require_POST
@declare_access(roles("applicant", object_scoped=True))
def task_book_indicator(request: HttpRequest, pk: int, indicator_pk: int) -> HttpResponse:
    book = _task_book(request, pk)
    indicator = book.indicators.filter(pk=indicator_pk).first()
    if indicator is None:
        raise Http404
    if _report(
        request,
        lambda: services.task_book_indicator_set(
            actor=request.user, indicator=indicator, target_value=request.POST.get("target_value", "").strip()
        ),
    ):
        messages.success(request, _("Indicator updated."))
    return redirect("projects:task_book_detail", pk=book.pk)


@require_POST
@declare_access(roles(*TASK_BOOK_ROLES, object_scoped=True))
def task_book_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """submit (leader), agree / return (agency), sign (either party)."""
    book = _task_book(request, pk)
    actions = {
        "submit": lambda: services.task_book_submit(actor=request.user, book=book),
        "agree": lambda: services.task_book_review(actor=request.user, book=book, agreed=True),
        "return": lambda: services.task_book_review(
            actor=request.user, book=book, agreed=False, comment=request.POST.get("comment", "")
        ),
        "sign": lambda: services.task_book_sign(actor=request.user, book=book),
    }
    if action not in actions:
        raise Http404
    if _report(request, actions[action], object_is_visible=True):
        messages.success(request, _("Done."))
    return redirect("projects:task_book_detail", pk=book.pk)


@require_GET
@declare_access(roles(*TASK_BOOK_ROLES, object_scoped=True))
def task_book_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    from projects.documents import task_book_pdf as render_task_book

    book = _task_book(request, pk)
    response = HttpResponse(render_task_book(book), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="task-book-{book.project.number}-{book.pk}.pdf"'
    return response


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
        return render(
            request, "projects/proposal_detail.html", _proposal_context(request, proposal, person=form), status=400
        )
    if _report(
        request,
        lambda: services.proposal_person_save(
            actor=request.user, proposal=proposal, person=person, **form.cleaned_data
        ),
    ):
        messages.success(request, _("Saved."))
    return _back(proposal, "#person")


# ---- Two rounds ------------------------------------------------------------------------------


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
            return _back(proposal, "#formal-review")
        if _report(request, lambda: service(actor=request.user, proposal=proposal, score=score)):
            messages.success(request, _("Review result recorded."))
        return _back(proposal, "#formal-review")

    return view


first_round_score = _score_view(services.first_round_score_set)
defense_score = _score_view(services.defense_score_set)


@require_POST
@declare_access(roles("agency", object_scoped=True))
def shortlist_make(request: HttpRequest, pk: int) -> HttpResponse:
    call = selectors.call_get_for_user(request.user, pk)
    if not selectors.call_is_managed_by(request.user, call):
        raise Http404
    outcomes: list = []
    if _report(request, lambda: outcomes.extend(services.shortlist_make(actor=request.user, call=call))):
        for outcome in outcomes:
            messages.success(
                request,
                _(
                    "Direction %(direction)s: %(shortlisted)d of %(candidates)d shortlisted (shortlist size %(size)d%(skipped)s)."
                )
                % {
                    "direction": outcome.direction,
                    "shortlisted": len(outcome.shortlisted),
                    "candidates": outcome.candidates,
                    "size": outcome.size,
                    "skipped": _(", first round skipped") if outcome.first_round_skipped else "",
                },
            )
    return redirect("projects:call_detail", pk=call.pk)


@require_POST
@declare_access(roles("applicant", object_scoped=True))
def formal_from_pre(request: HttpRequest, pk: int) -> HttpResponse:
    pre = selectors.proposal_get_for_user(request.user, pk)
    created: list = []
    if _report(request, lambda: created.append(services.formal_from_pre(actor=request.user, pre_proposal=pre))):
        return redirect("projects:proposal_detail", pk=created[0].pk)
    return _back(pre)
