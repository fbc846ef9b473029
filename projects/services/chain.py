"""The submission chain after the applicant: the unit's submission, the recommending department
(P12 — INTL §17–§18), and returns to the applicant from any step (P4)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import RuleViolation, StateConflict
from core.notifications import notify
from projects import policies
from projects.models import Call, Proposal
from projects.services.common import _lock_proposal, _refuse_after_deadline, _refuse_if_findings, _transition
from projects.services.proposals import proposal_findings


@transaction.atomic
def proposal_unit_submit(*, actor, proposal: Proposal, now: dt.datetime | None = None) -> Proposal:
    """The lead unit's administrator checks and submits for the unit: to the recommending
    department where the call needs one, else straight to the agency."""
    now = now or timezone.now()
    proposal = _lock_proposal(proposal)
    if not policies.is_unit_admin_of(actor, organisation_id=proposal.lead_unit_id):
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
    if not policies.is_recommender_of(actor, organisation_id=proposal.recommending_department_id):
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
        Proposal.State.SUBMITTED: policies.is_unit_admin_of(actor, organisation_id=proposal.lead_unit_id),
        Proposal.State.UNIT_SUBMITTED: policies.is_recommender_of(
            actor, organisation_id=proposal.recommending_department_id
        ),
        Proposal.State.RECEIVED: policies.manages_proposal(actor, proposal),
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
