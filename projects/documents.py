"""PDF documents of projects (WeasyPrint, official layout, numbered pages)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from core.pdf import render_pdf
from core.selectors import carrier_mark
from projects import extensions
from projects.models import TaskBook


def task_book_pdf(book: TaskBook) -> bytes:
    """The task book (P5 — KRD-MGMT §33). S8 (SECRETS-REGS §15): every page carries the mark of
    the highest classification in force on the book's project, subject, proposal or call; a
    book of a secret call without a decision recorded here still says "Secret"."""
    project = book.project
    is_secret_call = bool(project.proposal and project.proposal.call.is_secret)
    mark = carrier_mark(book) or (_("Secret") if is_secret_call else "")
    return render_pdf(
        "projects/pdf/task_book.html",
        {
            "book": book,
            "project": project,
            "indicators": book.indicators.all(),
            "budget": extensions.task_book_budget(book),
            "required_reports": extensions.report_plan(project),
        },
        title=_("Task book"),
        header=f"{project.number} {project.title}",
        classification_mark=mark,
    )
