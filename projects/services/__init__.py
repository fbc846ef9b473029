"""The public service interface of projects: every state change of project establishment, one
function per action (design §2). Callers import this package (``from projects import services``,
then ``services.proposal_submit``); the modules below are its stages, in the order a project
goes through them:

- ``calls``: call guides (指南) — drafting, directions, publication (P1), closing;
- ``proposals``: the applicant's proposal — drafting, sections, units, people, subjects,
  indicators, schedule, attachments, pledges, the eligibility checks at submission (P2),
  submission and withdrawal;
- ``chain``: the unit's submission, the recommending department and returns (P4, P12);
- ``formal_review``: formal review (形式审查) and appeals (申诉) (P4);
- ``shortlist``: two-round calls — first-round and defense results, the shortlist, the formal
  application from a shortlisted pre-application (P3);
- ``notice``: the proposed list, compliance review, public notice (公示) and objections (P5);
- ``approval``: the approval notice (立项通知), project numbers, projects created directly (P5);
- ``task_books``: task books (任务书) — drafting, indicators, review and signatures (P5);
- ``library``: the INTL project library and fast-track evaluation (P12);
- ``common``: what the stages share — the proposal lock, state transitions, role recipients,
  submission refusals, and the standing obligations of an active project (P6, B7).
"""

from projects.services.approval import approval_issue, project_create
from projects.services.calls import call_close, call_create, call_direction_add, call_publish, call_update
from projects.services.chain import proposal_recommend, proposal_return, proposal_unit_submit
from projects.services.common import project_obligations_ensure
from projects.services.formal_review import appeal_answer, appeal_file, formal_review_decide, formal_review_open
from projects.services.library import library_entry_create, post_evaluation_ensure
from projects.services.notice import (
    compliance_approve,
    compliance_return,
    objection_raise,
    objection_resolve,
    proposal_propose,
    public_notice_close,
)
from projects.services.proposals import (
    EDITABLE_STATES,
    missing_pledges,
    proposal_attachment_add,
    proposal_create,
    proposal_findings,
    proposal_indicator_add,
    proposal_person_save,
    proposal_pledge_confirm,
    proposal_save_section,
    proposal_schedule_add,
    proposal_subject_save,
    proposal_submit,
    proposal_unit_add,
    proposal_withdraw,
    required_pledges,
)
from projects.services.shortlist import (
    ShortlistOutcome,
    defense_score_set,
    first_round_score_set,
    formal_from_pre,
    shortlist_make,
)
from projects.services.task_books import (
    task_book_indicator_add,
    task_book_indicator_remove,
    task_book_indicator_set,
    task_book_review,
    task_book_save,
    task_book_sign,
    task_book_submit,
    task_books_generate,
)

__all__ = [
    "EDITABLE_STATES",
    "ShortlistOutcome",
    "appeal_answer",
    "appeal_file",
    "approval_issue",
    "call_close",
    "call_create",
    "call_direction_add",
    "call_publish",
    "call_update",
    "compliance_approve",
    "compliance_return",
    "defense_score_set",
    "first_round_score_set",
    "formal_from_pre",
    "formal_review_decide",
    "formal_review_open",
    "library_entry_create",
    "missing_pledges",
    "objection_raise",
    "objection_resolve",
    "post_evaluation_ensure",
    "project_create",
    "project_obligations_ensure",
    "proposal_attachment_add",
    "proposal_create",
    "proposal_findings",
    "proposal_indicator_add",
    "proposal_person_save",
    "proposal_pledge_confirm",
    "proposal_propose",
    "proposal_recommend",
    "proposal_return",
    "proposal_save_section",
    "proposal_schedule_add",
    "proposal_subject_save",
    "proposal_submit",
    "proposal_unit_add",
    "proposal_unit_submit",
    "proposal_withdraw",
    "public_notice_close",
    "required_pledges",
    "shortlist_make",
    "task_book_indicator_add",
    "task_book_indicator_remove",
    "task_book_indicator_set",
    "task_book_review",
    "task_book_save",
    "task_book_sign",
    "task_book_submit",
    "task_books_generate",
]
