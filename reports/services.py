"""Every change of a tech report (T1–T7): the plan a task book sets, drafting and filing by the
leader, the unit's check and submission, the agency's confirmation or return, numbering,
delayed release that lifts itself, early release on publication, extensions, full-text
authorisations and the download log. Each runs in a transaction with an audit event."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.roles import Role
from accounts.selectors import users_with_role
from core import audit, calendar
from core.deadlines import services as deadlines
from core.exceptions import RuleViolation, StateConflict
from core.locks import lock
from core.models import Obligation
from core.notifications import notify
from core.uploads import read_pdf
from projects.models import Project
from reports import policies, rules
from reports.models import AccessRequest, Download, Extension, NumberSequence, PlanItem, TechReport
from reports.rules import Access, Kind
from secrecy.selectors import classification_of
from secrecy.services import check_attachment_level

PLAN_KIND = "tech_report"
RELEASE_KIND = "tech_report_release"
EDITABLE = (TechReport.State.DRAFT, TechReport.State.RETURNED)
METADATA_FIELDS = (
    "kind",
    "title",
    "title_en",
    "abstract",
    "abstract_en",
    "keywords",
    "authors",
    "compiled_on",
    "related_papers",
    "related_patents",
    "access",
    "delay_reason",
    "release_on",
    "secret_level",
    "secret_years",
    "subject",
    "plan_item",
)


def _today() -> dt.date:
    return timezone.localdate()


def _link(report: TechReport) -> str:
    return reverse("reports:report_detail", args=[report.pk])


def _lock(report: TechReport) -> TechReport:
    return lock(TechReport, report.pk, related=("project__lead_unit", "project__managing_agency", "project__leader"))


# The demo asks these by their older names; reports.policies holds the questions.
is_unit_admin = policies.may_check_for_unit
is_agency = policies.may_confirm_as_agency


# ---- The plan (T1 — REPORTS §10–§11) -----------------------------------------------------------------


@transaction.atomic
def plan_ensure(*, project, actor=None) -> list[PlanItem]:
    """The reports the task book requires: the final report (always) and, for projects of 2
    years or more, an annual progress report per project year; each an obligation of the
    leader, escalated to the agency. Safe to call again."""
    items = []
    for planned in rules.report_plan(project.start_date, project.end_date):
        label = Kind(planned.kind).label
        title = f"{label}（{planned.sequence}）" if planned.sequence else str(label)
        item, created = PlanItem.objects.get_or_create(
            project=project,
            kind=planned.kind,
            sequence=planned.sequence,
            defaults={"title": title, "due_on": planned.due_on},
        )
        items.append(item)
        if created:
            _plan_obligation(item, actor=actor)
    return items


def _plan_obligation(item: PlanItem, *, actor=None) -> None:
    project = item.project
    with translation.override(settings.LANGUAGE_CODE):
        deadlines.obligation_ensure(
            target=item,
            kind=PLAN_KIND,
            period="",
            due_at=deadlines.due_on(item.due_on),
            title=_("File the %(report)s of %(project)s") % {"report": item.title, "project": project.number},
            responsible_users=[project.leader],
            responsible_role=Role.UNIT_ADMIN.value,
            responsible_organisation=project.lead_unit,
            escalation_role=Role.AGENCY.value,
            escalation_organisation=project.managing_agency,
            managing_organisation=project.managing_agency,
            link=reverse("reports:project_reports", args=[project.pk]),
        )


@transaction.atomic
def plan_add_topical(*, actor, project, kind: str, title: str, due_on: dt.date) -> PlanItem:
    """T1 — REPORTS §10(3): the agency adds a topical report (experiment, survey, inspection,
    design, test) to what the task book requires."""
    if not policies.may_confirm_as_agency(actor, project):
        raise PermissionDenied
    if kind not in rules.TOPICAL:
        raise RuleViolation("T1", _("Choose a topical report type (REPORTS §10(3))."), code="kind")
    sequence = (
        PlanItem.objects.filter(project=project, kind=kind)
        .order_by("-sequence")
        .values_list("sequence", flat=True)
        .first()
        or 0
    ) + 1
    item = PlanItem.objects.create(
        project=project, kind=kind, title=title.strip() or str(Kind(kind).label), due_on=due_on, sequence=sequence
    )
    _plan_obligation(item, actor=actor)
    audit.record(actor=actor, action="report_plan.add", target=project, rule="T1", changes={"item": [None, item.title]})
    return item


# ---- Drafting and filing (T2–T5) ---------------------------------------------------------------------


def _check(report: TechReport, *, submitted_on: dt.date | None = None) -> dict[str, list[str]]:
    """Every check of the metadata and release terms; field → messages."""
    fields: dict[str, list[str]] = {}
    for name in ("title", "abstract", "abstract_en"):
        if not (getattr(report, name) or "").strip():
            fields[name] = [_("Required (GB/T 7713.3-2014).")]
    keyword_error = rules.keyword_error(report.keywords)
    if keyword_error:
        fields["keywords"] = [keyword_error]
    if not report.authors:
        fields["authors"] = [_("Name the authors.")]
    if report.access == Access.DELAYED:
        errors = rules.release_errors(
            submitted_on=submitted_on or _today(), reason=report.delay_reason, release_on=report.release_on
        )
        for key, message in errors.items():
            fields.setdefault(key, []).append(message)
    if report.access == Access.CLASSIFIED:
        level_error = rules.level_error(report.secret_level or "")
        if level_error or not report.secret_level:
            fields["secret_level"] = [
                level_error or _("Give the level: a classified report is secret (REPORTS §12(2)).")
            ]
        if not report.secret_years or not 1 <= report.secret_years <= 10:
            fields["secret_years"] = [_("A secret report is kept secret 1 to 10 years (SECRETS-LAW §15).")]
    elif report.secret_level:
        fields["secret_level"] = [_("Only a classified report has a level.")]
    return fields


def _raise(fields: dict[str, list[str]], rule: str = "T3") -> None:
    if fields:
        t4 = "secret_level" in fields and any("REPORTS §12(2)" in message for message in fields["secret_level"])
        raise RuleViolation(
            "T4" if t4 else rule,
            " ".join(message for messages in fields.values() for message in messages),
            fields=fields,
            code="report_invalid",
        )


def _check_file(report: TechReport, upload) -> None:
    """T2 — REPORTS §12: the full text is a PDF; and, as every upload the portal serves on (a
    public report's full text to anyone registered), at most 20 MB without scripts, launch
    actions or embedded files (``core.uploads``); a classified one within the portal's level
    (S11)."""
    if upload is None:
        return
    name = getattr(upload, "name", "") or ""
    if not name.lower().endswith(".pdf"):
        raise RuleViolation(
            "T2", _("The full text is filed as a PDF."), fields={"file": [_("Upload a PDF file.")]}, code="not_pdf"
        )
    read_pdf(upload, field="file")
    if report.access == Access.CLASSIFIED:
        check_attachment_level(report.secret_level or rules.ALLOWED_LEVEL)


def _normalise(values: dict) -> dict:
    """Values as typed, made consistent; a level above secret is refused before anything is
    saved (T4 — REPORTS §12(2))."""
    values = dict(values)
    level_error = rules.level_error(values.get("secret_level") or "")
    if level_error:
        raise RuleViolation("T4", level_error, fields={"secret_level": [level_error]}, code="level_above_secret")
    if isinstance(values.get("keywords"), str):
        values["keywords"] = rules.split_keywords(values["keywords"])
    if isinstance(values.get("authors"), str):
        values["authors"] = rules.split_keywords(values["authors"])
    if values.get("access") and values["access"] != Access.DELAYED:
        values["delay_reason"] = ""
        values["release_on"] = None
    if values.get("access") and values["access"] != Access.CLASSIFIED:
        values["secret_level"] = ""
        values["secret_years"] = None
    return values


@transaction.atomic
def report_create(*, actor, project, units=(), file=None, **values) -> TechReport:
    """The leader drafts a report of the project; nothing is checked until it is filed, so a
    half-written draft is never lost."""
    if not policies.may_file(actor, project):
        raise PermissionDenied
    values = _normalise(values)
    values.setdefault("compiled_on", _today())
    values.setdefault("abstract_en", "")
    report = TechReport(project=project, created_by=actor, **{k: v for k, v in values.items() if k in METADATA_FIELDS})
    _check_file(report, file)
    report.save()
    if file is not None:
        report.file.save(f"report-{report.pk}.pdf", file, save=True)
    report.units.set(list(units) or [project.lead_unit])
    audit.record(
        actor=actor, action="tech_report.create", target=report, rule="T2", changes={"title": [None, report.title]}
    )
    return report


@transaction.atomic
def report_update(*, actor, report: TechReport, units=None, file=None, **values) -> TechReport:
    report = _lock(report)
    if not policies.may_file(actor, report):
        raise PermissionDenied
    if report.state not in EDITABLE:
        raise StateConflict(
            _("A filed report is no longer edited; ask the unit to return it."), code="report_not_draft"
        )
    values = _normalise(values)
    before = {name: getattr(report, name) for name in values if name in METADATA_FIELDS}
    for name, value in values.items():
        if name in METADATA_FIELDS:
            setattr(report, name, value)
    _check_file(report, file)
    report.save()
    if file is not None:
        report.file.save(f"report-{report.pk}.pdf", file, save=True)
    if units is not None:
        report.units.set(list(units))
    audit.record(
        actor=actor,
        action="tech_report.update",
        target=report,
        rule="T2",
        changes={
            name: [str(before[name]), str(getattr(report, name))]
            for name in before
            if before[name] != getattr(report, name)
        },
    )
    return report


def _project_code(report: TechReport) -> str:
    project = report.project
    if report.subject_id is not None:
        return f"{project.number}-{report.subject.number:02d}"
    return project.number


def _assign_number(report: TechReport) -> str:
    """T2 — GB/T 15416-2014: unit code, project (or subject) code and the next sequence, taken
    under a row lock so concurrent filings never share a number."""
    organisation_code = report.project.lead_unit.credit_code
    prefix = f"{organisation_code}-{_project_code(report)}"
    row, _created = NumberSequence.objects.get_or_create(prefix=prefix)
    sequence = lock(NumberSequence, row.pk)
    sequence.last += 1
    sequence.save(update_fields=["last"])
    return rules.report_number(organisation_code, _project_code(report), sequence.last)


@transaction.atomic
def report_file(*, actor, report: TechReport) -> TechReport:
    """The leader files the report with the unit (REPORTS §9, §13): every check passes first,
    the full text is there, and the report takes its number."""
    report = _lock(report)
    if not policies.may_file(actor, report):
        raise PermissionDenied
    if report.state not in EDITABLE:
        raise StateConflict(_("This report was already filed."), code="report_filed")
    fields = _check(report)
    if report.access != Access.CLASSIFIED and not report.file:
        fields["file"] = [_("Attach the full text as a PDF (REPORTS §12).")]
    _raise(fields)
    if not report.number:
        report.number = _assign_number(report)
    before = report.state
    report.state = TechReport.State.FILED
    report.filed_at = timezone.now()
    report.returned_reason = ""
    report.save()
    audit.record(
        actor=actor,
        action="tech_report.file",
        target=report,
        rule="T2",
        changes={"state": [before, report.state], "number": [None, report.number]},
    )
    notify(
        recipients=users_with_role(organisation_id=report.project.lead_unit_id, role=Role.UNIT_ADMIN.value),
        title=_("Check and submit the tech report %(number)s") % {"number": report.number},
        link=_link(report),
    )
    return report


@transaction.atomic
def report_submit(*, actor, report: TechReport) -> TechReport:
    """T5 — REPORTS §13: the unit checks number, format, content, level and release terms and
    submits to the agency; the delay counts from the submission date (T3)."""
    report = _lock(report)
    if not policies.may_check_for_unit(actor, report):
        raise PermissionDenied
    if report.state != TechReport.State.FILED:
        raise StateConflict(_("Only a report filed by the leader is submitted."), code="report_not_filed")
    today = _today()
    _raise(_check(report, submitted_on=today))
    report.state = TechReport.State.SUBMITTED
    report.submitted_at = timezone.now()
    report.submitted_on = today
    report.save()
    audit.record(
        actor=actor, action="tech_report.submit", target=report, rule="T5", changes={"state": ["filed", "submitted"]}
    )
    notify(
        recipients=users_with_role(organisation_id=report.project.managing_agency_id, role=Role.AGENCY.value),
        title=_("Confirm the level and release terms of tech report %(number)s") % {"number": report.number},
        link=_link(report),
    )
    return report


@transaction.atomic
def report_return(*, actor, report: TechReport, reason: str) -> TechReport:
    """The unit (before submission) or the agency (after) returns the report to the leader."""
    report = _lock(report)
    if report.state not in (TechReport.State.FILED, TechReport.State.SUBMITTED):
        raise StateConflict(_("Only a filed or submitted report can be returned."), code="report_not_returnable")
    if not policies.may_return(actor, report):
        raise PermissionDenied
    if not (reason or "").strip():
        raise RuleViolation("T5", _("Say what must change."), fields={"reason": [_("Required.")]})
    before = report.state
    report.state = TechReport.State.RETURNED
    report.returned_reason = reason.strip()
    report.save()
    audit.record(
        actor=actor,
        action="tech_report.return",
        target=report,
        rule="T5",
        changes={"state": [before, report.state], "reason": [None, reason]},
    )
    notify(
        recipients=[report.project.leader],
        title=_("Tech report %(number)s was returned") % {"number": report.number},
        body=reason,
        link=_link(report),
    )
    return report


@transaction.atomic
def report_confirm(*, actor, report: TechReport, release_on: dt.date | None = None) -> TechReport:
    """T5 — REPORTS §14: the agency confirms the level and the delay (it may set an earlier or
    later release date within the reason's maximum). A public report is public at once; a
    delayed one is released by its timer (T7); a classified one needs a classification in
    force on the report or its project (S2)."""
    report = _lock(report)
    if not policies.may_confirm_as_agency(actor, report):
        raise PermissionDenied
    if report.state != TechReport.State.SUBMITTED:
        raise StateConflict(_("Only a submitted report is confirmed."), code="report_not_submitted")
    if release_on is not None and report.access == Access.DELAYED:
        report.release_on = release_on
    _raise(_check(report, submitted_on=report.submitted_on))
    if (
        report.access == Access.CLASSIFIED
        and classification_of(report) is None
        and classification_of(report.project) is None
    ):
        raise RuleViolation(
            "T4",
            _("A classified report needs a classification decision on it or on its project first (SECRECY §18)."),
            code="no_classification",
        )
    now = timezone.now()
    report.state = TechReport.State.CONFIRMED
    report.confirmed_at = now
    if report.access == Access.PUBLIC:
        report.released_at = now
        report.release_basis = "public"
    report.save()
    audit.record(
        actor=actor,
        action="tech_report.confirm",
        target=report,
        rule="T5",
        changes={
            "state": ["submitted", "confirmed"],
            "access": [None, report.access],
            "release_on": [None, report.release_on],
        },
    )
    if report.access == Access.DELAYED:
        _schedule_release(report)
    _plan_done(report, actor=actor)
    _tell(
        report,
        _("Tech report %(number)s is confirmed (%(code)s)") % {"number": report.number, "code": access_code(report)},
    )
    return report


def _plan_done(report: TechReport, *, actor) -> None:
    if report.plan_item_id is None:
        return
    deadlines.obligations_complete(target=report.plan_item, actor=actor)


def access_code(report: TechReport) -> str:
    mark = ""
    if report.access == Access.CLASSIFIED:
        mark = f"{rules.CHINESE_LEVEL.get(report.secret_level, '秘密')}★{report.secret_years or ''}年"
    return rules.access_code(report.access, release_on=report.release_on, mark=mark)


def _tell(report: TechReport, title: str, body: str = "") -> None:
    """The leader, the report's author who filed it and the lead unit's administrators."""
    recipients = [
        report.project.leader,
        report.created_by,
        *users_with_role(organisation_id=report.project.lead_unit_id, role=Role.UNIT_ADMIN.value),
    ]
    notify(recipients=recipients, title=title, body=body, link=_link(report))


# ---- Release (T3, T7 — REPORTS §12, §19) -------------------------------------------------------------


def _release_obligation(report: TechReport) -> Obligation | None:
    return deadlines.obligations_open(report, kinds=[RELEASE_KIND]).first()


def _schedule_release(report: TechReport) -> None:
    """T7 — the timer that releases the report at the start of its release date."""
    with translation.override(settings.LANGUAGE_CODE):
        deadlines.timer_set(
            target=report,
            kind=RELEASE_KIND,
            due_at=dt.datetime.combine(report.release_on, dt.time(0, 0), tzinfo=deadlines.local_timezone()),
            title=_("Tech report %(number)s becomes public") % {"number": report.number},
            link=_link(report),
            move_reason=_("Release date changed"),
        )


def _release(report: TechReport, *, basis: str, actor=None, note: str = "") -> TechReport:
    report.released_at = timezone.now()
    report.release_basis = basis
    if note:
        report.publication_note = note[:300]
    report.save(update_fields=["released_at", "release_basis", "publication_note"])
    audit.record(
        actor=actor,
        action="tech_report.release",
        target=report,
        rule="T7" if basis == "expired" else "T3",
        changes={"released_at": [None, report.released_at], "basis": [None, basis]},
    )
    _tell(report, _("Tech report %(number)s is now public") % {"number": report.number})
    return report


@transaction.atomic
def release_due(*, report: TechReport, today: dt.date | None = None) -> bool:
    """T7 — REPORTS §19: at the release date a delayed report becomes public on its own, once.
    Returns False (and changes nothing) when it is not due or was already released."""
    report = _lock(report)
    today = today or _today()
    if (
        report.state != TechReport.State.CONFIRMED
        or report.access != Access.DELAYED
        or report.released_at is not None
        or report.release_on is None
        or report.release_on > today
    ):
        return False
    _release(report, basis="expired")
    return True


@transaction.atomic
def record_publication(*, actor, report: TechReport, note: str) -> TechReport:
    """T3 — REPORTS §12(1): once the paper is published or the patent application is public,
    the delayed report is released at once (the leader or the unit records it)."""
    report = _lock(report)
    if not policies.may_speak_for_report(actor, report):
        raise PermissionDenied
    if report.access != Access.DELAYED or report.state != TechReport.State.CONFIRMED or report.released_at is not None:
        raise StateConflict(_("Only a confirmed delayed report not yet public is released early."), code="not_delayed")
    if not (note or "").strip():
        raise RuleViolation("T3", _("Cite the paper or the patent publication."), fields={"note": [_("Required.")]})
    _release(report, basis="published", actor=actor, note=note.strip())
    obligation = _release_obligation(report)
    if obligation is not None:
        deadlines.obligation_waive(obligation=obligation, reason=_("Released early on publication"), actor=actor)
    return report


def extension_deadline(report: TechReport) -> dt.date:
    return rules.extension_deadline(report.release_on, calendar.is_working_day)


@transaction.atomic
def extension_request(
    *, actor, report: TechReport, new_release_on: dt.date, reason: str, today: dt.date | None = None
) -> Extension:
    """T7 — REPORTS §19: the unit (or leader) asks to keep the report closed longer; refused
    when lodged later than 15 working days before the release date."""
    report = _lock(report)
    if not policies.may_speak_for_report(actor, report):
        raise PermissionDenied
    if report.access != Access.DELAYED or report.state != TechReport.State.CONFIRMED or report.released_at is not None:
        raise StateConflict(_("Only a confirmed delayed report not yet public can be extended."), code="not_delayed")
    today = today or _today()
    deadline = extension_deadline(report)
    if today > deadline:
        raise RuleViolation(
            "T7",
            _(
                "An extension is lodged at least 15 working days before the release date (REPORTS §19): "
                "for release on %(release)s, by %(deadline)s."
            )
            % {"release": report.release_on, "deadline": deadline},
            code="extension_too_late",
        )
    if new_release_on <= report.release_on:
        raise RuleViolation(
            "T7",
            _("The new release date must be later than %(day)s.") % {"day": report.release_on},
            fields={"new_release_on": [_("Too early.")]},
        )
    if not (reason or "").strip():
        raise RuleViolation("T7", _("Give the reason in writing (REPORTS §19)."), fields={"reason": [_("Required.")]})
    if report.extensions.filter(state=Extension.State.REQUESTED).exists():
        raise StateConflict(_("An extension is already waiting for the agency."), code="extension_pending")
    extension = Extension.objects.create(
        report=report, new_release_on=new_release_on, reason=reason.strip(), requested_by=actor
    )
    audit.record(
        actor=actor,
        action="tech_report.extension_request",
        target=report,
        rule="T7",
        changes={"release_on": [report.release_on, new_release_on]},
    )
    notify(
        recipients=users_with_role(organisation_id=report.project.managing_agency_id, role=Role.AGENCY.value),
        title=_("Extension of the delayed release of %(number)s requested") % {"number": report.number},
        body=reason,
        link=_link(report),
    )
    return extension


@transaction.atomic
def extension_decide(*, actor, extension: Extension, approve: bool, note: str = "") -> Extension:
    """T7 — the agency approves (the release date moves, and so does its timer) or refuses."""
    extension = lock(Extension, extension.pk)
    report = _lock(extension.report)
    if not policies.may_confirm_as_agency(actor, report):
        raise PermissionDenied
    if extension.state != Extension.State.REQUESTED:
        raise StateConflict(_("This extension was already decided."), code="decided")
    if report.released_at is not None:
        raise StateConflict(_("The report is already public."), code="released")
    extension.state = Extension.State.APPROVED if approve else Extension.State.REFUSED
    extension.decided_by = actor
    extension.decided_at = timezone.now()
    extension.note = note
    extension.save()
    if approve:
        before = report.release_on
        report.release_on = extension.new_release_on
        report.save(update_fields=["release_on"])
        _schedule_release(report)
        audit.record(
            actor=actor,
            action="tech_report.extension_approve",
            target=report,
            rule="T7",
            changes={"release_on": [before, report.release_on]},
        )
    else:
        audit.record(actor=actor, action="tech_report.extension_refuse", target=report, rule="T7")
    notify(
        recipients=[extension.requested_by],
        title=_("Extension of %(number)s: %(state)s")
        % {"number": report.number, "state": extension.get_state_display()},
        body=note,
        link=_link(report),
    )
    return extension


def on_declassified(sender, classification, target, **kwargs) -> None:
    """S4 with T7 — REPORTS §19–§20: a classified report held back only by its classification
    becomes public when the secrecy app declassifies it (or its project)."""
    if isinstance(target, TechReport):
        reports = TechReport.objects.filter(pk=target.pk)
    elif isinstance(target, Project):
        reports = TechReport.objects.filter(project=target)
    else:
        return
    for report in reports.filter(access=Access.CLASSIFIED, state=TechReport.State.CONFIRMED, released_at__isnull=True):
        if classification_of(report) is None and classification_of(report.project) is None:
            with transaction.atomic():
                locked = _lock(report)
                locked.access = Access.PUBLIC
                locked.secret_level = ""
                locked.secret_years = None
                locked.save(update_fields=["access", "secret_level", "secret_years"])
                _release(locked, basis="declassified")


# ---- Full-text authorisations (T6 — REPORTS §18) ------------------------------------------------------


@transaction.atomic
def access_request(*, actor, report: TechReport, purpose: str) -> AccessRequest:
    """A registered real-name user asks for the full text of a delayed report."""
    if not getattr(actor, "is_real_name_verified", False):
        raise RuleViolation(
            "T6", _("Full texts are for registered real-name users (REPORTS §18)."), code="not_real_name"
        )
    if report.access != Access.DELAYED or report.released_at is not None or report.state != TechReport.State.CONFIRMED:
        raise StateConflict(_("Only a delayed report not yet public needs an authorisation."), code="not_delayed")
    if not (purpose or "").strip():
        raise RuleViolation("T6", _("Say what you need it for."), fields={"purpose": [_("Required.")]})
    request = AccessRequest.objects.create(report=report, requester=actor, purpose=purpose.strip())
    audit.record(actor=actor, action="report_access.request", target=report, rule="T6")
    notify(
        recipients=[
            *users_with_role(organisation_id=report.project.managing_agency_id, role=Role.AGENCY.value),
            *users_with_role(organisation_id=report.project.lead_unit_id, role=Role.UNIT_ADMIN.value),
        ],
        title=_("Full-text request for %(number)s") % {"number": report.number},
        body=purpose,
        link=_link(report),
    )
    return request


@transaction.atomic
def access_decide(*, actor, request: AccessRequest, grant: bool, expires_on: dt.date | None = None) -> AccessRequest:
    """T6 — REPORTS §18: the agency or the filing unit authorises the full text until a date."""
    request = lock(AccessRequest, request.pk, related=("report__project",))
    if not policies.may_decide_access(actor, request.report):
        raise PermissionDenied
    if request.state != AccessRequest.State.REQUESTED:
        raise StateConflict(_("This request was already decided."), code="decided")
    if grant and (expires_on is None or expires_on <= _today()):
        raise RuleViolation(
            "T6", _("Give the date the authorisation ends."), fields={"expires_on": [_("A future date.")]}
        )
    request.state = AccessRequest.State.GRANTED if grant else AccessRequest.State.REFUSED
    request.decided_by = actor
    request.decided_at = timezone.now()
    request.expires_on = expires_on if grant else None
    request.save()
    audit.record(
        actor=actor,
        action="report_access.decide",
        target=request.report,
        rule="T6",
        changes={"state": ["requested", request.state]},
    )
    notify(
        recipients=[request.requester],
        title=_("Full text of %(number)s: %(state)s")
        % {"number": request.report.number, "state": request.get_state_display()},
        link=_link(request.report),
    )
    return request


@transaction.atomic
def download_record(*, reader, report: TechReport, ip_address: str | None = None) -> Download:
    """T6 — REPORTS §18: the download log: who took a (name-stamped) copy, when and from where."""
    download = Download.objects.create(report=report, user=reader, ip_address=ip_address)
    audit.record(actor=reader, action="tech_report.download", target=report, rule="T6", ip_address=ip_address)
    return download
