"""State changes of projects."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.roles import Role
from accounts.selectors import users_with_role
from core import audit
from core.deadlines import services as deadlines
from core.deadlines.rules import add_months
from core.exceptions import RuleViolation, StateConflict
from core.identity import normal_id
from core.models import Obligation
from core.notifications import notify
from projects import rules
from projects.models import (
    Appeal,
    Attachment,
    Call,
    CallDirection,
    FormalReview,
    Indicator,
    LibraryEntry,
    Objection,
    Person,
    Pledge,
    Project,
    Proposal,
    ProposalUnit,
    PublicNotice,
    ScheduleItem,
    Subject,
    TaskBook,
    TaskBookIndicator,
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
    audit.save_changes(call, actor=actor, action="call.update", fields=fields, validate=True)
    return call


@transaction.atomic
def call_direction_add(
    *, actor, call: Call, code: str, title: str, planned_projects: int, budget_outline=None, discipline_code: str = ""
) -> CallDirection:
    call = Call.objects.select_for_update().get(pk=call.pk)
    if not _agency_may_manage(actor, call.special_project):
        raise PermissionDenied
    if call.state != Call.State.DRAFT:
        raise StateConflict(_("A published call guide can no longer be edited."), code="call_published")
    direction = CallDirection(
        call=call,
        code=code,
        title=title,
        planned_projects=planned_projects,
        budget_outline=budget_outline,
        discipline_code=(discipline_code or "").strip(),
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
    # The call's projects keep the funds rules in force at publication (unless chosen).
    from budgets.rules import edition_for

    try:
        call.funds_edition = edition_for(
            program=call.special_project.program.code,
            on=timezone.localtime(now).date(),
            code=call.funds_edition or None,
        ).code
    except LookupError as error:
        raise RuleViolation(
            "B2",
            _("The chosen funds policy edition does not apply to this program."),
            fields={"funds_edition": [_("Choose another edition.")]},
            code="funds_edition",
        ) from error
    call.save(update_fields=["state", "published_at", "funds_edition"])
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
    *, actor, proposal: Proposal, uploaded_file, kind: str = Attachment.Kind.OTHER, classification_level: str = "none"
) -> Attachment:
    """Store a PDF attachment outside the web root after checking it is a plain PDF. An
    attachment declared above the portal's maximum classification level is refused before
    anything is stored (S11 — SECRETS-LAW §24)."""
    import hashlib

    from django.core.files.base import ContentFile

    from secrecy.services import check_attachment_level

    check_attachment_level(classification_level)
    proposal = _lock_proposal(proposal)
    _require_editable_by(actor, proposal)
    content = uploaded_file.read(MAX_ATTACHMENT_BYTES + 1)
    name = getattr(uploaded_file, "name", "attachment.pdf")
    _check_pdf(content, name)
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
    from budgets.services.book import submission_findings

    findings += submission_findings(proposal)
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


def _refuse_after_deadline(proposal: Proposal, step: str, now: dt.datetime) -> None:
    """P1 — the closing moment, enforced on the server for the step the call names; for the
    formal application of a two-round call, the invitation's window (P3)."""
    call = proposal.call
    if proposal.pre_proposal_id is not None:
        due = proposal.pre_proposal.formal_due_at
        if call.deadline_step == step and due is not None and now >= due:
            raise RuleViolation(
                "P3",
                _("KRD-MGMT §28: the formal application was due by %(due)s.")
                % {"due": timezone.localtime(due).strftime("%Y-%m-%d %H:%M")},
                code="deadline_passed",
            )
        return
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
    _refuse_after_deadline(proposal, Call.DeadlineStep.UNIT, now)
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


# ---- Formal review (形式审查), appeals (申诉): P4 — KRD-MGMT §36 ------------------------------

MANUAL_CHECKS = [
    "Materials are true and complete, with every signature and seal",
    "The application fits the guide's direction",
    "The budget follows the funds rules",
]


def _agency_of(actor, proposal: Proposal) -> bool:
    return (
        actor.has_role(Role.AGENCY.value) and actor.organisation_id == proposal.call.special_project.managing_agency_id
    )


@transaction.atomic
def formal_review_open(*, actor, proposal: Proposal) -> FormalReview:
    """Open the formal review of a received proposal, its checklist pre-filled by the
    automatic checks (run again now) and the manual items left to the reviewer."""
    proposal = _lock_proposal(proposal)
    if not _agency_of(actor, proposal):
        raise PermissionDenied
    if proposal.state != Proposal.State.RECEIVED:
        raise StateConflict(_("Only a received proposal is reviewed for form."), code="not_received")
    existing = FormalReview.objects.filter(proposal=proposal).first()
    if existing is not None:
        return existing
    findings = proposal_findings(proposal)
    with translation.override(settings.LANGUAGE_CODE):
        checklist = [
            {
                "item": _("Eligibility checks of the portal (P2)"),
                "source": "auto",
                "ok": not findings,
                "note": "；".join(f"{f.message} {f.item}".strip() for f in findings),
            },
            *({"item": _(text), "source": "manual", "ok": None, "note": ""} for text in MANUAL_CHECKS),
        ]
    review = FormalReview.objects.create(proposal=proposal, checklist=checklist)
    audit.record(actor=actor, action="formal_review.open", target=proposal, rule="P4")
    return review


@transaction.atomic
def formal_review_decide(
    *, actor, proposal: Proposal, passed: bool, reasons: str, manual: dict[int, bool] | None = None, now=None
) -> FormalReview:
    """Pass or fail; a failure needs reasons. The applicant sees both, and may appeal a
    failure within the call's working days (P4 — KRD-MGMT §36)."""
    now = now or timezone.now()
    proposal = _lock_proposal(proposal)
    if not _agency_of(actor, proposal):
        raise PermissionDenied
    review = FormalReview.objects.select_for_update().filter(proposal=proposal).first()
    if review is None or proposal.state != Proposal.State.RECEIVED:
        raise StateConflict(_("Open the formal review of a received proposal first."), code="no_formal_review")
    if not passed and not reasons.strip():
        raise ValidationError(
            {"reasons": [_("A failed formal review needs its reasons: the applicant sees them (KRD-MGMT §36).")]}
        )
    for index, ok in (manual or {}).items():
        if 0 <= index < len(review.checklist) and review.checklist[index]["source"] == "manual":
            review.checklist[index]["ok"] = ok
    review.result = FormalReview.Result.PASSED if passed else FormalReview.Result.FAILED
    review.reasons = reasons.strip()
    review.reviewer = actor
    review.decided_at = now
    if not passed:
        review.appeal_until = deadlines.due_in_working_days(
            timezone.localtime(now).date(), proposal.call.appeal_working_days
        )
        with translation.override(settings.LANGUAGE_CODE):
            deadlines.obligation_ensure(
                target=proposal,
                kind="appeal_window",
                period="formal_review",
                due_at=review.appeal_until,
                title=_("Appeals against the formal review of %(title)s close") % {"title": proposal.title},
                responsible_users=[proposal.applicant],
                reminder_days=[1],
                link=reverse("projects:proposal_detail", args=[proposal.pk]),
            )
    review.save()
    _transition(
        proposal,
        actor=actor,
        to=Proposal.State.FORMAL_PASSED if passed else Proposal.State.FORMAL_FAILED,
        action="formal_review.decide",
        rule="P4",
    )
    title = (
        _("Your proposal passed formal review: %(title)s")
        if passed
        else _("Your proposal failed formal review: %(title)s")
    ) % {"title": proposal.title}
    notify(
        recipients=[proposal.applicant],
        title=title,
        body=review.reasons,
        link=reverse("projects:proposal_detail", args=[proposal.pk]),
    )
    return review


@transaction.atomic
def appeal_file(*, actor, proposal: Proposal, grounds: str, now=None) -> Appeal:
    """The applicant appeals a failed formal review within the window (P4 — KRD-MGMT §36)."""
    now = now or timezone.now()
    proposal = _lock_proposal(proposal)
    if proposal.applicant_id != actor.pk:
        raise PermissionDenied
    review = getattr(proposal, "formal_review", None)
    if proposal.state != Proposal.State.FORMAL_FAILED or review is None:
        raise StateConflict(_("Only a failed formal review can be appealed."), code="nothing_to_appeal")
    if review.appeal_until and now > review.appeal_until:
        raise RuleViolation(
            "P4",
            _("KRD-MGMT §36: appeals against this decision were accepted until %(until)s.")
            % {"until": timezone.localtime(review.appeal_until).strftime("%Y-%m-%d %H:%M")},
            code="appeal_window_closed",
        )
    if proposal.appeals.filter(outcome="").exists():
        raise StateConflict(_("An appeal of this proposal is already awaiting its answer."), code="appeal_pending")
    if not grounds.strip():
        raise ValidationError({"grounds": [_("State the grounds of the appeal.")]})
    appeal = Appeal.objects.create(proposal=proposal, grounds=grounds.strip(), filed_by=actor)
    for window in Obligation.objects.filter(
        kind="appeal_window", object_id=str(proposal.pk), state__in=[Obligation.State.OPEN, Obligation.State.OVERDUE]
    ):
        deadlines.obligation_complete(obligation=window, actor=actor)
    audit.record(
        actor=actor, action="appeal.file", target=proposal, rule="P4", changes={"grounds": [None, appeal.grounds]}
    )
    agency_users = _role_users(proposal.call.special_project.managing_agency_id, Role.AGENCY.value)
    notify(
        recipients=agency_users,
        title=_("An appeal awaits your answer: %(title)s") % {"title": proposal.title},
        link=reverse("projects:proposal_detail", args=[proposal.pk]),
    )
    return appeal


@transaction.atomic
def appeal_answer(*, actor, appeal: Appeal, upheld: bool, answer: str, now=None) -> Appeal:
    """The agency answers; an upheld appeal passes the formal review."""
    now = now or timezone.now()
    appeal = Appeal.objects.select_for_update().select_related("proposal").get(pk=appeal.pk)
    proposal = _lock_proposal(appeal.proposal)
    if not _agency_of(actor, proposal):
        raise PermissionDenied
    if appeal.outcome:
        raise StateConflict(_("This appeal has been answered."), code="appeal_answered")
    if not answer.strip():
        raise ValidationError({"answer": [_("Write the answer to the appeal.")]})
    appeal.outcome = Appeal.Outcome.UPHELD if upheld else Appeal.Outcome.REJECTED
    appeal.answer = answer.strip()
    appeal.answered_by = actor
    appeal.answered_at = now
    appeal.save()
    audit.record(
        actor=actor, action="appeal.answer", target=proposal, rule="P4", changes={"outcome": [None, appeal.outcome]}
    )
    if upheld:
        FormalReview.objects.filter(proposal=proposal).update(result=FormalReview.Result.PASSED)
        _transition(proposal, actor=actor, to=Proposal.State.FORMAL_PASSED, action="appeal.upheld", rule="P4")
    notify(
        recipients=[proposal.applicant],
        title=_("Your appeal was answered: %(title)s") % {"title": proposal.title},
        body=appeal.answer,
        link=reverse("projects:proposal_detail", args=[proposal.pk]),
    )
    return appeal


def _role_users(organisation_id, role: str):
    return list(users_with_role(organisation_id=organisation_id, role=role))


# ---- Proposed list, compliance review, public notice, approval (P5 — KRD-MGMT §31–§33) -------


@transaction.atomic
def proposal_propose(*, actor, proposal: Proposal) -> Proposal:
    """The agency puts a proposal that passed its reviews on its proposed list (KRD-MGMT §31)."""
    proposal = _lock_proposal(proposal)
    if not _agency_of(actor, proposal):
        raise PermissionDenied
    if proposal.state != Proposal.State.FORMAL_PASSED:
        raise StateConflict(_("Only a proposal that passed formal review can be proposed."), code="not_formal_passed")
    return _transition(proposal, actor=actor, to=Proposal.State.PROPOSED, action="proposal.propose", rule="P5")


@transaction.atomic
def compliance_approve(*, actor, call: Call, proposals: list[Proposal], now=None) -> PublicNotice:
    """MOST's compliance review approves the proposed projects (KRD-MGMT §32); they go on public
    notice for the call's working days (§33), with a timer that closes the notice."""
    now = now or timezone.now()
    if not actor.has_role(Role.MINISTRY.value):
        raise PermissionDenied
    locked = [_lock_proposal(proposal) for proposal in sorted(proposals, key=lambda p: p.pk)]
    if not locked or any(p.call_id != call.pk or p.state != Proposal.State.PROPOSED for p in locked):
        raise StateConflict(_("Only proposed projects of this call can pass compliance review."), code="not_proposed")
    ends_at = deadlines.due_in_working_days(timezone.localtime(now).date(), call.public_notice_working_days)
    with translation.override(settings.LANGUAGE_CODE):
        notice = PublicNotice.objects.create(
            call=call,
            title=_("Public notice of the projects proposed under %(call)s") % {"call": call.title},
            starts_at=now,
            ends_at=ends_at,
        )
        notice.proposals.set(locked)
        deadlines.obligation_ensure(
            target=notice,
            kind="public_notice_end",
            period="",
            due_at=ends_at,
            title=_("End of %(notice)s") % {"notice": notice.title},
            managing_organisation=call.special_project.managing_agency,
            reminder_days=[],
            link=reverse("projects:public_notice_detail", args=[notice.pk]),
        )
    for proposal in locked:
        _transition(proposal, actor=actor, to=Proposal.State.IN_PUBLIC_NOTICE, action="compliance.approve", rule="P5")
    audit.record(
        actor=actor, action="public_notice.open", target=notice, rule="P5", changes={"ends_at": [None, ends_at]}
    )
    return notice


@transaction.atomic
def compliance_return(*, actor, proposal: Proposal, reason: str) -> Proposal:
    """MOST returns a proposed project to the agency with its reasons (KRD-MGMT §32)."""
    if not actor.has_role(Role.MINISTRY.value):
        raise PermissionDenied
    if not reason.strip():
        raise ValidationError({"reason": [_("Give the reason for returning the proposal.")]})
    proposal = _lock_proposal(proposal)
    if proposal.state != Proposal.State.PROPOSED:
        raise StateConflict(_("Only a proposed project is reviewed for compliance."), code="not_proposed")
    proposal = _transition(
        proposal,
        actor=actor,
        to=Proposal.State.FORMAL_PASSED,
        action="compliance.return",
        rule="P5",
        returned_reason=reason.strip(),
    )
    notify(
        recipients=_role_users(proposal.call.special_project.managing_agency_id, Role.AGENCY.value),
        title=_("The ministry returned a proposed project: %(title)s") % {"title": proposal.title},
        body=reason.strip(),
        link=reverse("projects:proposal_detail", args=[proposal.pk]),
    )
    return proposal


def public_notice_close(*, notice: PublicNotice) -> PublicNotice:
    """Timer at the end of the notice period."""
    with transaction.atomic():
        notice = PublicNotice.objects.select_for_update().get(pk=notice.pk)
        if not notice.is_closed:
            notice.is_closed = True
            notice.save(update_fields=["is_closed"])
            audit.record(actor=None, action="public_notice.close", target=notice, rule="P5")
    return notice


@transaction.atomic
def objection_raise(*, actor, notice: PublicNotice, proposal: Proposal, text: str, now=None) -> Objection:
    now = now or timezone.now()
    if not actor.is_authenticated:
        raise PermissionDenied
    notice = PublicNotice.objects.select_for_update().get(pk=notice.pk)
    if notice.is_closed or not (notice.starts_at <= now < notice.ends_at):
        raise RuleViolation("P5", _("Objections are taken only while the public notice is open."), code="notice_closed")
    if not notice.proposals.filter(pk=proposal.pk).exists():
        raise PermissionDenied
    if not text.strip():
        raise ValidationError({"text": [_("Write the objection.")]})
    objection = Objection.objects.create(notice=notice, proposal=proposal, raised_by=actor, text=text.strip())
    audit.record(actor=actor, action="objection.raise", target=proposal, rule="P5")
    notify(
        recipients=_role_users(proposal.call.special_project.managing_agency_id, Role.AGENCY.value),
        title=_("An objection was raised during the public notice: %(title)s") % {"title": proposal.title},
        link=reverse("projects:proposal_detail", args=[proposal.pk]),
    )
    return objection


@transaction.atomic
def objection_resolve(*, actor, objection: Objection, sustained: bool, resolution: str, now=None) -> Objection:
    """The agency resolves an objection; a sustained one stops the project's approval."""
    now = now or timezone.now()
    objection = Objection.objects.select_for_update().select_related("proposal").get(pk=objection.pk)
    proposal = _lock_proposal(objection.proposal)
    if not _agency_of(actor, proposal):
        raise PermissionDenied
    if objection.resolved_at is not None:
        raise StateConflict(_("This objection has been resolved."), code="objection_resolved")
    if not resolution.strip():
        raise ValidationError({"resolution": [_("Write how the objection was resolved.")]})
    objection.is_sustained = sustained
    objection.resolution = resolution.strip()
    objection.resolved_by = actor
    objection.resolved_at = now
    objection.save()
    audit.record(
        actor=actor, action="objection.resolve", target=proposal, rule="P5", changes={"sustained": [None, sustained]}
    )
    if sustained:
        _transition(proposal, actor=actor, to=Proposal.State.NOT_APPROVED, action="proposal.not_approved", rule="P5")
    return objection


def _next_project_number(call: Call) -> str:
    """E.g. 2027YFA0500103: year, YF, the program letter, the special project and a sequence."""
    letter = {"key_rd": "A", "major": "Z", "intl": "D"}.get(call.special_project.program.code, "X")
    prefix = f"{call.year}YF{letter}{call.special_project_id % 100:02d}"
    last = Project.objects.select_for_update().filter(number__startswith=prefix).order_by("-number").first()
    sequence = int(last.number[len(prefix) :]) + 1 if last else 1
    return f"{prefix}{sequence:05d}"


@transaction.atomic
def approval_issue(*, actor, proposal: Proposal, now=None) -> Project:
    """The approval notice (立项通知) after a public notice that has ended without a sustained
    objection: the project gets its number (P5 — KRD-MGMT §33)."""
    now = now or timezone.now()
    proposal = _lock_proposal(proposal)
    if not _agency_of(actor, proposal):
        raise PermissionDenied
    notice = proposal.public_notices.order_by("-starts_at").first()
    if proposal.state != Proposal.State.IN_PUBLIC_NOTICE or notice is None:
        raise StateConflict(_("Only a project on public notice can be approved."), code="not_in_notice")
    if now < notice.ends_at:
        raise RuleViolation(
            "P5",
            _("KRD-MGMT §33: the public notice runs until %(until)s; approve after it ends.")
            % {"until": timezone.localtime(notice.ends_at).strftime("%Y-%m-%d %H:%M")},
            code="notice_running",
        )
    if proposal.objections.filter(resolved_at__isnull=True).exists():
        raise StateConflict(_("Resolve every objection raised during the public notice first."), code="objections_open")
    call = proposal.call
    funds = proposal.subjects.aggregate(total=models.Sum("requested_funds"))["total"]
    project = Project.objects.create(
        program=call.special_project.program,
        special_project=call.special_project,
        number=_next_project_number(call),
        title=proposal.title,
        lead_unit=proposal.lead_unit,
        leader=proposal.applicant,
        managing_agency=call.special_project.managing_agency,
        start_date=proposal.start_date or timezone.localdate(now),
        end_date=proposal.end_date or add_months(proposal.start_date or timezone.localdate(now), 36),
        proposal=proposal,
    )
    _transition(proposal, actor=actor, to=Proposal.State.APPROVED, action="approval.issue", rule="P5")
    audit.record(
        actor=actor,
        action="project.create",
        target=project,
        rule="P5",
        changes={"number": [None, project.number], "central_funds": [None, funds]},
    )
    from budgets.services.review import budget_attach_project

    budget_attach_project(project=project, actor=actor)
    task_books_generate(project=project, actor=actor)
    from reports.services import plan_ensure

    plan_ensure(project=project, actor=actor)
    post_evaluation_ensure(project=project)
    notify(
        recipients=[proposal.applicant],
        title=_("Approval notice: %(title)s is approved as project %(number)s")
        % {"title": proposal.title, "number": project.number},
        link=reverse("projects:project_detail", args=[project.pk]),
    )
    project_obligations_ensure(project=project)
    return project


# ---- Task books (任务书): P5 — KRD-MGMT §33 ------------------------------------------------


def _schedule_text(proposal: Proposal) -> str:
    return "\n".join(
        f"{item.starts_on:%Y-%m-%d}–{item.ends_on:%Y-%m-%d}：{item.work}" for item in proposal.schedule.all()
    )


@transaction.atomic
def task_books_generate(*, project: Project, actor=None) -> list[TaskBook]:
    """The project's task book (agency ↔ lead unit) and one per subject (lead unit ↔ subject
    unit), drafted from the approved application, with a confirmation obligation."""
    proposal = project.proposal
    if proposal is None or project.task_books.exists():
        return list(project.task_books.all())
    books = [
        TaskBook.objects.create(
            project=project,
            party_a=project.managing_agency,
            party_b=project.lead_unit,
            goals=proposal.summary,
            schedule=_schedule_text(proposal),
        )
    ]
    for indicator in proposal.indicators.filter(subject__isnull=True):
        TaskBookIndicator.objects.create(
            task_book=books[0],
            applied=indicator,
            name=indicator.name,
            target_value=indicator.target_value,
            measurement=indicator.measurement,
        )
    for subject in proposal.subjects.select_related("unit"):
        if subject.unit is None:
            continue
        book = TaskBook.objects.create(
            project=project, subject=subject, party_a=project.lead_unit, party_b=subject.unit, goals=subject.title
        )
        books.append(book)
        for indicator in subject.indicators.all():
            TaskBookIndicator.objects.create(
                task_book=book,
                applied=indicator,
                name=indicator.name,
                target_value=indicator.target_value,
                measurement=indicator.measurement,
            )
    with translation.override(settings.LANGUAGE_CODE):
        deadlines.obligation_ensure(
            target=books[0],
            kind="task_book_confirmation",
            period="",
            due_at=deadlines.due_in_working_days(timezone.localdate(), 30),
            title=_("Sign the task book of %(project)s") % {"project": project},
            responsible_users=[project.leader],
            escalation_role=Role.AGENCY.value,
            escalation_organisation=project.managing_agency,
            managing_organisation=project.managing_agency,
            link=reverse("projects:task_book_detail", args=[books[0].pk]),
        )
    audit.record(
        actor=actor, action="task_book.generate", target=project, rule="P5", changes={"task_books": [None, len(books)]}
    )
    return books


def _lock_book(book: TaskBook) -> TaskBook:
    return TaskBook.objects.select_for_update(of=("self",)).select_related("project__proposal__call").get(pk=book.pk)


def _require_leader_drafting(actor, book: TaskBook) -> None:
    if book.project.leader_id != actor.pk:
        raise PermissionDenied
    if book.state != TaskBook.State.DRAFT:
        raise StateConflict(_("The task book is no longer being drafted."), code="task_book_not_draft")


@transaction.atomic
def task_book_save(*, actor, book: TaskBook, **fields) -> TaskBook:
    """The leader edits goals, schedule, report plan and IP goals."""
    book = _lock_book(book)
    _require_leader_drafting(actor, book)
    audit.save_changes(book, actor=actor, action="task_book.save", fields=fields)
    return book


@transaction.atomic
def task_book_indicator_set(
    *, actor, indicator: TaskBookIndicator, target_value: str, measurement: str | None = None
) -> TaskBookIndicator:
    """Change an indicator's target. P5 — KRD-MGMT §33: never weaker than in the application."""
    book = _lock_book(indicator.task_book)
    _require_leader_drafting(actor, book)
    indicator = TaskBookIndicator.objects.select_for_update(of=("self",)).select_related("applied").get(pk=indicator.pk)
    if indicator.applied is not None and rules.indicator_is_weakened(
        applied=indicator.applied.target_value, proposed=target_value, lower_is_better=indicator.applied.is_lower_better
    ):
        raise RuleViolation(
            "P5",
            _(
                "《国家重点研发计划管理暂行办法》第三十三条 (P5): the task book's indicators may not be weaker than "
                "the application's. “%(name)s” was applied for at “%(applied)s”; “%(proposed)s” is lower."
            )
            % {"name": indicator.name, "applied": indicator.applied.target_value, "proposed": target_value},
            fields={"target_value": [_("Lower than in the application.")]},
            code="indicator_weakened",
        )
    before = indicator.target_value
    indicator.target_value = target_value
    if measurement is not None:
        indicator.measurement = measurement
    indicator.save()
    audit.record(
        actor=actor,
        action="task_book.indicator",
        target=book,
        rule="P5",
        changes={indicator.name: [before, target_value]},
    )
    return indicator


@transaction.atomic
def task_book_indicator_remove(*, actor, indicator: TaskBookIndicator) -> None:
    """P5 — an indicator of the application may not be dropped; added ones may."""
    book = _lock_book(indicator.task_book)
    _require_leader_drafting(actor, book)
    if indicator.applied_id is not None:
        raise RuleViolation(
            "P5",
            _(
                "《国家重点研发计划管理暂行办法》第三十三条 (P5): an indicator of the application may not be dropped from the task book."
            ),
            code="indicator_dropped",
        )
    audit.record(
        actor=actor,
        action="task_book.indicator_remove",
        target=book,
        changes={indicator.name: [indicator.target_value, None]},
    )
    indicator.delete()


@transaction.atomic
def task_book_indicator_add(
    *, actor, book: TaskBook, name: str, target_value: str, measurement: str = ""
) -> TaskBookIndicator:
    book = _lock_book(book)
    _require_leader_drafting(actor, book)
    indicator = TaskBookIndicator.objects.create(
        task_book=book, name=name, target_value=target_value, measurement=measurement
    )
    audit.record(actor=actor, action="task_book.indicator_add", target=book, changes={name: [None, target_value]})
    return indicator


@transaction.atomic
def task_book_submit(*, actor, book: TaskBook) -> TaskBook:
    """The leader sends the task book to the agency for review."""
    book = _lock_book(book)
    _require_leader_drafting(actor, book)
    applied = (
        set(book.project.proposal.indicators.filter(subject=book.subject).values_list("pk", flat=True))
        if book.project.proposal
        else set()
    )
    kept = set(book.indicators.exclude(applied=None).values_list("applied_id", flat=True))
    if applied - kept:
        raise RuleViolation(
            "P5",
            _(
                "《国家重点研发计划管理暂行办法》第三十三条 (P5): an indicator of the application may not be dropped from the task book."
            ),
            code="indicator_dropped",
        )
    call = book.project.proposal.call if book.project.proposal else None
    if call is not None and call.is_secret and not book.confidentiality_agreement.strip():
        raise RuleViolation(
            "P5",
            _("KRD-MGMT §33: a secret project records its confidentiality agreement in the task book."),
            code="confidentiality_missing",
        )
    book.state = TaskBook.State.UNDER_REVIEW
    book.save(update_fields=["state"])
    audit.record(
        actor=actor, action="task_book.submit", target=book, rule="P5", changes={"state": ["draft", "under_review"]}
    )
    return book


@transaction.atomic
def task_book_review(*, actor, book: TaskBook, agreed: bool, comment: str = "") -> TaskBook:
    """The agency agrees to the task book or returns it to the leader with a comment."""
    book = _lock_book(book)
    if not (actor.has_role(Role.AGENCY.value) and actor.organisation_id == book.project.managing_agency_id):
        raise PermissionDenied
    if book.state != TaskBook.State.UNDER_REVIEW:
        raise StateConflict(_("The task book is not under review."), code="task_book_not_under_review")
    if not agreed and not comment.strip():
        raise ValidationError({"comment": [_("Say what must change.")]})
    before = book.state
    book.state = TaskBook.State.AGREED if agreed else TaskBook.State.DRAFT
    book.review_comment = comment.strip()
    book.save(update_fields=["state", "review_comment"])
    audit.record(
        actor=actor, action="task_book.review", target=book, rule="P5", changes={"state": [before, book.state]}
    )
    return book


@transaction.atomic
def task_book_sign(*, actor, book: TaskBook, now=None) -> TaskBook:
    """Each party signs (signer and time): party A by its agency (or, for a subject task book,
    the lead unit's administrator), party B by its unit administrator or the project leader."""
    now = now or timezone.now()
    book = _lock_book(book)
    if book.state != TaskBook.State.AGREED:
        raise StateConflict(_("Only an agreed task book is signed."), code="task_book_not_agreed")
    side = None
    if actor.organisation_id == book.party_a_id and actor.has_role(Role.AGENCY.value, Role.UNIT_ADMIN.value):
        side = "a"
    elif (actor.organisation_id == book.party_b_id and actor.has_role(Role.UNIT_ADMIN.value)) or (
        book.subject_id is None and actor.pk == book.project.leader_id
    ):
        side = "b"
    if side is None:
        raise PermissionDenied
    setattr(book, f"signed_{side}_by", actor)
    setattr(book, f"signed_{side}_at", now)
    if book.signed_a_at and book.signed_b_at:
        book.state = TaskBook.State.CONFIRMED
    book.save()
    audit.record(actor=actor, action=f"task_book.sign_{side}", target=book, rule="P5")
    if book.state == TaskBook.State.CONFIRMED and book.subject_id is None:
        for obligation in Obligation.objects.filter(
            kind="task_book_confirmation",
            object_id=str(book.pk),
            state__in=[Obligation.State.OPEN, Obligation.State.OVERDUE],
        ):
            deadlines.obligation_complete(obligation=obligation, actor=actor)
    return book


# ---- Two rounds (P3 — KRD-MGMT §26–§29) ----------------------------------------------------


@transaction.atomic
def first_round_score_set(*, actor, proposal: Proposal, score) -> Proposal:
    """The agency records a pre-application's first-round result (until the reviews engine
    feeds it)."""
    proposal = _lock_proposal(proposal)
    if not _agency_of(actor, proposal):
        raise PermissionDenied
    if proposal.stage != Proposal.Stage.PRE or proposal.state != Proposal.State.FORMAL_PASSED:
        raise StateConflict(
            _("A first-round result is recorded for a pre-application that passed formal review."),
            code="not_first_round",
        )
    before = proposal.first_round_score
    proposal.first_round_score = score
    proposal.save(update_fields=["first_round_score", "updated_at"])
    audit.record(
        actor=actor,
        action="first_round.score",
        target=proposal,
        rule="P3",
        changes={"first_round_score": [before, score]},
    )
    return proposal


@transaction.atomic
def defense_score_set(*, actor, proposal: Proposal, score) -> Proposal:
    """The agency records a formal application's defense-review result (KRD-MGMT §28, §30),
    until the reviews engine feeds it; the proposed list follows it (§31)."""
    proposal = _lock_proposal(proposal)
    if not _agency_of(actor, proposal):
        raise PermissionDenied
    if proposal.stage != Proposal.Stage.FORMAL or proposal.state != Proposal.State.FORMAL_PASSED:
        raise StateConflict(
            _("A defense-review result is recorded for a formal application that passed formal review."),
            code="not_defense",
        )
    before = proposal.defense_score
    proposal.defense_score = score
    proposal.save(update_fields=["defense_score", "updated_at"])
    audit.record(
        actor=actor, action="defense.score", target=proposal, rule="P3", changes={"defense_score": [before, score]}
    )
    return proposal


@dataclass(frozen=True)
class ShortlistOutcome:
    direction: str
    candidates: int
    size: int
    first_round_skipped: bool
    shortlisted: list[int]


@transaction.atomic
def shortlist_make(*, actor, call: Call, now=None) -> list[ShortlistOutcome]:
    """P3 — KRD-MGMT §28–§29: per direction, keep factor × planned projects by first-round
    result; with fewer pre-applications than that, the first round is skipped and all go on.
    The shortlisted are invited to file the formal application within the call's window."""
    now = now or timezone.now()
    call = Call.objects.select_for_update().select_related("special_project").get(pk=call.pk)
    if not (actor.has_role(Role.AGENCY.value) and actor.organisation_id == call.special_project.managing_agency_id):
        raise PermissionDenied
    if call.mode != Call.Mode.TWO_ROUND:
        raise StateConflict(_("Only a two-round call has a first-round shortlist."), code="not_two_round")
    if now < call.closes_at:
        raise StateConflict(_("Pre-applications are still open."), code="call_open")
    outcomes = []
    formal_due = deadlines.due_in_calendar_days(timezone.localtime(now).date(), call.formal_window_days)
    for direction in call.directions.all():
        candidates = list(
            Proposal.objects.select_for_update()
            .filter(call=call, direction=direction, stage=Proposal.Stage.PRE, state=Proposal.State.FORMAL_PASSED)
            .order_by("pk")
        )
        size = rules.shortlist_size(planned_projects=direction.planned_projects, factor=call.shortlist_factor)
        skipped = rules.first_round_is_skipped(
            pre_applications=len(candidates), planned_projects=direction.planned_projects, factor=call.shortlist_factor
        )
        if skipped:
            chosen = candidates
        else:
            unscored = [p for p in candidates if p.first_round_score is None]
            if unscored:
                raise RuleViolation(
                    "P3",
                    _(
                        "KRD-MGMT §28: enter the first-round result of every pre-application of direction %(direction)s first."
                    )
                    % {"direction": direction.code},
                    code="first_round_incomplete",
                )
            chosen = sorted(candidates, key=lambda p: (-p.first_round_score, p.pk))[:size]
        chosen_ids = {p.pk for p in chosen}
        for proposal in candidates:
            if proposal.pk in chosen_ids:
                _transition(
                    proposal,
                    actor=actor,
                    to=Proposal.State.SHORTLISTED,
                    action="shortlist.in",
                    rule="P3",
                    formal_due_at=formal_due,
                )
                with translation.override(settings.LANGUAGE_CODE):
                    deadlines.obligation_ensure(
                        target=proposal,
                        kind="formal_application",
                        period="",
                        due_at=formal_due,
                        title=_("File the formal application of %(title)s") % {"title": proposal.title},
                        responsible_users=[proposal.applicant],
                        managing_organisation=call.special_project.managing_agency,
                        link=reverse("projects:proposal_detail", args=[proposal.pk]),
                    )
                notify(
                    recipients=[proposal.applicant],
                    title=_("Shortlisted: file the formal application of %(title)s") % {"title": proposal.title},
                    link=reverse("projects:proposal_detail", args=[proposal.pk]),
                )
            else:
                _transition(proposal, actor=actor, to=Proposal.State.NOT_SHORTLISTED, action="shortlist.out", rule="P3")
                notify(
                    recipients=[proposal.applicant], title=_("Not shortlisted: %(title)s") % {"title": proposal.title}
                )
        outcomes.append(
            ShortlistOutcome(
                direction=direction.code,
                candidates=len(candidates),
                size=size,
                first_round_skipped=skipped,
                shortlisted=sorted(chosen_ids),
            )
        )
    audit.record(
        actor=actor,
        action="shortlist.make",
        target=call,
        rule="P3",
        changes={"shortlisted": [None, [o.shortlisted for o in outcomes]]},
    )
    return outcomes


@transaction.atomic
def formal_from_pre(*, actor, pre_proposal: Proposal, now=None) -> Proposal:
    """The invited applicant starts the formal application from the shortlisted pre-application;
    what was typed there is carried over."""
    now = now or timezone.now()
    pre = _lock_proposal(pre_proposal)
    if pre.applicant_id != actor.pk:
        raise PermissionDenied
    if pre.state != Proposal.State.SHORTLISTED:
        raise StateConflict(
            _("Only a shortlisted pre-application leads to a formal application."), code="not_shortlisted"
        )
    if Proposal.objects.filter(pre_proposal=pre).exists():
        return pre.formal_proposal
    if pre.formal_due_at and now >= pre.formal_due_at:
        raise RuleViolation(
            "P3",
            _("KRD-MGMT §28: the formal application was due by %(due)s.")
            % {"due": timezone.localtime(pre.formal_due_at).strftime("%Y-%m-%d %H:%M")},
            code="formal_window_closed",
        )
    formal = Proposal.objects.create(
        call=pre.call,
        direction=pre.direction,
        stage=Proposal.Stage.FORMAL,
        applicant=pre.applicant,
        lead_unit=pre.lead_unit,
        pre_proposal=pre,
        **{
            name: getattr(pre, name)
            for name in (
                "title",
                "summary",
                "keywords",
                "start_date",
                "end_date",
                "ip_analysis",
                "foreign_partner",
                "foreign_partner_country",
                "recommending_department",
            )
        },
    )
    for unit in pre.units.all():
        ProposalUnit.objects.create(proposal=formal, organisation=unit.organisation, role=unit.role)
    people = {}
    for person in pre.people.all():
        old_pk = person.pk
        person.pk = None
        person.proposal = formal
        person.subject = None
        person.save()
        people[old_pk] = person
    for subject in pre.subjects.prefetch_related("participant_units"):
        units = list(subject.participant_units.all())
        copy = Subject.objects.create(
            proposal=formal,
            number=subject.number,
            title=subject.title,
            unit=subject.unit,
            leader=people.get(subject.leader_id),
            requested_funds=subject.requested_funds,
        )
        copy.participant_units.set(units)
    for indicator in pre.indicators.filter(subject__isnull=True):
        Indicator.objects.create(
            proposal=formal, name=indicator.name, target_value=indicator.target_value, measurement=indicator.measurement
        )
    for item in pre.schedule.all():
        ScheduleItem.objects.create(proposal=formal, starts_on=item.starts_on, ends_on=item.ends_on, work=item.work)
    audit.record(
        actor=actor,
        action="proposal.formal_from_pre",
        target=formal,
        rule="P3",
        changes={"pre_proposal": [None, pre.pk]},
    )
    return formal


# ---- International program (P12 — INTL §10, §22) ----------------------------------------------


@transaction.atomic
def library_entry_create(*, actor, **fields) -> LibraryEntry:
    """Put a project proposal into the INTL project library (备选项目库); recommending
    departments, agencies and the ministry enter them (INTL §22, top-down organisation)."""
    if not actor.has_role(Role.RECOMMENDER.value, Role.AGENCY.value, Role.MINISTRY.value):
        raise PermissionDenied
    entry = LibraryEntry(entered_by=actor, **fields)
    if actor.has_role(Role.RECOMMENDER.value) and entry.recommending_department_id is None:
        entry.recommending_department_id = actor.organisation_id
    entry.full_clean()
    entry.save()
    audit.record(actor=actor, action="library.enter", target=entry, rule="P12", changes=audit.snapshot(entry))
    return entry


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


def post_evaluation_ensure(*, project: Project) -> None:
    """P12 — INTL §10: a fast-track project (先立项、后评估) is evaluated after approval."""
    call = project.proposal.call if project.proposal else None
    if call is None or not call.is_fast_track:
        return
    with translation.override(settings.LANGUAGE_CODE):
        deadlines.obligation_ensure(
            target=project,
            kind="post_evaluation",
            period="",
            due_at=deadlines.due_in_months(project.start_date, 6),
            title=_("Evaluate the fast-track project %(project)s") % {"project": project},
            responsible_role=Role.AGENCY.value,
            responsible_organisation=project.managing_agency,
            managing_organisation=project.managing_agency,
            link=reverse("projects:project_detail", args=[project.pk]),
        )
