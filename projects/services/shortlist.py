"""Two rounds (P3 — KRD-MGMT §26–§29): first-round and defense results, the first-round
shortlist, and the formal application started from a shortlisted pre-application."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core import audit
from core.deadlines import services as deadlines
from core.exceptions import RuleViolation, StateConflict
from core.locks import lock, lock_all
from core.notifications import notify
from projects import policies, rules
from projects.models import Call, Indicator, Proposal, ProposalUnit, ScheduleItem, Subject
from projects.services.common import _lock_proposal, _transition


@transaction.atomic
def first_round_score_set(*, actor, proposal: Proposal, score) -> Proposal:
    """The agency records a pre-application's first-round result (until the reviews engine
    feeds it)."""
    proposal = _lock_proposal(proposal)
    if not policies.manages_proposal(actor, proposal):
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
    if not policies.manages_proposal(actor, proposal):
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
    call = lock(Call, call.pk, related=("special_project",))
    if not policies.manages_call(actor, call):
        raise PermissionDenied
    if call.mode != Call.Mode.TWO_ROUND:
        raise StateConflict(_("Only a two-round call has a first-round shortlist."), code="not_two_round")
    if now < call.closes_at:
        raise StateConflict(_("Pre-applications are still open."), code="call_open")
    outcomes = []
    formal_due = deadlines.due_in_calendar_days(timezone.localtime(now).date(), call.formal_window_days)
    for direction in call.directions.all():
        candidates = lock_all(
            Proposal.objects.filter(
                call=call, direction=direction, stage=Proposal.Stage.PRE, state=Proposal.State.FORMAL_PASSED
            )
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
    if not policies.is_applicant_of(actor, pre):
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
