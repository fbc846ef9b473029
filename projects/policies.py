"""Who may do what in project establishment: one function per question (design §2), each on
``core.policies``' one superuser rule. Services refuse with these, selectors and views ask them."""

from __future__ import annotations

from accounts.roles import Role
from core.policies import acts_for


def is_managing_agency(user, *, agency_id: int | None) -> bool:
    """``user`` works for the professional management agency ``agency_id`` (专业机构)."""
    return acts_for(user, role=Role.AGENCY.value, organisation_id=agency_id)


def manages_special_project(user, special_project) -> bool:
    """The agency that manages ``special_project`` (its calls, review and approval)."""
    return is_managing_agency(user, agency_id=special_project.managing_agency_id)


def manages_call(user, call) -> bool:
    """The agency that manages the special project of ``call``."""
    return is_managing_agency(user, agency_id=call.special_project.managing_agency_id)


def manages_proposal(user, proposal) -> bool:
    """The agency that receives ``proposal`` (formal review, the proposed list, approval)."""
    return manages_call(user, proposal.call)


def manages_project(user, project) -> bool:
    """The agency that manages ``project`` (task books, execution, acceptance)."""
    return is_managing_agency(user, agency_id=project.managing_agency_id)


def is_unit_admin_of(user, *, organisation_id: int | None) -> bool:
    """``user`` is a research administrator (科研管理员) of the unit ``organisation_id``."""
    return acts_for(user, role=Role.UNIT_ADMIN.value, organisation_id=organisation_id)


def is_recommender_of(user, *, organisation_id: int | None) -> bool:
    """``user`` works for the recommending department ``organisation_id`` (推荐单位)."""
    return acts_for(user, role=Role.RECOMMENDER.value, organisation_id=organisation_id)


def is_applicant_of(user, proposal) -> bool:
    """``user`` filed ``proposal``; only the applicant edits and submits it."""
    return user is not None and user.pk is not None and proposal.applicant_id == user.pk


def is_leader_of(user, project) -> bool:
    """``user`` leads ``project`` (项目负责人)."""
    return user is not None and user.pk is not None and project.leader_id == user.pk


def may_review_task_book(user, book) -> bool:
    """The managing agency reviews, agrees to and signs a task book as 甲方 (P5 — KRD-MGMT §33)."""
    return manages_project(user, book.project)
