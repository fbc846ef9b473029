"""Formal review (形式审查) and appeals (申诉): P4 — KRD-MGMT §36."""

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
from core.locks import lock, lock_first
from core.notifications import notify
from projects import policies
from projects.models import Appeal, FormalReview, Proposal
from projects.services.common import _lock_proposal, _role_users, _transition
from projects.services.proposals import proposal_findings

MANUAL_CHECKS = [
    "Materials are true and complete, with every signature and seal",
    "The application fits the guide's direction",
    "The budget follows the funds rules",
]


@transaction.atomic
def formal_review_open(*, actor, proposal: Proposal) -> FormalReview:
    """Open the formal review of a received proposal, its checklist pre-filled by the
    automatic checks (run again now) and the manual items left to the reviewer."""
    proposal = _lock_proposal(proposal)
    if not policies.manages_proposal(actor, proposal):
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
    if not policies.manages_proposal(actor, proposal):
        raise PermissionDenied
    review = lock_first(FormalReview.objects.filter(proposal=proposal))
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
    if not policies.is_applicant_of(actor, proposal):
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
    deadlines.obligations_complete(target=proposal, kinds=["appeal_window"], actor=actor)
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
    appeal = lock(Appeal, appeal.pk, related=("proposal",))
    proposal = _lock_proposal(appeal.proposal)
    if not policies.manages_proposal(actor, proposal):
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
