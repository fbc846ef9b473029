"""State changes of projects."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.roles import Role
from core import audit
from core.deadlines import services as deadlines
from core.exceptions import RuleViolation, StateConflict
from core.models import Obligation
from core.notifications import notify
from projects import rules
from projects.models import (
    Attachment,
    Call,
    CallDirection,
    Indicator,
    Person,
    Pledge,
    Project,
    Proposal,
    ProposalUnit,
    ScheduleItem,
    Subject,
)


def _obligation_parties(project: Project) -> dict:
    return {
        "responsible_users": [project.leader],
        "responsible_role": Role.UNIT_ADMIN.value,
        "responsible_organisation": project.lead_unit,
        "escalation_role": Role.AGENCY.value,
        "escalation_organisation": project.managing_agency,
        "managing_organisation": project.managing_agency,
        "link": reverse("core:deadlines"),
    }


def project_obligations_ensure(*, project: Project, today: dt.date | None = None) -> list[Obligation]:
    """Create the project's upcoming annual report (P6) and final accounts (B7) obligations
    that the rules require and that do not exist yet. Safe to run again."""
    with translation.override(settings.LANGUAGE_CODE):
        return _ensure(project, today or timezone.localdate())


def _ensure(project: Project, today: dt.date) -> list[Obligation]:
    created: list[Obligation] = []
    if project.state != Project.State.ACTIVE:
        return created
    year = today.year
    if rules.annual_report_due_date(year) >= today and rules.annual_report_required(
        start_date=project.start_date, end_date=project.end_date, year=year
    ):
        obligation, was_created = deadlines.obligation_ensure(
            target=project,
            kind="annual_report",
            period=str(year),
            due_at=deadlines.due_on(rules.annual_report_due_date(year)),
            title=_("%(year)d annual progress report of %(project)s") % {"year": year, "project": project},
            **_obligation_parties(project),
        )
        if was_created:
            created.append(obligation)
    funds_received_on = project.funds_received_on or project.start_date
    for accounts_year in (year - 1, year):
        due_date = rules.final_accounts_due_date(accounts_year)
        if due_date < today or not rules.final_accounts_required(
            funds_received_on=funds_received_on, end_date=project.end_date, accounts_year=accounts_year
        ):
            continue
        obligation, was_created = deadlines.obligation_ensure(
            target=project,
            kind="final_accounts",
            period=str(accounts_year),
            due_at=deadlines.due_on(due_date),
            title=_("%(year)d final accounts of %(project)s") % {"year": accounts_year, "project": project},
            **_obligation_parties(project),
        )
        if was_created:
            created.append(obligation)
    return created


@transaction.atomic
def project_create(*, actor, **fields) -> Project:
    project = Project(**fields)
    project.full_clean()
    project.save()
    audit.record(actor=actor, action="project.create", target=project, changes=audit.snapshot(project))
    project_obligations_ensure(project=project)
    return project


# ---- Calls (指南) ---------------------------------------------------------------------------


def _agency_may_manage(user, special_project) -> bool:
    return user.is_superuser or (
        user.has_role(Role.AGENCY.value) and user.organisation_id == special_project.managing_agency_id
    )


@transaction.atomic
def call_create(*, actor, special_project, directions: list[dict] | None = None, **fields) -> Call:
    """A draft call guide of a special project the actor's agency manages."""
    if not _agency_may_manage(actor, special_project):
        raise PermissionDenied
    call = Call(special_project=special_project, **fields)
    if special_project.program.code == "intl":
        call.requires_recommendation = True  # INTL §17–§18: applications come through recommending departments
    call.full_clean()
    call.save()
    for direction in directions or []:
        CallDirection.objects.create(call=call, **direction)
    audit.record(actor=actor, action="call.create", target=call, changes=audit.snapshot(call))
    return call


@transaction.atomic
def call_update(*, actor, call: Call, **fields) -> Call:
    call = Call.objects.select_for_update().get(pk=call.pk)
    if not _agency_may_manage(actor, call.special_project):
        raise PermissionDenied
    if call.state != Call.State.DRAFT:
        raise StateConflict(_("A published call guide can no longer be edited."), code="call_published")
    before = audit.field_values(call, list(fields))
    for name, value in fields.items():
        setattr(call, name, value)
    call.full_clean()
    call.save(update_fields=list(fields))
    audit.record(
        actor=actor,
        action="call.update",
        target=call,
        changes=audit.diff(before, audit.field_values(call, list(fields))),
    )
    return call


@transaction.atomic
def call_direction_add(
    *, actor, call: Call, code: str, title: str, planned_projects: int, budget_outline=None
) -> CallDirection:
    call = Call.objects.select_for_update().get(pk=call.pk)
    if not _agency_may_manage(actor, call.special_project):
        raise PermissionDenied
    if call.state != Call.State.DRAFT:
        raise StateConflict(_("A published call guide can no longer be edited."), code="call_published")
    direction = CallDirection(
        call=call, code=code, title=title, planned_projects=planned_projects, budget_outline=budget_outline
    )
    direction.full_clean()
    direction.save()
    audit.record(actor=actor, action="call.direction_add", target=call, changes={"direction": [None, str(direction)]})
    return direction


@transaction.atomic
def call_publish(*, actor, call: Call, now: dt.datetime | None = None) -> Call:
    """Publish a draft call guide. P1 — KRD-MGMT §21: refused when fewer than 50 days separate
    publication from the closing of applications. Creates the closing timer."""
    now = now or timezone.now()
    call = Call.objects.select_for_update().select_related("special_project__program").get(pk=call.pk)
    if not _agency_may_manage(actor, call.special_project):
        raise PermissionDenied
    if call.state != Call.State.DRAFT:
        raise StateConflict(_("This call guide is already published."), code="call_published")
    if not call.directions.exists():
        raise RuleViolation(
            "P1",
            _(
                "A call guide needs at least one direction (指南方向) with its planned number of projects before it is published."
            ),
            fields={"directions": [_("Add a direction.")]},
            code="call_without_directions",
        )
    published_on = timezone.localtime(now).date()
    closes_on = timezone.localtime(call.closes_at).date()
    if not rules.call_window_is_long_enough(published_on=published_on, closes_on=closes_on):
        days = rules.call_window_days(published_on=published_on, closes_on=closes_on)
        raise RuleViolation(
            "P1",
            _(
                "《国家重点研发计划管理暂行办法》第二十一条 (KRD-MGMT §21, rule P1): at least %(minimum)d days must "
                "pass from the publication of the guide to the closing of applications; publishing today gives "
                "%(days)d days (closing %(closes)s). Move the closing date to %(earliest)s or later."
            )
            % {
                "minimum": rules.MINIMUM_CALL_WINDOW_DAYS,
                "days": days,
                "closes": closes_on.isoformat(),
                "earliest": (published_on + dt.timedelta(days=rules.MINIMUM_CALL_WINDOW_DAYS)).isoformat(),
            },
            fields={"closes_at": [_("Fewer than 50 days after publication.")]},
            code="call_window_too_short",
        )
    call.state = Call.State.PUBLISHED
    call.published_at = now
    call.save(update_fields=["state", "published_at"])
    with translation.override(settings.LANGUAGE_CODE):
        deadlines.obligation_ensure(
            target=call,
            kind="call_closing",
            period="",
            due_at=call.closes_at,
            title=_("Applications to %(call)s close") % {"call": call.title},
            escalation_role=Role.AGENCY.value,
            escalation_organisation=call.special_project.managing_agency,
            managing_organisation=call.special_project.managing_agency,
            reminder_days=[],
            link=reverse("projects:call_detail", args=[call.pk]),
        )
    audit.record(
        actor=actor,
        action="call.publish",
        target=call,
        rule="P1",
        changes={"state": ["draft", "published"], "published_at": [None, now], "closes_at": [None, call.closes_at]},
    )
    return call


def call_close(*, call: Call, actor=None) -> Call:
    """Close the submission window (the timer of the call's closing obligation)."""
    with transaction.atomic():
        call = Call.objects.select_for_update().get(pk=call.pk)
        if call.state != Call.State.PUBLISHED:
            return call
        call.state = Call.State.CLOSED
        call.save(update_fields=["state"])
        audit.record(
            actor=actor, action="call.close", target=call, rule="P1", changes={"state": ["published", "closed"]}
        )
    return call


# ---- Proposals (申报书) and the submission chain (P2, P3, KRD-MGMT §23–§29) ------------------

EDITABLE_STATES = (Proposal.State.DRAFT, Proposal.State.RETURNED)
MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
# Active content a PDF must not carry (it is served to reviewers and agencies).
PDF_ACTIVE_CONTENT = (b"/JavaScript", b"/JS", b"/Launch", b"/EmbeddedFile", b"/RichMedia", b"/OpenAction")


def _lock_proposal(proposal: Proposal) -> Proposal:
    return Proposal.objects.select_for_update().select_related("call__special_project__program").get(pk=proposal.pk)


def _require_editable_by(actor, proposal: Proposal) -> None:
    if proposal.applicant_id != actor.pk:
        raise PermissionDenied
    if proposal.state not in EDITABLE_STATES:
        raise StateConflict(_("Only a draft or a returned proposal can be changed."), code="proposal_not_editable")


@transaction.atomic
def proposal_create(
    *, actor, call: Call, stage: str = Proposal.Stage.FORMAL, now: dt.datetime | None = None
) -> Proposal:
    """A new draft for the actor's unit, with the actor as project leader."""
    now = now or timezone.now()
    if not actor.has_role(Role.APPLICANT.value) or actor.organisation_id is None:
        raise PermissionDenied
    if call.state != Call.State.PUBLISHED or now >= call.closes_at:
        raise StateConflict(_("This call is not open for applications."), code="call_not_open")
    proposal = Proposal.objects.create(call=call, stage=stage, applicant=actor, lead_unit=actor.organisation)
    ProposalUnit.objects.create(proposal=proposal, organisation=actor.organisation, role=ProposalUnit.Role.LEAD)
    Person.objects.create(
        proposal=proposal,
        name=actor.real_name or actor.username,
        id_number="",
        role=Person.Role.PROJECT_LEADER,
        organisation=actor.organisation,
    )
    audit.record(
        actor=actor,
        action="proposal.create",
        target=proposal,
        changes={"call": [None, call.pk], "stage": [None, stage]},
    )
    return proposal


@transaction.atomic
def proposal_save_section(*, actor, proposal: Proposal, **fields) -> Proposal:
    """Autosave of the basic sections: whatever was typed is kept, complete or not."""
    proposal = _lock_proposal(proposal)
    _require_editable_by(actor, proposal)
    before = audit.field_values(proposal, list(fields))
    for name, value in fields.items():
        setattr(proposal, name, value)
    proposal.save(update_fields=[*fields, "updated_at"])
    changes = audit.diff(before, audit.field_values(proposal, list(fields)))
    if changes:
        audit.record(actor=actor, action="proposal.save", target=proposal, changes=changes)
    return proposal


@transaction.atomic
def proposal_unit_add(*, actor, proposal: Proposal, organisation) -> ProposalUnit:
    proposal = _lock_proposal(proposal)
    _require_editable_by(actor, proposal)
    unit, _created = ProposalUnit.objects.get_or_create(
        proposal=proposal, organisation=organisation, defaults={"role": ProposalUnit.Role.PARTICIPANT}
    )
    audit.record(actor=actor, action="proposal.unit_add", target=proposal, changes={"unit": [None, organisation.name]})
    return unit


@transaction.atomic
def proposal_person_save(*, actor, proposal: Proposal, person: Person | None = None, **fields) -> Person:
    proposal = _lock_proposal(proposal)
    _require_editable_by(actor, proposal)
    if person is None:
        person = Person(proposal=proposal)
    elif person.proposal_id != proposal.pk:
        raise PermissionDenied
    for name, value in fields.items():
        setattr(person, name, value)
    person.save()
    audit.record(actor=actor, action="proposal.person_save", target=proposal, changes={"person": [None, person.name]})
    return person


@transaction.atomic
def proposal_subject_save(
    *, actor, proposal: Proposal, subject: Subject | None = None, participant_units=None, **fields
) -> Subject:
    proposal = _lock_proposal(proposal)
    _require_editable_by(actor, proposal)
    if subject is None:
        number = (proposal.subjects.aggregate(models.Max("number"))["number__max"] or 0) + 1
        subject = Subject(proposal=proposal, number=number)
    elif subject.proposal_id != proposal.pk:
        raise PermissionDenied
    for name, value in fields.items():
        setattr(subject, name, value)
    subject.save()
    if participant_units is not None:
        subject.participant_units.set(participant_units)
    for organisation in [subject.unit, *(participant_units or [])]:
        if organisation is not None:
            ProposalUnit.objects.get_or_create(
                proposal=proposal, organisation=organisation, defaults={"role": ProposalUnit.Role.PARTICIPANT}
            )
    audit.record(
        actor=actor, action="proposal.subject_save", target=proposal, changes={"subject": [None, str(subject)]}
    )
    return subject


@transaction.atomic
def proposal_indicator_add(
    *, actor, proposal: Proposal, name: str, target_value: str, measurement: str = "", subject=None
) -> Indicator:
    proposal = _lock_proposal(proposal)
    _require_editable_by(actor, proposal)
    indicator = Indicator.objects.create(
        proposal=proposal, subject=subject, name=name, target_value=target_value, measurement=measurement
    )
    audit.record(
        actor=actor, action="proposal.indicator_add", target=proposal, changes={"indicator": [None, str(indicator)]}
    )
    return indicator


@transaction.atomic
def proposal_schedule_add(*, actor, proposal: Proposal, starts_on, ends_on, work: str) -> ScheduleItem:
    proposal = _lock_proposal(proposal)
    _require_editable_by(actor, proposal)
    if ends_on < starts_on:
        raise ValidationError({"ends_on": [_("A stage cannot end before it starts.")]})
    item = ScheduleItem.objects.create(proposal=proposal, starts_on=starts_on, ends_on=ends_on, work=work)
    audit.record(actor=actor, action="proposal.schedule_add", target=proposal, changes={"stage": [None, str(item)]})
    return item


def _check_pdf(content: bytes, name: str) -> None:
    if not content.startswith(b"%PDF-"):
        raise ValidationError(
            {"file": [_("%(name)s is not a PDF file: only PDF attachments are accepted.") % {"name": name}]}
        )
    if len(content) > MAX_ATTACHMENT_BYTES:
        raise ValidationError({"file": [_("%(name)s is larger than 20 MB.") % {"name": name}]})
    if any(marker in content for marker in PDF_ACTIVE_CONTENT):
        raise ValidationError(
            {
                "file": [
                    _("%(name)s contains scripts, launch actions or embedded files; save it again as a plain PDF.")
                    % {"name": name}
                ]
            }
        )


@transaction.atomic
def proposal_attachment_add(
    *, actor, proposal: Proposal, uploaded_file, kind: str = Attachment.Kind.OTHER
) -> Attachment:
    """Store a PDF attachment outside the web root after checking it is a plain PDF."""
    import hashlib

    from django.core.files.base import ContentFile

    proposal = _lock_proposal(proposal)
    _require_editable_by(actor, proposal)
    content = uploaded_file.read(MAX_ATTACHMENT_BYTES + 1)
    name = getattr(uploaded_file, "name", "attachment.pdf")
    _check_pdf(content, name)
    attachment = Attachment(
        proposal=proposal,
        kind=kind,
        original_name=name[:255],
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        uploaded_by=actor,
    )
    attachment.file.save("upload.pdf", ContentFile(content), save=False)
    attachment.save()
    audit.record(
        actor=actor,
        action="proposal.attachment_add",
        target=proposal,
        changes={"attachment": [None, attachment.original_name]},
    )
    return attachment


@transaction.atomic
def proposal_pledge_confirm(*, actor, proposal: Proposal, party: str, organisation=None, person=None) -> Pledge:
    """Record an integrity pledge. Unit pledges are confirmed by the applicant on the unit's
    behalf during drafting and checked again by the unit administrator at unit submission."""
    proposal = _lock_proposal(proposal)
    _require_editable_by(actor, proposal)
    pledge, _created = Pledge.objects.get_or_create(
        proposal=proposal, party=party, organisation=organisation, person=person, defaults={"confirmed_by": actor}
    )
    audit.record(actor=actor, action="proposal.pledge", target=proposal, changes={"pledge": [None, str(pledge)]})
    return pledge


def required_pledges(proposal: Proposal) -> list[tuple[str, object, object, str]]:
    """(party, organisation, person, label) of every pledge the proposal needs."""
    needed = [(Pledge.Party.LEAD_UNIT, proposal.lead_unit, None, str(proposal.lead_unit))]
    leader = proposal.people.filter(role=Person.Role.PROJECT_LEADER).first()
    if leader:
        needed.append((Pledge.Party.PROJECT_LEADER, None, leader, leader.name))
    for subject in proposal.subjects.select_related("unit", "leader"):
        if subject.unit:
            needed.append((Pledge.Party.SUBJECT_UNIT, subject.unit, None, f"{subject}: {subject.unit}"))
        if subject.leader:
            needed.append((Pledge.Party.SUBJECT_LEADER, None, subject.leader, f"{subject}: {subject.leader.name}"))
    unique = {}
    for party, organisation, person, label in needed:
        unique[(party, getattr(organisation, "pk", None), getattr(person, "pk", None))] = (
            party,
            organisation,
            person,
            label,
        )
    return list(unique.values())


def missing_pledges(proposal: Proposal) -> list[str]:
    given = set(proposal.pledges.values_list("party", "organisation_id", "person_id"))
    return [
        label
        for party, organisation, person, label in required_pledges(proposal)
        if (party, getattr(organisation, "pk", None), getattr(person, "pk", None)) not in given
    ]


# Applications that count for 限项: submitted anywhere along the chain (a returned one will be
# submitted again). Drafts and withdrawn ones do not count.
COUNTED_PROPOSAL_STATES = (
    Proposal.State.SUBMITTED,
    Proposal.State.UNIT_SUBMITTED,
    Proposal.State.RECEIVED,
    Proposal.State.RETURNED,
)


def _person_key(person: Person) -> tuple[str, str]:
    return (person.id_type, person.id_number.strip().upper())


def proposal_findings(proposal: Proposal) -> list[rules.Finding]:
    """Every eligibility check of P2 (KRD-MGMT §23–§24) and the required items, run at
    submission; each finding names its rule, article and the offending item."""
    call = proposal.call
    program_code = call.special_project.program.code
    units = list(proposal.units.select_related("organisation"))
    findings = rules.check_units(
        [
            rules.UnitFacts(
                name=unit.organisation.name,
                is_registered_in_mainland=unit.organisation.is_registered_in_mainland,
                is_independent_legal_entity=unit.organisation.is_independent_legal_entity,
                registration_date=unit.organisation.registration_date,
            )
            for unit in units
        ],
        registered_before=call.unit_registered_before,
    )
    people = list(proposal.people.all())
    subjects = list(proposal.subjects.select_related("unit", "leader").prefetch_related("participant_units"))
    subject_leader_ids = {subject.leader_id for subject in subjects if subject.leader_id}
    leaders = [p for p in people if p.role == Person.Role.PROJECT_LEADER or p.pk in subject_leader_ids]
    findings += rules.check_leader_ages(
        [rules.LeaderFacts(name=p.name, role=p.role, birth_date=p.birth_date) for p in leaders],
        guide_year=call.year,
        max_age=call.leader_max_age,
    )
    for person in leaders:
        if not person.id_number.strip():
            findings.append(
                rules.Finding(
                    "P2",
                    "leader_id_missing",
                    _("KRD-MGMT §24: the leader's ID number is needed for the 限项 check."),
                    person.name,
                )
            )

    # 限项: every person with an ID number, across open applications and in-progress projects.
    by_key: dict[tuple[str, str], list[Person]] = {}
    for person in people:
        if person.id_number.strip():
            by_key.setdefault(_person_key(person), []).append(person)
    if by_key:
        others = (
            Person.objects.filter(id_number__in=[key[1] for key in by_key])
            .exclude(proposal=proposal)
            .filter(
                models.Q(proposal__state__in=COUNTED_PROPOSAL_STATES)
                | models.Q(proposal__project__state=Project.State.ACTIVE)
            )
            .select_related("proposal__call__special_project__program", "proposal__project")
        )
        led_subjects = set(Subject.objects.filter(leader__in=others).values_list("leader_id", flat=True))
        elsewhere: dict[tuple[str, str], list[rules.Engagement]] = {}
        for other in others:
            in_project = (
                getattr(other.proposal, "project", None) is not None
                and other.proposal.project.state == Project.State.ACTIVE
            )
            elsewhere.setdefault(_person_key(other), []).append(
                rules.Engagement(
                    reference=f"project:{other.proposal.project.number}"
                    if in_project
                    else f"proposal:{other.proposal_id}",
                    is_project=in_project,
                    is_leader=other.role == Person.Role.PROJECT_LEADER or other.pk in led_subjects,
                    program_code=other.proposal.call.special_project.program.code,
                    call_id=other.proposal.call_id,
                )
            )
        for key, rows in by_key.items():
            findings += rules.check_concurrent_limits(
                person=rows[0].name,
                leads_this=any(row.role == Person.Role.PROJECT_LEADER for row in rows),
                call_id=call.pk,
                elsewhere=elsewhere.get(key, []),
                max_participations=call.max_participations,
                excluded_leader_programs=list(call.excluded_leader_programs),
            )

    findings += rules.check_counts(
        subjects=len(subjects),
        units_per_subject={
            str(subject): len(
                {unit.pk for unit in [subject.unit, *subject.participant_units.all()] if unit is not None}
            )
            for subject in subjects
        },
        max_subjects=call.max_subjects,
        max_units_per_subject=call.max_units_per_subject,
    )
    findings += rules.check_required_items(
        program_code=program_code,
        has_ip_analysis=bool(proposal.ip_analysis.strip()),
        has_foreign_partner=bool(proposal.foreign_partner.strip()),
        agreement_has_ip_clause=proposal.agreement_has_ip_clause,
        attachment_kinds=set(proposal.attachments.values_list("kind", flat=True)),
        participant_units=sum(1 for unit in units if unit.role == ProposalUnit.Role.PARTICIPANT),
        missing_pledges=missing_pledges(proposal),
    )
    findings += rules.check_credit(serious_records=_serious_credit_records(proposal, units, leaders))
    return findings


def _serious_credit_records(proposal, units, leaders) -> list[str]:
    from accounts.models import CreditRecord

    today = timezone.localdate()
    in_force = CreditRecord.objects.filter(severity=CreditRecord.Severity.SERIOUS).filter(
        models.Q(in_force_until__isnull=True) | models.Q(in_force_until__gte=today)
    )
    names = [
        record.organisation.name
        for record in in_force.filter(organisation__in=[unit.organisation_id for unit in units]).select_related(
            "organisation"
        )
    ]
    ids = {leader.id_number.strip().upper(): leader.name for leader in leaders if leader.id_number.strip()}
    names += [
        ids[number] for number in in_force.filter(person_id_number__in=ids).values_list("person_id_number", flat=True)
    ]
    return names


def _refuse_if_findings(findings: list[rules.Finding]) -> None:
    if findings:
        raise RuleViolation(
            findings[0].rule,
            _("The proposal cannot be submitted: %(count)d eligibility check(s) failed.") % {"count": len(findings)},
            code="eligibility",
            findings=[{"rule": f.rule, "code": f.code, "message": f.message, "item": f.item} for f in findings],
        )


def _refuse_after_deadline(call: Call, step: str, now: dt.datetime) -> None:
    """P1 — the closing moment, enforced on the server for the step the call names."""
    if call.deadline_step == step and now >= call.closes_at:
        raise RuleViolation(
            "P1",
            _("Applications to this call closed at %(closes)s (Beijing time); submission is no longer possible.")
            % {"closes": timezone.localtime(call.closes_at).strftime("%Y-%m-%d %H:%M")},
            code="deadline_passed",
        )


def _transition(proposal: Proposal, *, actor, to: str, action: str, rule: str = "", **extra) -> Proposal:
    before = proposal.state
    proposal.state = to
    fields = ["state", "updated_at", *extra]
    for name, value in extra.items():
        setattr(proposal, name, value)
    proposal.save(update_fields=fields)
    audit.record(
        actor=actor,
        action=action,
        target=proposal,
        rule=rule,
        changes={"state": [before, to], **{name: [None, value] for name, value in extra.items()}},
    )
    return proposal


@transaction.atomic
def proposal_submit(*, actor, proposal: Proposal, now: dt.datetime | None = None) -> Proposal:
    """The applicant submits to their unit, after every eligibility check passes."""
    now = now or timezone.now()
    proposal = _lock_proposal(proposal)
    _require_editable_by(actor, proposal)
    _refuse_after_deadline(proposal.call, Call.DeadlineStep.APPLICANT, now)
    if proposal.call.state == Call.State.DRAFT:
        raise StateConflict(_("This call is not open for applications."), code="call_not_open")
    _refuse_if_findings(proposal_findings(proposal))
    proposal = _transition(
        proposal,
        actor=actor,
        to=Proposal.State.SUBMITTED,
        action="proposal.submit",
        rule="P2",
        submitted_at=now,
        returned_reason="",
    )
    notify(
        recipients=_unit_admins(proposal.lead_unit_id),
        title=_("A proposal awaits your unit's check: %(title)s") % {"title": proposal.title},
        link=reverse("projects:proposal_detail", args=[proposal.pk]),
    )
    return proposal


def _unit_admins(organisation_id):
    from accounts.models import User

    return list(
        User.objects.filter(organisation_id=organisation_id, groups__name=Role.UNIT_ADMIN.value, is_active=True)
    )


@transaction.atomic
def proposal_unit_submit(*, actor, proposal: Proposal, now: dt.datetime | None = None) -> Proposal:
    """The lead unit's administrator checks and submits for the unit: to the recommending
    department where the call needs one, else straight to the agency."""
    now = now or timezone.now()
    proposal = _lock_proposal(proposal)
    if not (actor.has_role(Role.UNIT_ADMIN.value) and actor.organisation_id == proposal.lead_unit_id):
        raise PermissionDenied
    if proposal.state != Proposal.State.SUBMITTED:
        raise StateConflict(
            _("Only a proposal submitted by its applicant can be submitted by the unit."), code="not_submitted"
        )
    _refuse_after_deadline(proposal.call, Call.DeadlineStep.UNIT, now)
    _refuse_if_findings(proposal_findings(proposal))
    if proposal.call.requires_recommendation:
        if proposal.recommending_department_id is None:
            raise RuleViolation(
                "P12",
                _("This call takes applications through a recommending department: choose one."),
                code="recommender_missing",
            )
        return _transition(proposal, actor=actor, to=Proposal.State.UNIT_SUBMITTED, action="proposal.unit_submit")
    return _transition(proposal, actor=actor, to=Proposal.State.RECEIVED, action="proposal.unit_submit")


@transaction.atomic
def proposal_recommend(*, actor, proposal: Proposal) -> Proposal:
    """The recommending department confirms the proposal; the agency receives it."""
    proposal = _lock_proposal(proposal)
    if not (actor.has_role(Role.RECOMMENDER.value) and actor.organisation_id == proposal.recommending_department_id):
        raise PermissionDenied
    if proposal.state != Proposal.State.UNIT_SUBMITTED:
        raise StateConflict(
            _("Only a proposal awaiting recommendation can be recommended."), code="not_awaiting_recommendation"
        )
    return _transition(proposal, actor=actor, to=Proposal.State.RECEIVED, action="proposal.recommend", rule="P12")


@transaction.atomic
def proposal_return(*, actor, proposal: Proposal, reason: str) -> Proposal:
    """A step of the chain returns the proposal to the applicant with a reason (P4)."""
    if not reason.strip():
        raise ValidationError({"reason": [_("Give the reason for returning the proposal.")]})
    proposal = _lock_proposal(proposal)
    allowed = {
        Proposal.State.SUBMITTED: actor.has_role(Role.UNIT_ADMIN.value)
        and actor.organisation_id == proposal.lead_unit_id,
        Proposal.State.UNIT_SUBMITTED: actor.has_role(Role.RECOMMENDER.value)
        and actor.organisation_id == proposal.recommending_department_id,
        Proposal.State.RECEIVED: actor.has_role(Role.AGENCY.value)
        and actor.organisation_id == proposal.call.special_project.managing_agency_id,
    }
    if not allowed.get(proposal.state, False):
        raise PermissionDenied
    proposal = _transition(
        proposal,
        actor=actor,
        to=Proposal.State.RETURNED,
        action="proposal.return",
        rule="P4",
        returned_reason=reason.strip(),
    )
    notify(
        recipients=[proposal.applicant],
        title=_("Your proposal was returned: %(title)s") % {"title": proposal.title},
        body=reason.strip(),
        link=reverse("projects:proposal_detail", args=[proposal.pk]),
    )
    return proposal


@transaction.atomic
def proposal_withdraw(*, actor, proposal: Proposal, now: dt.datetime | None = None) -> Proposal:
    """The applicant withdraws the proposal before the closing moment."""
    now = now or timezone.now()
    proposal = _lock_proposal(proposal)
    if proposal.applicant_id != actor.pk:
        raise PermissionDenied
    if proposal.state == Proposal.State.WITHDRAWN:
        return proposal
    if now >= proposal.call.closes_at:
        raise RuleViolation(
            "P1",
            _("The call has closed: a proposal can be withdrawn only before the closing moment."),
            code="deadline_passed",
        )
    return _transition(proposal, actor=actor, to=Proposal.State.WITHDRAWN, action="proposal.withdraw")
