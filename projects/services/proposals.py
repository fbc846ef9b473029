"""Proposals (申报书) in the applicant's hands: drafting, sections, units, people, subjects,
indicators, schedule, attachments, pledges, the eligibility checks of submission (P2 — KRD-MGMT
§23–§24), submission to the unit and withdrawal."""

from __future__ import annotations

import datetime as dt
import hashlib

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import CreditRecord
from accounts.roles import Role
from core import audit
from core.exceptions import RuleViolation, StateConflict
from core.identity import normal_id
from core.notifications import notify
from core.uploads import read_pdf
from projects import extensions, policies, rules
from projects.models import (
    Attachment,
    Call,
    Indicator,
    Person,
    Pledge,
    Project,
    Proposal,
    ProposalUnit,
    ScheduleItem,
    Subject,
)
from projects.services.common import (
    _lock_proposal,
    _refuse_after_deadline,
    _refuse_if_findings,
    _role_users,
    _transition,
)
from secrecy.services import check_attachment_level

EDITABLE_STATES = (Proposal.State.DRAFT, Proposal.State.RETURNED)


def _require_editable_by(actor, proposal: Proposal) -> None:
    if not policies.is_applicant_of(actor, proposal):
        raise PermissionDenied
    if proposal.state not in EDITABLE_STATES:
        raise StateConflict(_("Only a draft or a returned proposal can be changed."), code="proposal_not_editable")


@transaction.atomic
def proposal_create(
    *, actor, call: Call, stage: str = Proposal.Stage.FORMAL, library_entry=None, now: dt.datetime | None = None
) -> Proposal:
    """A new draft for the actor's unit, with the actor as project leader. An INTL application
    starts from its unit's project-library entry (P12)."""
    now = now or timezone.now()
    if not actor.has_role(Role.APPLICANT.value) or actor.organisation_id is None:
        raise PermissionDenied
    if call.state != Call.State.PUBLISHED or now >= call.closes_at:
        raise StateConflict(_("This call is not open for applications."), code="call_not_open")
    _require_library_entry(call, actor, library_entry)
    carried = {}
    if library_entry is not None:
        carried = {
            "title": library_entry.title,
            "summary": library_entry.summary,
            "foreign_partner": library_entry.foreign_partner,
            "foreign_partner_country": library_entry.foreign_partner_country,
            "recommending_department": library_entry.recommending_department,
        }
    proposal = Proposal.objects.create(
        call=call, stage=stage, applicant=actor, lead_unit=actor.organisation, library_entry=library_entry, **carried
    )
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
    audit.save_changes(proposal, actor=actor, action="proposal.save", fields=fields)
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


def _require_library_entry(call: Call, actor, library_entry) -> None:
    """P12 — INTL §22: every INTL application comes from the project library, for its own unit."""
    if call.special_project.program.code != "intl":
        return
    if library_entry is None or library_entry.lead_unit_id != actor.organisation_id:
        raise RuleViolation(
            "P12",
            _(
                "《国家国际科技合作专项管理办法》第二十二条 (P12): every project of the international program comes from the project library; choose your unit's library entry."
            ),
            code="library_entry_missing",
        )


@transaction.atomic
def proposal_attachment_add(
    *, actor, proposal: Proposal, uploaded_file, kind: str = Attachment.Kind.OTHER, classification_level: str = "none"
) -> Attachment:
    """Store a PDF attachment outside the web root after checking it is a plain PDF. An
    attachment declared above the portal's maximum classification level is refused before
    anything is stored (S11 — SECRETS-LAW §24)."""
    check_attachment_level(classification_level)
    proposal = _lock_proposal(proposal)
    _require_editable_by(actor, proposal)
    content, name = read_pdf(uploaded_file)
    attachment = Attachment(
        proposal=proposal,
        kind=kind,
        original_name=name[:255],
        classification_level=classification_level or "none",
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
    return (person.id_type, normal_id(person.id_number))


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
    for check in extensions.submission_checks:
        findings += check(proposal)
    return findings


def _serious_credit_records(proposal, units, leaders) -> list[str]:
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


@transaction.atomic
def proposal_submit(*, actor, proposal: Proposal, now: dt.datetime | None = None) -> Proposal:
    """The applicant submits to their unit, after every eligibility check passes."""
    now = now or timezone.now()
    proposal = _lock_proposal(proposal)
    _require_editable_by(actor, proposal)
    _refuse_after_deadline(proposal, Call.DeadlineStep.APPLICANT, now)
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
        recipients=_role_users(proposal.lead_unit_id, Role.UNIT_ADMIN.value),
        title=_("A proposal awaits your unit's check: %(title)s") % {"title": proposal.title},
        link=reverse("projects:proposal_detail", args=[proposal.pk]),
    )
    return proposal


@transaction.atomic
def proposal_withdraw(*, actor, proposal: Proposal, now: dt.datetime | None = None) -> Proposal:
    """The applicant withdraws the proposal before the closing moment."""
    now = now or timezone.now()
    proposal = _lock_proposal(proposal)
    if not policies.is_applicant_of(actor, proposal):
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
