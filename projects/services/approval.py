"""The approval notice (立项通知) and project numbers (P5 — KRD-MGMT §33); projects created
directly."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core import audit
from core.deadlines.rules import add_months
from core.exceptions import RuleViolation, StateConflict
from core.locks import lock_first
from core.notifications import notify
from projects import extensions, policies
from projects.models import Call, Project, Proposal
from projects.services.common import _lock_proposal, _transition, project_obligations_ensure
from projects.services.library import post_evaluation_ensure
from projects.services.task_books import task_books_generate


def _next_project_number(call: Call) -> str:
    """E.g. 2027YFA0500103: year, YF, the program letter, the special project and a sequence."""
    letter = {"key_rd": "A", "major": "Z", "intl": "D"}.get(call.special_project.program.code, "X")
    prefix = f"{call.year}YF{letter}{call.special_project_id % 100:02d}"
    last = lock_first(Project.objects.filter(number__startswith=prefix), order_by=("-number",))
    sequence = int(last.number[len(prefix) :]) + 1 if last else 1
    return f"{prefix}{sequence:05d}"


@transaction.atomic
def approval_issue(*, actor, proposal: Proposal, now=None) -> Project:
    """The approval notice (立项通知) after a public notice that has ended without a sustained
    objection: the project gets its number (P5 — KRD-MGMT §33)."""
    now = now or timezone.now()
    proposal = _lock_proposal(proposal)
    if not policies.manages_proposal(actor, proposal):
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
    for contribute in extensions.project_created:
        contribute(project=project, actor=actor)
    task_books_generate(project=project, actor=actor)
    for contribute in extensions.project_established:
        contribute(project=project, actor=actor)
    post_evaluation_ensure(project=project)
    notify(
        recipients=[proposal.applicant],
        title=_("Approval notice: %(title)s is approved as project %(number)s")
        % {"title": proposal.title, "number": project.number},
        link=reverse("projects:project_detail", args=[project.pk]),
    )
    project_obligations_ensure(project=project)
    return project


@transaction.atomic
def project_create(*, actor, **fields) -> Project:
    project = Project(**fields)
    project.full_clean()
    project.save()
    audit.record(actor=actor, action="project.create", target=project, changes=audit.snapshot(project))
    project_obligations_ensure(project=project)
    return project
