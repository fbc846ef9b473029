"""Task books (任务书): P5 — KRD-MGMT §33."""

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
from projects import policies, rules
from projects.models import Project, Proposal, TaskBook, TaskBookIndicator


def _schedule_text(proposal: Proposal) -> str:
    return "\n".join(
        f"{item.starts_on:%Y-%m-%d}–{item.ends_on:%Y-%m-%d}：{item.work}" for item in proposal.schedule.all()
    )


@transaction.atomic
def task_books_generate(*, project: Project, actor=None) -> list[TaskBook]:
    """The project's task book (agency ↔ lead unit) and one per subject (lead unit ↔ subject
    unit), drafted from the approved application, with a confirmation obligation."""
    proposal = project.proposal
    if proposal is None or project.task_books.exists():
        return list(project.task_books.all())
    books = [
        TaskBook.objects.create(
            project=project,
            party_a=project.managing_agency,
            party_b=project.lead_unit,
            goals=proposal.summary,
            schedule=_schedule_text(proposal),
        )
    ]
    for indicator in proposal.indicators.filter(subject__isnull=True):
        TaskBookIndicator.objects.create(
            task_book=books[0],
            applied=indicator,
            name=indicator.name,
            target_value=indicator.target_value,
            measurement=indicator.measurement,
        )
    for subject in proposal.subjects.select_related("unit"):
        if subject.unit is None:
            continue
        book = TaskBook.objects.create(
            project=project, subject=subject, party_a=project.lead_unit, party_b=subject.unit, goals=subject.title
        )
        books.append(book)
        for indicator in subject.indicators.all():
            TaskBookIndicator.objects.create(
                task_book=book,
                applied=indicator,
                name=indicator.name,
                target_value=indicator.target_value,
                measurement=indicator.measurement,
            )
    with translation.override(settings.LANGUAGE_CODE):
        deadlines.obligation_ensure(
            target=books[0],
            kind="task_book_confirmation",
            period="",
            due_at=deadlines.due_in_working_days(timezone.localdate(), 30),
            title=_("Sign the task book of %(project)s") % {"project": project},
            responsible_users=[project.leader],
            escalation_role=Role.AGENCY.value,
            escalation_organisation=project.managing_agency,
            managing_organisation=project.managing_agency,
            link=reverse("projects:task_book_detail", args=[books[0].pk]),
        )
    audit.record(
        actor=actor, action="task_book.generate", target=project, rule="P5", changes={"task_books": [None, len(books)]}
    )
    return books


def _lock_book(book: TaskBook) -> TaskBook:
    return lock(TaskBook, book.pk, related=("project__proposal__call",))


def _require_leader_drafting(actor, book: TaskBook) -> None:
    if not policies.is_leader_of(actor, book.project):
        raise PermissionDenied
    if book.state != TaskBook.State.DRAFT:
        raise StateConflict(_("The task book is no longer being drafted."), code="task_book_not_draft")


@transaction.atomic
def task_book_save(*, actor, book: TaskBook, **fields) -> TaskBook:
    """The leader edits goals, schedule, report plan and IP goals."""
    book = _lock_book(book)
    _require_leader_drafting(actor, book)
    audit.save_changes(book, actor=actor, action="task_book.save", fields=fields)
    return book


@transaction.atomic
def task_book_indicator_set(
    *, actor, indicator: TaskBookIndicator, target_value: str, measurement: str | None = None
) -> TaskBookIndicator:
    """Change an indicator's target. P5 — KRD-MGMT §33: never weaker than in the application."""
    book = _lock_book(indicator.task_book)
    _require_leader_drafting(actor, book)
    indicator = lock(TaskBookIndicator, indicator.pk, related=("applied",))
    if indicator.applied is not None and rules.indicator_is_weakened(
        applied=indicator.applied.target_value, proposed=target_value, lower_is_better=indicator.applied.is_lower_better
    ):
        raise RuleViolation(
            "P5",
            _(
                "《国家重点研发计划管理暂行办法》第三十三条 (P5): the task book's indicators may not be weaker than "
                "the application's. “%(name)s” was applied for at “%(applied)s”; “%(proposed)s” is lower."
            )
            % {"name": indicator.name, "applied": indicator.applied.target_value, "proposed": target_value},
            fields={"target_value": [_("Lower than in the application.")]},
            code="indicator_weakened",
        )
    before = indicator.target_value
    indicator.target_value = target_value
    if measurement is not None:
        indicator.measurement = measurement
    indicator.save()
    audit.record(
        actor=actor,
        action="task_book.indicator",
        target=book,
        rule="P5",
        changes={indicator.name: [before, target_value]},
    )
    return indicator


@transaction.atomic
def task_book_indicator_remove(*, actor, indicator: TaskBookIndicator) -> None:
    """P5 — an indicator of the application may not be dropped; added ones may."""
    book = _lock_book(indicator.task_book)
    _require_leader_drafting(actor, book)
    if indicator.applied_id is not None:
        raise RuleViolation(
            "P5",
            _(
                "《国家重点研发计划管理暂行办法》第三十三条 (P5): an indicator of the application may not be dropped from the task book."
            ),
            code="indicator_dropped",
        )
    audit.record(
        actor=actor,
        action="task_book.indicator_remove",
        target=book,
        changes={indicator.name: [indicator.target_value, None]},
    )
    indicator.delete()


@transaction.atomic
def task_book_indicator_add(
    *, actor, book: TaskBook, name: str, target_value: str, measurement: str = ""
) -> TaskBookIndicator:
    book = _lock_book(book)
    _require_leader_drafting(actor, book)
    indicator = TaskBookIndicator.objects.create(
        task_book=book, name=name, target_value=target_value, measurement=measurement
    )
    audit.record(actor=actor, action="task_book.indicator_add", target=book, changes={name: [None, target_value]})
    return indicator


@transaction.atomic
def task_book_submit(*, actor, book: TaskBook) -> TaskBook:
    """The leader sends the task book to the agency for review."""
    book = _lock_book(book)
    _require_leader_drafting(actor, book)
    applied = (
        set(book.project.proposal.indicators.filter(subject=book.subject).values_list("pk", flat=True))
        if book.project.proposal
        else set()
    )
    kept = set(book.indicators.exclude(applied=None).values_list("applied_id", flat=True))
    if applied - kept:
        raise RuleViolation(
            "P5",
            _(
                "《国家重点研发计划管理暂行办法》第三十三条 (P5): an indicator of the application may not be dropped from the task book."
            ),
            code="indicator_dropped",
        )
    call = book.project.proposal.call if book.project.proposal else None
    if call is not None and call.is_secret and not book.confidentiality_agreement.strip():
        raise RuleViolation(
            "P5",
            _("KRD-MGMT §33: a secret project records its confidentiality agreement in the task book."),
            code="confidentiality_missing",
        )
    book.state = TaskBook.State.UNDER_REVIEW
    book.save(update_fields=["state"])
    audit.record(
        actor=actor, action="task_book.submit", target=book, rule="P5", changes={"state": ["draft", "under_review"]}
    )
    return book


@transaction.atomic
def task_book_review(*, actor, book: TaskBook, agreed: bool, comment: str = "") -> TaskBook:
    """The agency agrees to the task book or returns it to the leader with a comment."""
    book = _lock_book(book)
    if not policies.may_review_task_book(actor, book):
        raise PermissionDenied
    if book.state != TaskBook.State.UNDER_REVIEW:
        raise StateConflict(_("The task book is not under review."), code="task_book_not_under_review")
    if not agreed and not comment.strip():
        raise ValidationError({"comment": [_("Say what must change.")]})
    before = book.state
    book.state = TaskBook.State.AGREED if agreed else TaskBook.State.DRAFT
    book.review_comment = comment.strip()
    book.save(update_fields=["state", "review_comment"])
    audit.record(
        actor=actor, action="task_book.review", target=book, rule="P5", changes={"state": [before, book.state]}
    )
    return book


@transaction.atomic
def task_book_sign(*, actor, book: TaskBook, now=None) -> TaskBook:
    """Each party signs (signer and time): party A by its agency (or, for a subject task book,
    the lead unit's administrator), party B by its unit administrator or the project leader."""
    now = now or timezone.now()
    book = _lock_book(book)
    if book.state != TaskBook.State.AGREED:
        raise StateConflict(_("Only an agreed task book is signed."), code="task_book_not_agreed")
    side = None
    if policies.is_managing_agency(actor, agency_id=book.party_a_id) or policies.is_unit_admin_of(
        actor, organisation_id=book.party_a_id
    ):
        side = "a"
    elif policies.is_unit_admin_of(actor, organisation_id=book.party_b_id) or (
        book.subject_id is None and policies.is_leader_of(actor, book.project)
    ):
        side = "b"
    if side is None:
        raise PermissionDenied
    setattr(book, f"signed_{side}_by", actor)
    setattr(book, f"signed_{side}_at", now)
    if book.signed_a_at and book.signed_b_at:
        book.state = TaskBook.State.CONFIRMED
    book.save()
    audit.record(actor=actor, action=f"task_book.sign_{side}", target=book, rule="P5")
    if book.state == TaskBook.State.CONFIRMED and book.subject_id is None:
        deadlines.obligations_complete(target=book, kinds=["task_book_confirmation"], actor=actor)
    return book
