"""What budgets contributes to project establishment (``projects.extensions``)."""

from __future__ import annotations

import datetime as dt

from budgets import rules


def funds_edition_code(*, program: str, on: dt.date, code: str | None) -> str:
    """B1/B2 — the funds policy edition a call keeps from its publication (or the one chosen)."""
    return rules.edition_for(program=program, on=on, code=code or None).code


def funds_edition_choices() -> list[tuple[str, str]]:
    return [(code, edition.title) for code, edition in rules.EDITIONS.items()]


def register() -> None:
    from budgets import documents, selectors
    from budgets.services import book, review
    from projects import extensions

    extensions.submission_checks.register(book.submission_findings)
    extensions.funds_edition.register(funds_edition_code)
    extensions.funds_edition_choices.register(funds_edition_choices)
    extensions.project_created.register(review.budget_attach_project)
    extensions.proposal_budget.register(selectors.budget_of_proposal)
    extensions.project_budget.register(selectors.budget_of_project)
    extensions.task_book_budget.register(documents.task_book_budget)
