"""What other apps contribute to project establishment (see ``core.hooks``).

``budgets``, ``reports`` and ``reviews`` build on projects; projects calls these hooks and
never imports them. Each app registers its providers in its ``AppConfig.ready()``.
"""

from __future__ import annotations

from core.hooks import Hook, HookList

# ---- Services ------------------------------------------------------------------------------

#: ``provider(proposal) -> list[core.findings.Finding]``: checks an app adds to eligibility at
#: submission (budgets: the budget book's B-checks, KRD-FUNDS §23).
submission_checks = HookList("submission_checks")

#: ``provider(*, program, on, code) -> str``: the funds policy edition a call keeps from its
#: publication (budgets, B1/B2). Raises ``LookupError`` when ``code`` does not apply.
funds_edition = Hook("funds_edition", default=lambda *, program, on, code: code or "")

#: ``provider() -> list[tuple[str, str]]``: the editions a call may choose, as (code, title).
funds_edition_choices = Hook("funds_edition_choices", default=list)

#: ``provider(*, project, actor)``: run when an approval notice creates a project, before its task
#: books are drafted (budgets: the approved budget moves to the project).
project_created = HookList("project_created")

#: ``provider(*, project, actor)``: run once the project's task books exist (reports: the plan of
#: required tech reports, T1).
project_established = HookList("project_established")

# ---- Pages and documents -------------------------------------------------------------------

#: ``provider(user, proposal) -> Budget | None``: the proposal's budget book the user may see.
proposal_budget = Hook("proposal_budget", default=lambda user, proposal: None)

#: ``provider(user, project) -> Budget | None``: the project's budget the user may see.
project_budget = Hook("project_budget", default=lambda user, project: None)

#: ``provider(book) -> dict | None``: the budget tables a task book carries (page and PDF).
task_book_budget = Hook("task_book_budget", default=lambda book: None)

#: ``provider(project) -> list``: the tech reports the project must file (T1), for the task book.
report_plan = Hook("report_plan", default=lambda project: [])

#: ``provider(proposal) -> list[dict]``: the anonymised expert opinions of published review
#: rounds, for the applicant (KRD-MGMT §26).
review_opinions = Hook("review_opinions", default=lambda proposal: [])
