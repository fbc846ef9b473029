"""Every change of a classification record (S1–S10): determination, need-to-know grants,
changes, extensions, declassification (early and on expiry), filings, objections, provisional
levels, secrecy reviews and leak reports. Each runs in a transaction, locks the decision it
changes, writes an audit event and tells the people concerned."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Model
from django.dispatch import Signal
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organisation, User
from accounts.roles import Role
from accounts.selectors import users_with_role
from core import audit
from core.deadlines import services as deadlines
from core.exceptions import RuleViolation, StateConflict
from core.locks import lock
from core.notifications import notify
from secrecy import policies, rules, selectors
from secrecy.models import Authority, Classification, Dispute, Filing, KnowledgeGrant, LeakReport, SecrecyReview
from secrecy.rules import Level

# Sent after an object stops being classified (on expiry or early): ``classification``,
# ``target``. The reports app makes a report held back only by its classification releasable.
declassified = Signal()

EXPIRY_KIND = "secrecy_expiry"
FILING_KIND = "secrecy_filing"
ANNUAL_FILING_KIND = "secrecy_annual_filing"
PROVISIONAL_REPORT_KIND = "secrecy_provisional_report"
PROVISIONAL_DECISION_KIND = "secrecy_provisional_decision"
LEAK_KIND = "secrecy_leak_report"


def _today() -> dt.date:
    return timezone.localdate()


def _link(classification: Classification) -> str:
    return reverse("secrecy:classification_detail", args=[classification.pk])


def _lock(classification: Classification) -> Classification:
    return lock(
        Classification,
        classification.pk,
        related=("authority__organisation", "authority__superior", "content_type"),
    )


# ---- Who may decide ------------------------------------------------------------------------------


def _require_decider(user, classification: Classification) -> Authority:
    authority = policies.deciding_authority_of(user, classification)
    if authority is None:
        raise PermissionDenied
    return authority


def _list_users(classification: Classification) -> list[User]:
    """Everyone on the list, the classifier and the authority's head (the written notice of
    SECRETS-LAW §18 and SECRECY §22 goes to them)."""
    users = {
        grant.user_id: grant.user
        for grant in classification.grants.filter(revoked_at__isnull=True, is_pending=False, user__isnull=False)
        .select_related("user")
        .order_by()
    }
    users[classification.classifier_id] = classification.classifier
    if classification.authority.head_id:
        users[classification.authority.head_id] = classification.authority.head
    return [user for user in users.values() if user.is_active]


def _tell_list(classification: Classification, title: str, body: str = "") -> None:
    notify(recipients=_list_users(classification), title=title, body=body, link=_link(classification))


# ---- Determination (S1–S3) -------------------------------------------------------------------------


def _period_violation(level: str, period: rules.Period) -> None:
    errors = rules.period_errors(level, period)
    if errors:
        raise RuleViolation(
            "S1", " ".join(errors.values()), fields={key: [value] for key, value in errors.items()}, code="period"
        )


def _authority_violation(authority: Authority, level: str) -> None:
    if not policies.may_classify_at(authority, level):
        if authority.max_level == rules.NONE:
            message = _(
                "%(authority)s has no classification authority: request the classification from a superior "
                "or the competent department that has it (SECRECY §15(2))."
            ) % {"authority": authority}
        else:
            message = _(
                "%(authority)s may classify up to %(max)s; a %(level)s secret needs an authority of a higher "
                "tier (SECRECY §12)."
            ) % {
                "authority": authority,
                "max": rules.CHINESE.get(authority.max_level, authority.max_level),
                "level": rules.CHINESE[level],
            }
        raise RuleViolation("S3", message, fields={"level": [message]}, code="authority_level")


@transaction.atomic
def classify(
    *,
    actor,
    target: Model,
    authority: Authority,
    name: str,
    level: str,
    key_points: str,
    stage: str,
    start_date: dt.date | None = None,
    period_years: int | None = None,
    declassify_on: dt.date | None = None,
    condition: str = "",
    users: list[User] = (),
    organisations: list[Organisation] = (),
    confirmed_classifiable: bool = False,
    provisional: bool = False,
) -> Classification:
    """S2 — SECRECY §18: determine a secret: name, level, period, key points and need-to-know,
    at one of the stages of §17, by a responsible classifier of the deciding authority.

    S1 (SECRETS-LAW §15) refuses a period over the level's maximum; S3 (SECRECY §12) a level
    the authority may not decide, unless the level is only provisional (S7 — SECRETS-REGS §19:
    an unclear item gets a provisional level, reported within 10 days for a decision)."""
    if not policies.is_officer_of(actor, authority):
        raise PermissionDenied
    start_date = start_date or _today()
    fields: dict[str, list[str]] = {}
    if not (name or "").strip():
        fields["name"] = [_("Name the secret.")]
    if not (key_points or "").strip():
        fields["key_points"] = [_("State the secrecy key points (SECRECY §18–§19).")]
    if stage not in rules.Stage.values:
        fields["stage"] = [_("Choose the stage of the decision (SECRECY §17).")]
    if not confirmed_classifiable:
        fields["confirmed_classifiable"] = [_("Confirm the item is none of what may not be classified (SECRECY §11).")]
    if fields:
        raise RuleViolation(
            "S2", " ".join(message for messages in fields.values() for message in messages), fields=fields
        )
    if level not in Level.values:
        raise RuleViolation("S1", _("Choose secret, confidential or top secret (SECRETS-LAW §10)."), code="level")
    period = rules.Period(start=start_date, years=period_years, until=declassify_on, condition=condition or "")
    _period_violation(level, period)
    if not provisional:
        _authority_violation(authority, level)
    content_type = ContentType.objects.get_for_model(type(target), for_concrete_model=False)
    if Classification.objects.filter(
        content_type=content_type,
        object_id=target.pk,
        state__in=(Classification.State.PROVISIONAL, Classification.State.ACTIVE),
    ).exists():
        raise StateConflict(_("This item is already classified: change that decision instead."), code="classified")
    classification = Classification.objects.create(
        content_type=content_type,
        object_id=target.pk,
        name=name.strip(),
        level=level,
        period_years=period_years,
        declassify_on=declassify_on,
        condition=(condition or "").strip(),
        start_date=start_date,
        expires_on=period.expiry(),
        key_points=key_points.strip(),
        stage=stage,
        authority=authority,
        classifier=actor,
        confirmed_classifiable=True,
        state=Classification.State.PROVISIONAL if provisional else Classification.State.ACTIVE,
    )
    for user in dict.fromkeys(users):
        KnowledgeGrant.objects.create(classification=classification, user=user, granted_by=actor)
    for organisation in dict.fromkeys(organisations):
        KnowledgeGrant.objects.create(classification=classification, organisation=organisation, granted_by=actor)
    audit.record(
        actor=actor,
        action="classification.provisional" if provisional else "classification.determine",
        target=classification,
        rule="S7" if provisional else "S2",
        changes={
            "target": [None, f"{content_type.app_label}.{content_type.model}:{target.pk}"],
            "level": [None, level],
            "period": [None, classification.mark],
            "users": [None, sorted(user.pk for user in users)],
            "organisations": [None, sorted(organisation.pk for organisation in organisations)],
        },
    )
    _schedule_expiry(classification)
    if provisional:
        deadlines.obligation_create(
            target=classification,
            kind=PROVISIONAL_REPORT_KIND,
            due_at=deadlines.due_in_calendar_days(start_date, rules.PROVISIONAL_REPORT_DAYS),
            title=_("Report the provisional level of “%(name)s” for a decision") % {"name": classification.name},
            responsible_users=[actor],
            responsible_role=Role.SECRECY_OFFICER.value,
            responsible_organisation=authority.organisation,
            link=_link(classification),
        )
    else:
        _file(classification, Filing.Event.DETERMINATION, actor=actor)
    _tell_list(
        classification,
        _("You are on the need-to-know list of “%(name)s” (%(mark)s)")
        % {"name": classification.name, "mark": classification.mark},
    )
    return classification


def _schedule_expiry(classification: Classification) -> None:
    """The timer that declassifies on the last day (SECRETS-LAW §19): due at the start of the
    day the period ends; none for a period that ends on a condition."""
    expiry = classification.expires_on
    deadlines.timer_set(
        target=classification,
        kind=EXPIRY_KIND,
        due_at=None
        if expiry is None
        else dt.datetime.combine(expiry, dt.time(0, 0), tzinfo=deadlines.local_timezone()),
        title=_("“%(name)s” is declassified at the end of its period") % {"name": classification.name},
        link=_link(classification),
        move_reason=_("Period changed"),
        waive_reason=_("No fixed period any more"),
    )


# ---- Filings (S5 — SECRECY §23) ---------------------------------------------------------------------


def _file(classification: Classification, event: str, *, actor=None) -> Filing:
    """Each determination, change, extension or declassification is filed: by the authority
    within 20 working days (§23(2)), or in its annual summary due 31 December when it is a
    central organ or provincial department (§23(1))."""
    authority = classification.authority
    today = _today()
    if rules.files_annually(authority.tier):
        filing, created = Filing.objects.get_or_create(
            authority=authority,
            year=today.year,
            event=Filing.Event.ANNUAL,
            defaults={"due_on": dt.date(today.year, 12, 31)},
        )
        entries = filing.summary.get("entries", [])
        entries.append({"classification": classification.pk, "event": event, "on": today.isoformat()})
        filing.summary = {"entries": entries}
        filing.save(update_fields=["summary"])
        if created:
            deadlines.obligation_create(
                target=filing,
                kind=ANNUAL_FILING_KIND,
                due_at=deadlines.due_on(filing.due_on),
                title=_("Annual secrecy filing %(year)d of %(authority)s")
                % {"year": today.year, "authority": authority},
                responsible_role=Role.SECRECY_OFFICER.value,
                responsible_organisation=authority.organisation,
                link=reverse("secrecy:filing_list"),
                actor=actor,
            )
        return filing
    due_at = deadlines.due_in_working_days(today, rules.FILING_WORKING_DAYS)
    filing = Filing.objects.create(
        authority=authority,
        classification=classification,
        event=event,
        year=today.year,
        due_on=timezone.localtime(due_at).date(),
    )
    deadlines.obligation_create(
        target=filing,
        kind=FILING_KIND,
        due_at=due_at,
        title=_("File the %(event)s of “%(name)s”") % {"event": Filing.Event(event).label, "name": classification.name},
        responsible_role=Role.SECRECY_OFFICER.value,
        responsible_organisation=authority.organisation,
        link=reverse("secrecy:filing_list"),
        actor=actor,
    )
    return filing


@transaction.atomic
def filing_submit(*, actor, filing: Filing) -> Filing:
    """S5 — the authority's secrecy officer files it; the obligation is met."""
    filing = lock(Filing, filing.pk, related=("authority",))
    if not policies.is_officer_of(actor, filing.authority):
        raise PermissionDenied
    if filing.filed_at is not None:
        raise StateConflict(_("This filing was already made."), code="filed")
    filing.filed_at = timezone.now()
    filing.filed_by = actor
    filing.save(update_fields=["filed_at", "filed_by"])
    deadlines.obligations_complete(target=filing, actor=actor)
    audit.record(
        actor=actor,
        action="secrecy_filing.file",
        target=filing,
        rule="S5",
        changes={"filed_at": [None, filing.filed_at]},
    )
    return filing


# ---- Need-to-know (S6 — SECRETS-LAW §16, SECRETS-REGS §14) -------------------------------------------


@transaction.atomic
def grant_add(
    *,
    actor,
    classification: Classification,
    user: User | None = None,
    organisation: Organisation | None = None,
    reason: str = "",
) -> KnowledgeGrant:
    """Add someone to the list after the decision. Anyone outside it needs the approval of the
    head of the deciding authority (SECRETS-LAW §16): the head's own grant is approved at once;
    a classifier's waits for the head."""
    classification = _lock(classification)
    if not classification.in_force:
        raise StateConflict(_("The item is no longer classified."), code="declassified")
    _require_decider(actor, classification)
    if (user is None) == (organisation is None):
        raise RuleViolation("S6", _("Name one person or one organisation."), code="grant_target")
    if not (reason or "").strip():
        raise RuleViolation(
            "S6",
            _("Say why they need to know (SECRETS-LAW §16: the smallest circle the work needs)."),
            fields={"reason": [_("Required.")]},
        )
    live = classification.grants.filter(revoked_at__isnull=True)
    if (user and live.filter(user=user).exists()) or (organisation and live.filter(organisation=organisation).exists()):
        raise StateConflict(_("Already on the list."), code="already_granted")
    approved = policies.is_head_of(actor, classification.authority)
    grant = KnowledgeGrant.objects.create(
        classification=classification,
        user=user,
        organisation=organisation,
        reason=reason.strip()[:300],
        granted_by=actor,
        approved_by=actor if approved else None,
        is_pending=not approved,
    )
    audit.record(
        actor=actor,
        action="knowledge_grant.add" if approved else "knowledge_grant.request",
        target=classification,
        rule="S6",
        changes={
            "grant": [
                None,
                {"user": user and user.pk, "organisation": organisation and organisation.pk, "approved": approved},
            ]
        },
    )
    if approved:
        _tell_granted(grant)
    elif classification.authority.head_id:
        notify(
            recipients=[classification.authority.head],
            title=_("Approve access to “%(name)s” for %(who)s")
            % {"name": classification.name, "who": user or organisation},
            body=reason,
            link=_link(classification),
        )
    return grant


def _tell_granted(grant: KnowledgeGrant) -> None:
    classification = grant.classification
    recipients = (
        [grant.user]
        if grant.user_id
        else list(users_with_role(organisation_id=grant.organisation_id, role=Role.UNIT_ADMIN.value))
        + list(users_with_role(organisation_id=grant.organisation_id, role=Role.SECRECY_OFFICER.value))
    )
    notify(
        recipients=recipients,
        title=_("You are on the need-to-know list of “%(name)s” (%(mark)s)")
        % {"name": classification.name, "mark": classification.mark},
        link=_link(classification) if grant.user_id else reverse("secrecy:organisation_grants"),
    )


@transaction.atomic
def grant_approve(*, actor, grant: KnowledgeGrant) -> KnowledgeGrant:
    """S6 — SECRETS-LAW §16: the head of the deciding authority approves an addition."""
    grant = lock(KnowledgeGrant, grant.pk, related=("classification__authority",))
    if not policies.is_head_of(actor, grant.classification.authority):
        raise PermissionDenied
    if not grant.is_pending or grant.revoked_at is not None:
        raise StateConflict(_("Nothing is waiting for approval."), code="not_pending")
    grant.is_pending = False
    grant.approved_by = actor
    grant.save(update_fields=["is_pending", "approved_by"])
    audit.record(
        actor=actor,
        action="knowledge_grant.approve",
        target=grant.classification,
        rule="S6",
        changes={"grant": [grant.pk, grant.pk]},
    )
    _tell_granted(grant)
    return grant


@transaction.atomic
def grant_name_person(*, actor, grant: KnowledgeGrant, user: User) -> KnowledgeGrant:
    """SECRETS-LAW §16(2): an organisation on the list names its people. Its unit
    administrator or secrecy officer names a person of that organisation."""
    grant = lock(KnowledgeGrant, grant.pk, related=("classification",))
    if grant.organisation_id is None or grant.is_pending or grant.revoked_at is not None:
        raise StateConflict(_("Only a listed organisation names its people."), code="not_an_organisation_entry")
    if not policies.may_name_people_of(actor, organisation_id=grant.organisation_id):
        raise PermissionDenied
    if user.organisation_id != grant.organisation_id:
        raise RuleViolation(
            "S6",
            _("%(user)s is not a member of %(organisation)s.") % {"user": user, "organisation": grant.organisation},
        )
    if grant.classification.grants.filter(user=user, revoked_at__isnull=True).exists():
        raise StateConflict(_("Already on the list."), code="already_granted")
    named = KnowledgeGrant.objects.create(
        classification=grant.classification, user=user, via=grant, granted_by=actor, reason=grant.reason
    )
    audit.record(
        actor=actor,
        action="knowledge_grant.name",
        target=grant.classification,
        rule="S6",
        changes={"user": [None, user.pk]},
    )
    _tell_granted(named)
    return named


@transaction.atomic
def grant_revoke(*, actor, grant: KnowledgeGrant) -> KnowledgeGrant:
    grant = lock(KnowledgeGrant, grant.pk, related=("classification__authority",))
    _require_decider(actor, grant.classification)
    if grant.revoked_at is not None:
        raise StateConflict(_("Already removed."), code="revoked")
    now = timezone.now()
    KnowledgeGrant.objects.filter(pk=grant.pk).update(revoked_at=now, revoked_by=actor)
    KnowledgeGrant.objects.filter(via=grant, revoked_at__isnull=True).update(revoked_at=now, revoked_by=actor)
    audit.record(
        actor=actor,
        action="knowledge_grant.revoke",
        target=grant.classification,
        rule="S6",
        changes={"grant": [grant.pk, None]},
    )
    grant.refresh_from_db()
    return grant


# ---- Changes, extension, declassification (S4 — SECRECY §20–§22) ------------------------------------


@transaction.atomic
def classification_change(
    *,
    actor,
    classification: Classification,
    reason: str,
    level: str | None = None,
    period_years: int | None = None,
    declassify_on: dt.date | None = None,
    condition: str | None = None,
) -> Classification:
    """S4 — SECRECY §20 (SECRETS-LAW §18): change the level or period, by the original authority
    or its superior, with a reason; everyone on the list is told in writing and the change is
    filed. The new level must be within the deciding authority's power (S3) and the period
    within the level's maximum (S1)."""
    classification = _lock(classification)
    if not classification.in_force:
        raise StateConflict(_("The item is no longer classified."), code="declassified")
    authority = _require_decider(actor, classification)
    if not (reason or "").strip():
        raise RuleViolation(
            "S4", _("Give the reason for the change (SECRECY §20)."), fields={"reason": [_("Required.")]}
        )
    new_level = level or classification.level
    if period_years is None and declassify_on is None and condition is None:
        years, until, text = classification.period_years, classification.declassify_on, classification.condition
    else:
        years, until, text = period_years, declassify_on, condition or ""
    period = rules.Period(start=classification.start_date, years=years, until=until, condition=text or "")
    _period_violation(new_level, period)
    _authority_violation(authority, new_level)
    before = {"level": classification.level, "mark": classification.mark}
    classification.level = new_level
    classification.period_years, classification.declassify_on, classification.condition = years, until, text or ""
    classification.expires_on = period.expiry()
    if classification.state == Classification.State.PROVISIONAL:
        classification.state = Classification.State.ACTIVE
    classification.save()
    audit.record(
        actor=actor,
        action="classification.change",
        target=classification,
        rule="S4",
        changes={
            "level": [before["level"], new_level],
            "mark": [before["mark"], classification.mark],
            "reason": [None, reason],
        },
    )
    _schedule_expiry(classification)
    _file(classification, Filing.Event.CHANGE, actor=actor)
    _tell_list(
        classification,
        _("“%(name)s” changed: now %(mark)s") % {"name": classification.name, "mark": classification.mark},
        reason,
    )
    return classification


@transaction.atomic
def classification_extend(
    *,
    actor,
    classification: Classification,
    reason: str,
    period_years: int | None = None,
    declassify_on: dt.date | None = None,
) -> Classification:
    """S4 — SECRECY §22: an extension is decided before the period ends, by the original
    authority or its superior, within the level's maximum counted from the start (S1), and the
    list is told in writing."""
    classification = _lock(classification)
    if not classification.in_force:
        raise StateConflict(_("The item is no longer classified."), code="declassified")
    _require_decider(actor, classification)
    if not rules.extension_allowed(today=_today(), expiry=classification.expires_on):
        raise RuleViolation(
            "S4",
            _("An extension must be decided before the period ends on %(day)s (SECRECY §22).")
            % {"day": classification.expires_on},
            code="extension_too_late",
        )
    if not (reason or "").strip():
        raise RuleViolation("S4", _("Give the reason for the extension."), fields={"reason": [_("Required.")]})
    period = rules.Period(start=classification.start_date, years=period_years, until=declassify_on)
    new_expiry = period.expiry()
    if new_expiry is None or new_expiry <= classification.expires_on:
        raise RuleViolation("S4", _("An extension ends later than the current period."), code="not_later")
    _period_violation(classification.level, period)
    before = classification.mark
    classification.period_years, classification.declassify_on = period_years, declassify_on
    classification.expires_on = new_expiry
    classification.save(update_fields=["period_years", "declassify_on", "expires_on", "updated_at"])
    audit.record(
        actor=actor,
        action="classification.extend",
        target=classification,
        rule="S4",
        changes={"mark": [before, classification.mark], "reason": [None, reason]},
    )
    _schedule_expiry(classification)
    _file(classification, Filing.Event.EXTENSION, actor=actor)
    _tell_list(
        classification,
        _("Written notice: “%(name)s” stays secret until %(day)s (%(mark)s)")
        % {"name": classification.name, "day": new_expiry, "mark": classification.mark},
        reason,
    )
    return classification


EARLY_GROUNDS = (
    Classification.Ending.SPREAD,
    Classification.Ending.SCOPE_CHANGED,
    Classification.Ending.HARMLESS,
    Classification.Ending.NOT_CONFIRMED,
)


def _declassify(classification: Classification, *, ending: str, actor=None, reason: str = "") -> Classification:
    before = classification.state
    classification.state = Classification.State.DECLASSIFIED
    classification.ending = ending
    classification.declassified_at = timezone.now()
    classification.save(update_fields=["state", "ending", "declassified_at", "updated_at"])
    audit.record(
        actor=actor,
        action="classification.declassify",
        target=classification,
        rule="S4",
        changes={"state": [before, classification.state], "ending": [None, ending], "reason": [None, reason]},
    )
    for obligation in deadlines.obligations_open(classification).exclude(kind=EXPIRY_KIND if actor is None else ""):
        deadlines.obligation_waive(obligation=obligation, reason=_("Declassified"), actor=actor)
    _file(classification, Filing.Event.DECLASSIFICATION, actor=actor)
    _tell_list(
        classification,
        _("“%(name)s” is declassified: its marks no longer apply") % {"name": classification.name},
        str(Classification.Ending(ending).label),
    )
    target = classification.target
    transaction.on_commit(
        lambda: declassified.send(sender=Classification, classification=classification, target=target)
    )
    return classification


@transaction.atomic
def classification_declassify(
    *, actor, classification: Classification, ending: str, reason: str = ""
) -> Classification:
    """S4 — SECRECY §21: early declassification on one of its grounds, by the original authority
    or its superior."""
    classification = _lock(classification)
    if not classification.in_force:
        raise StateConflict(_("The item is already declassified."), code="declassified")
    _require_decider(actor, classification)
    if ending not in EARLY_GROUNDS:
        raise RuleViolation("S4", _("Choose a ground of SECRECY §21 for early declassification."), code="ground")
    return _declassify(classification, ending=ending, actor=actor, reason=reason)


@transaction.atomic
def declassify_expired(*, classification: Classification, today: dt.date | None = None) -> bool:
    """S4 — SECRETS-LAW §19: the period has ended, the secret ends on its own. Returns False
    (and changes nothing) when it is not due or no longer in force."""
    classification = _lock(classification)
    today = today or _today()
    if not classification.in_force or classification.expires_on is None or classification.expires_on > today:
        return False
    _declassify(classification, ending=Classification.Ending.EXPIRED)
    return True


# ---- Provisional levels and objections (S7 — SECRETS-REGS §19–§20) ----------------------------------


@transaction.atomic
def provisional_report(*, actor, classification: Classification) -> Classification:
    """S7 — SECRETS-REGS §19: the provisional level is reported within 10 days; the decision is
    due 10 days after the report."""
    classification = _lock(classification)
    if classification.state != Classification.State.PROVISIONAL:
        raise StateConflict(_("Only a provisional level is reported for a decision."), code="not_provisional")
    if not policies.is_officer_of(actor, classification.authority):
        raise PermissionDenied
    deadlines.obligations_complete(target=classification, kinds=[PROVISIONAL_REPORT_KIND], actor=actor)
    decider = classification.authority.superior or classification.authority
    deadlines.obligation_ensure(
        target=classification,
        kind=PROVISIONAL_DECISION_KIND,
        period="",
        due_at=deadlines.due_in_calendar_days(_today(), rules.PROVISIONAL_REPORT_DAYS),
        title=_("Decide the level of “%(name)s”") % {"name": classification.name},
        responsible_role=Role.SECRECY_OFFICER.value,
        responsible_organisation=decider.organisation,
        link=_link(classification),
    )
    audit.record(actor=actor, action="classification.report_provisional", target=classification, rule="S7")
    return classification


@transaction.atomic
def provisional_confirm(*, actor, classification: Classification, level: str | None = None) -> Classification:
    """S7 — the authority with power decides a provisional level (S3 applies now)."""
    classification = _lock(classification)
    if classification.state != Classification.State.PROVISIONAL:
        raise StateConflict(_("Only a provisional level is confirmed."), code="not_provisional")
    authority = _require_decider(actor, classification)
    level = level or classification.level
    _period_violation(level, classification.period)
    _authority_violation(authority, level)
    before = classification.level
    classification.level = level
    classification.state = Classification.State.ACTIVE
    if authority.pk != classification.authority_id:
        classification.authority = authority
    classification.save()
    deadlines.obligations_complete(
        target=classification, kinds=[PROVISIONAL_REPORT_KIND, PROVISIONAL_DECISION_KIND], actor=actor
    )
    audit.record(
        actor=actor,
        action="classification.confirm",
        target=classification,
        rule="S7",
        changes={"level": [before, level]},
    )
    _file(classification, Filing.Event.DETERMINATION, actor=actor)
    _tell_list(
        classification,
        _("The level of “%(name)s” is decided: %(mark)s") % {"name": classification.name, "mark": classification.mark},
    )
    return classification


@transaction.atomic
def dispute_raise(*, actor, classification: Classification, claimed_level: str, reason: str) -> Dispute:
    """S7 — SECRETS-REGS §20: someone who knows the item objects to its level; until the
    original authority decides, it is handled at the highest level claimed."""
    classification = _lock(classification)
    if not classification.in_force or not selectors.knows(actor, classification.pk):
        raise PermissionDenied
    if claimed_level not in Level.values or claimed_level == classification.level:
        raise RuleViolation("S7", _("Claim a level other than the one decided."), code="claimed_level")
    if not (reason or "").strip():
        raise RuleViolation("S7", _("Give the grounds of the objection."), fields={"reason": [_("Required.")]})
    dispute = Dispute.objects.create(
        classification=classification, claimed_level=claimed_level, reason=reason.strip(), raised_by=actor
    )
    audit.record(
        actor=actor,
        action="classification.dispute",
        target=classification,
        rule="S7",
        changes={"claimed_level": [None, claimed_level]},
    )
    _tell_list(
        classification,
        _("Objection to the level of “%(name)s”: handled as %(mark)s until decided")
        % {"name": classification.name, "mark": classification.mark},
        reason,
    )
    return dispute


@transaction.atomic
def dispute_decide(*, actor, dispute: Dispute, level: str) -> Dispute:
    """S7 — SECRETS-REGS §20: the original authority (or its superior) decides the objection;
    a different level is a change (S4) and is filed."""
    dispute = lock(Dispute, dispute.pk, related=("classification",))
    if dispute.state != Dispute.State.OPEN:
        raise StateConflict(_("This objection was already decided."), code="decided")
    _require_decider(actor, dispute.classification)
    if level not in Level.values:
        raise RuleViolation("S7", _("Choose secret, confidential or top secret (SECRETS-LAW §10)."), code="level")
    dispute.state = Dispute.State.DECIDED
    dispute.decided_level = level
    dispute.decided_by = actor
    dispute.decided_at = timezone.now()
    dispute.save()
    audit.record(
        actor=actor,
        action="classification.dispute_decide",
        target=dispute.classification,
        rule="S7",
        changes={"level": [dispute.claimed_level, level]},
    )
    if level != dispute.classification.level:
        classification_change(
            actor=actor,
            classification=dispute.classification,
            level=level,
            reason=_("Objection decided (SECRETS-REGS §20)"),
        )
    return dispute


# ---- Secrecy reviews (S9 — SECRECY §34, §39) ---------------------------------------------------------


def disclosure_refusal(target: Model, *, kind: str, patent_kind: str = "") -> str:
    """S9 — what the IP app and others call before a paper, patent, talk, exhibition or exchange
    abroad from ``target``: empty when it may go ahead (not classified, or an approved secrecy
    review of that kind exists); otherwise the reason, naming the article."""
    classification = selectors.classification_of(target)
    if classification is None:
        return ""
    if kind == SecrecyReview.Kind.PATENT:
        refusal = rules.patent_refusal(classification.handled_level, patent_kind)
        if refusal:
            return refusal
    if not classification.reviews.filter(kind=kind, state=SecrecyReview.State.APPROVED).exists():
        return str(_("A classified project's results go out only after a secrecy review (SECRECY §34(4))."))
    return ""


@transaction.atomic
def review_request(
    *, actor, classification: Classification, kind: str, title: str, patent_kind: str = "", description: str = ""
) -> SecrecyReview:
    """S9 — someone on the list asks for a secrecy review before disclosing; a patent request
    that §39 forbids is refused at once."""
    if not selectors.knows(actor, classification.pk):
        raise PermissionDenied
    if kind not in SecrecyReview.Kind.values:
        raise RuleViolation("S9", _("Choose what is to be disclosed."), code="kind")
    if not (title or "").strip():
        raise RuleViolation("S9", _("Give the title."), fields={"title": [_("Required.")]})
    if kind == SecrecyReview.Kind.PATENT:
        refusal = rules.patent_refusal(classification.handled_level, patent_kind)
        if refusal:
            raise RuleViolation("S9", refusal, fields={"patent_kind": [refusal]}, code="patent_refused")
    review = SecrecyReview.objects.create(
        classification=classification,
        kind=kind,
        title=title.strip(),
        patent_kind=patent_kind if kind == SecrecyReview.Kind.PATENT else "",
        description=description,
        requested_by=actor,
    )
    audit.record(actor=actor, action="secrecy_review.request", target=review, rule="S9", changes={"kind": [None, kind]})
    officers = users_with_role(
        organisation_id=classification.authority.organisation_id, role=Role.SECRECY_OFFICER.value
    )
    notify(
        recipients=officers,
        title=_("Secrecy review requested: %(title)s") % {"title": review.title},
        link=_link(classification),
    )
    return review


@transaction.atomic
def review_decide(*, actor, review: SecrecyReview, approve: bool, conditions: str = "") -> SecrecyReview:
    """S9 — the deciding authority's officer approves (with conditions) or refuses."""
    review = lock(SecrecyReview, review.pk, related=("classification__authority",))
    _require_decider(actor, review.classification)
    if review.state != SecrecyReview.State.REQUESTED:
        raise StateConflict(_("This review was already decided."), code="decided")
    if approve and review.kind == SecrecyReview.Kind.PATENT:
        refusal = rules.patent_refusal(review.classification.handled_level, review.patent_kind)
        if refusal:
            raise RuleViolation("S9", refusal, code="patent_refused")
    if not approve and not (conditions or "").strip():
        raise RuleViolation("S9", _("Give the reason for the refusal."), fields={"conditions": [_("Required.")]})
    review.state = SecrecyReview.State.APPROVED if approve else SecrecyReview.State.REFUSED
    review.reviewer = actor
    review.decided_at = timezone.now()
    review.conditions = (conditions or "").strip()
    review.save()
    audit.record(
        actor=actor,
        action="secrecy_review.decide",
        target=review,
        rule="S9",
        changes={"state": ["requested", review.state]},
    )
    notify(
        recipients=[review.requested_by],
        title=_("Secrecy review of “%(title)s”: %(state)s")
        % {"title": review.title, "state": review.get_state_display()},
        body=review.conditions,
        link=_link(review.classification),
    )
    return review


# ---- Leak reports (S10 — SECRETS-REGS §34) ------------------------------------------------------------


@transaction.atomic
def leak_report(
    *, actor, description: str, organisation: Organisation | None = None, classification: Classification | None = None
) -> LeakReport:
    """S10 — anyone may report a suspected leak; the organisation's secrecy officers must act,
    and the report to the authority falls due 24 hours later."""
    if not (description or "").strip():
        raise RuleViolation("S10", _("Describe what happened."), fields={"description": [_("Required.")]})
    organisation = (
        organisation or (classification.authority.organisation if classification else None) or actor.organisation
    )
    if organisation is None:
        raise RuleViolation(
            "S10", _("Say which organisation the leak concerns."), fields={"organisation": [_("Required.")]}
        )
    leak = LeakReport.objects.create(
        classification=classification, organisation=organisation, description=description.strip(), reported_by=actor
    )
    deadlines.obligation_create(
        target=leak,
        kind=LEAK_KIND,
        due_at=leak.reported_at + dt.timedelta(hours=rules.LEAK_REPORT_HOURS),
        title=_("Report the suspected leak to the secrecy authority within 24 hours"),
        responsible_role=Role.SECRECY_OFFICER.value,
        responsible_organisation=organisation,
        reminder_days=(),
        link=reverse("secrecy:leak_detail", args=[leak.pk]),
        actor=actor,
    )
    audit.record(actor=actor, action="leak_report.create", target=leak, rule="S10")
    officers = users_with_role(organisation_id=organisation.pk, role=Role.SECRECY_OFFICER.value)
    notify(
        recipients=officers,
        title=_("Suspected leak reported: take remedial measures and report within 24 hours (SECRETS-REGS §34)"),
        body=leak.description[:500],
        link=reverse("secrecy:leak_detail", args=[leak.pk]),
    )
    return leak


def _require_leak_officer(actor, leak: LeakReport) -> None:
    if not policies.may_act_on_leak(actor, leak):
        raise PermissionDenied


@transaction.atomic
def leak_act(*, actor, leak: LeakReport, measures: str) -> LeakReport:
    """S10 — the secrecy officer records the remedial measures taken at once."""
    leak = lock(LeakReport, leak.pk)
    _require_leak_officer(actor, leak)
    if not (measures or "").strip():
        raise RuleViolation("S10", _("Describe the remedial measures."), fields={"measures": [_("Required.")]})
    if leak.state == LeakReport.State.ESCALATED:
        raise StateConflict(_("This leak was already reported to the authority."), code="escalated")
    leak.measures = measures.strip()
    leak.acted_by = actor
    leak.acted_at = timezone.now()
    leak.state = LeakReport.State.ACTED
    leak.save()
    audit.record(actor=actor, action="leak_report.act", target=leak, rule="S10")
    return leak


@transaction.atomic
def leak_escalate(*, actor, leak: LeakReport) -> LeakReport:
    """S10 — reported to the secrecy administration and the superior department; the 24-hour
    obligation is met (or recorded late)."""
    leak = lock(LeakReport, leak.pk)
    _require_leak_officer(actor, leak)
    if leak.state != LeakReport.State.ACTED:
        raise StateConflict(_("Record the remedial measures first."), code="no_measures")
    leak.state = LeakReport.State.ESCALATED
    leak.escalated_at = timezone.now()
    leak.save(update_fields=["state", "escalated_at"])
    deadlines.obligations_complete(target=leak, actor=actor)
    audit.record(actor=actor, action="leak_report.escalate", target=leak, rule="S10")
    return leak


# ---- Attachments (S11 — SECRETS-LAW §24) -----------------------------------------------------------


def check_attachment_level(level: str) -> None:
    """S11 — refuse an attachment marked above the portal's configured maximum level."""
    portal_max = getattr(settings, "PORTAL_MAX_CLASSIFICATION", rules.NONE) or rules.NONE
    if not rules.portal_accepts(level or rules.NONE, portal_max):
        message = _(
            "This portal is not a classified information system: it may not hold %(level)s content "
            "(SECRETS-LAW §24; the portal accepts up to %(max)s)."
        ) % {
            "level": rules.CHINESE.get(level, level),
            "max": rules.CHINESE.get(portal_max, _("unclassified content only")),
        }
        raise RuleViolation("S11", message, fields={"classification_level": [message]}, code="classified_attachment")
