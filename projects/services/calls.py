"""Call guides (指南): drafting, directions, publication (P1 — KRD-MGMT §21) and closing."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.roles import Role
from core import audit
from core.deadlines import services as deadlines
from core.exceptions import RuleViolation, StateConflict
from core.locks import lock
from projects import extensions, policies, rules
from projects.models import Call, CallDirection


@transaction.atomic
def call_create(*, actor, special_project, directions: list[dict] | None = None, **fields) -> Call:
    """A draft call guide of a special project the actor's agency manages."""
    if not policies.manages_special_project(actor, special_project):
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
    call = lock(Call, call.pk)
    if not policies.manages_call(actor, call):
        raise PermissionDenied
    if call.state != Call.State.DRAFT:
        raise StateConflict(_("A published call guide can no longer be edited."), code="call_published")
    audit.save_changes(call, actor=actor, action="call.update", fields=fields, validate=True)
    return call


@transaction.atomic
def call_direction_add(
    *, actor, call: Call, code: str, title: str, planned_projects: int, budget_outline=None, discipline_code: str = ""
) -> CallDirection:
    call = lock(Call, call.pk)
    if not policies.manages_call(actor, call):
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
    call = lock(Call, call.pk, related=("special_project__program",))
    if not policies.manages_call(actor, call):
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
    try:
        call.funds_edition = extensions.funds_edition(
            program=call.special_project.program.code,
            on=timezone.localtime(now).date(),
            code=call.funds_edition or None,
        )
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
        call = lock(Call, call.pk)
        if call.state != Call.State.PUBLISHED:
            return call
        call.state = Call.State.CLOSED
        call.save(update_fields=["state"])
        audit.record(
            actor=actor, action="call.close", target=call, rule="P1", changes={"state": ["published", "closed"]}
        )
    return call
