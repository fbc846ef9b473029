"""The INTL project library and fast-track evaluation (P12 — INTL §10, §22)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.roles import Role
from core import audit
from core.deadlines import services as deadlines
from projects.models import LibraryEntry, Project


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
