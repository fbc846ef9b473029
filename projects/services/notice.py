"""The proposed list, MOST's compliance review, public notice (公示) and objections (P5 —
KRD-MGMT §31–§33)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.roles import Role
from core import audit
from core.deadlines import services as deadlines
from core.exceptions import RuleViolation, StateConflict
from core.locks import lock
from core.notifications import notify
from projects import policies
from projects.models import Call, Objection, Proposal, PublicNotice
from projects.services.common import _lock_proposal, _role_users, _transition


@transaction.atomic
def proposal_propose(*, actor, proposal: Proposal) -> Proposal:
    """The agency puts a proposal that passed its reviews on its proposed list (KRD-MGMT §31)."""
    proposal = _lock_proposal(proposal)
    if not policies.manages_proposal(actor, proposal):
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
        notice = lock(PublicNotice, notice.pk)
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
    notice = lock(PublicNotice, notice.pk)
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
    objection = lock(Objection, objection.pk, related=("proposal",))
    proposal = _lock_proposal(objection.proposal)
    if not policies.manages_proposal(actor, proposal):
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
