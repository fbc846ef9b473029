"""Helpers the stages share: locking a proposal, its state transitions with their audit event, the
recipients of a role in an organisation, the submission refusals (eligibility, closing moment),
and the standing obligations of an active project (P6 annual report, B7 final accounts)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.roles import Role
from accounts.selectors import users_with_role
from core import audit
from core.deadlines import services as deadlines
from core.exceptions import RuleViolation
from core.locks import lock
from core.models import Obligation
from projects import rules
from projects.models import Project, Proposal


def _lock_proposal(proposal: Proposal) -> Proposal:
    return lock(Proposal, proposal.pk, related=("call__special_project__program",))


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


def _role_users(organisation_id, role: str):
    return list(users_with_role(organisation_id=organisation_id, role=role))


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
