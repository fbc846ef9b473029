"""PDF documents of projects (WeasyPrint, official layout, numbered pages)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from core.pdf import render_pdf
from projects.models import TaskBook


def task_book_pdf(book: TaskBook) -> bytes:
    from budgets.documents import task_book_budget

    project = book.project
    classified = bool(project.proposal and project.proposal.call.is_secret)
    return render_pdf(
        "projects/pdf/task_book.html",
        {"book": book, "project": project, "indicators": book.indicators.all(), "budget": task_book_budget(book)},
        title=_("Task book"),
        header=f"{project.number} {project.title}",
        classification_mark=_("Secret") if classified else "",
    )
