"""State changes of projects."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.roles import Role
from core import audit
from core.deadlines import services as deadlines
from core.models import Obligation
from projects import rules
from projects.models import Project


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
