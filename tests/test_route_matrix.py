"""Every route declares who may use it, and each declaration holds for every role.

The walk covers the whole URLconf, so a route added later without a declaration fails here.
Each later feature adds sample arguments for its parameterised routes to ``SAMPLE_KWARGS``.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from accounts.roles import Role
from core.access import declared_routes

pytestmark = pytest.mark.django_db


ROUTES = declared_routes()


# Arguments for parameterised routes, by full route name: a function of the objects made by
# the fixture below and of the requesting user (None when anonymous), so that an object-scoped
# route can be given an object that user may see.
def _own_obligation(objects, user):
    from core.deadlines import services as deadlines

    obligation = deadlines.obligation_create(
        target=objects["project"],
        kind="annual_report",
        period=f"matrix-{user.pk if user else 0}",
        due_at=deadlines.due_on(dt.date(2026, 11, 30)),
        title="矩阵测试事项",
        responsible_users=[user or objects["project"].leader],
    )
    return {"pk": obligation.pk}


def _own_notification(objects, user):
    from core.models import Notification

    return {"pk": Notification.objects.create(recipient=user or objects["project"].leader, title="矩阵测试").pk}


def _feed_token(objects, user):
    from core.deadlines.services import calendar_feed_token_for

    return {"token": calendar_feed_token_for(user or objects["project"].leader).token}


def _call(objects, user):
    """A published, non-secret call; managed by the user's agency when the user is an agency."""
    from django.utils import timezone

    from projects.models import Call
    from projects.tests.factories import CallFactory, SpecialProjectFactory

    special = (
        SpecialProjectFactory(managing_agency=user.organisation)
        if user is not None and user.has_role("agency")
        else SpecialProjectFactory()
    )
    call = CallFactory(special_project=special, state=Call.State.PUBLISHED, published_at=timezone.now())
    return {"pk": call.pk}


def _proposal(objects, user):
    """A proposal the user may see: their own draft (applicant), a submitted one of their unit
    (unit administrator), one awaiting their recommendation, one received by their agency."""
    from accounts.tests.factories import UserFactory
    from projects.models import Proposal
    from projects.tests.builders import complete_proposal, open_call
    from projects.tests.factories import SpecialProjectFactory

    agency_org = user.organisation if user is not None and user.has_role("agency") else None
    call = open_call(
        special_project=SpecialProjectFactory(**({"managing_agency": agency_org} if agency_org else {})),
        requires_recommendation=True,
    )
    applicant = user if user is not None and user.has_role("applicant") else UserFactory(roles=["applicant"])
    recommender_org = user.organisation if user is not None and user.has_role("recommender") else None
    proposal = complete_proposal(call, applicant=applicant, recommending_department=recommender_org)
    if user is not None and not user.has_role("applicant"):
        state = Proposal.State.RECEIVED if user.has_role("agency") else Proposal.State.SUBMITTED
        if user.has_role("recommender"):
            state = Proposal.State.UNIT_SUBMITTED
        lead_unit = user.organisation if user.has_role("unit_admin") else proposal.lead_unit
        Proposal.objects.filter(pk=proposal.pk).update(state=state, lead_unit=lead_unit)
    attachment = proposal.attachments.first()
    from projects.models import Appeal, Objection, PublicNotice

    appeal = Appeal.objects.create(proposal=proposal, grounds="矩阵测试", filed_by=applicant)
    notice = PublicNotice.objects.create(
        call=call, title="矩阵公示", starts_at=call.published_at, ends_at=call.closes_at
    )
    objection = Objection.objects.create(notice=notice, proposal=proposal, raised_by=applicant, text="矩阵测试")
    from projects.models import FormalReview

    review = FormalReview.objects.create(proposal=proposal, checklist=[])
    return {
        "pk": proposal.pk,
        "review_pk": review.pk,
        "attachment_pk": attachment.pk if attachment else 0,
        "part": "indicator",
        "appeal_pk": appeal.pk,
        "objection_pk": objection.pk,
        "person_pk": proposal.people.first().pk,
    }


def _public_notice(objects, user):
    from projects.models import PublicNotice
    from projects.tests.builders import open_call

    call = open_call()
    return {
        "pk": PublicNotice.objects.create(
            call=call, title="公示", starts_at=call.published_at, ends_at=call.closes_at
        ).pk
    }


def _project(objects, user):
    """A project the user may open: led by them, of their unit, or managed by their agency."""
    from projects.tests.factories import ProjectFactory

    fields = {}
    if user is not None and user.has_role("applicant"):
        fields["leader"] = user
    if user is not None and user.has_role("unit_admin"):
        fields["lead_unit"] = user.organisation
    if user is not None and user.has_role("agency"):
        fields["managing_agency"] = user.organisation
    return {"pk": ProjectFactory(**fields).pk}


def _proposal_kwargs(*names):
    def sample(objects, user):
        kwargs = _proposal(objects, user)
        return {name: kwargs[name] for name in names}

    return sample


def _task_book(objects, user):
    """A task book the user may open (through its project) with one indicator."""
    from projects.models import TaskBook, TaskBookIndicator

    project_id = _project(objects, user)["pk"]
    from projects.models import Project

    project = Project.objects.get(pk=project_id)
    book = TaskBook.objects.create(project=project, party_a=project.managing_agency, party_b=project.lead_unit)
    indicator = TaskBookIndicator.objects.create(task_book=book, name="指标", target_value="3")
    return {"pk": book.pk, "indicator_pk": indicator.pk, "action": "submit"}


def _task_book_kwargs(*names):
    def sample(objects, user):
        kwargs = _task_book(objects, user)
        return {name: kwargs[name] for name in names}

    return sample


def _budget(objects, user):
    """A budget book the user may open, with a row of each kind: the applicant's draft
    application; a submitted one of their unit (unit administrator); one received by their
    agency, with the agency's draft review; any submitted one for the ministry and admins."""
    from accounts.tests.factories import UserFactory
    from budgets.models import BudgetVersion, EquipmentItem, ExpertPayee, IncomeSource
    from budgets.tests.builders import quick_budget
    from projects.models import Proposal

    agency_org = user.organisation if user is not None and user.has_role("agency") else None
    applicant = user if user is not None and user.has_role("applicant") else UserFactory(roles=["applicant"])
    budget = quick_budget(applicant=applicant, agency_org=agency_org)
    proposal = budget.proposal
    version = budget.working_version
    review = BudgetVersion.objects.create(
        budget=budget, number=2, kind=BudgetVersion.Kind.REVIEW, based_on=version, created_by=applicant
    )
    if user is not None and not user.has_role("applicant"):
        state = Proposal.State.RECEIVED if user.has_role("agency") else Proposal.State.SUBMITTED
        lead_unit = user.organisation if user.has_role("unit_admin") else proposal.lead_unit
        Proposal.objects.filter(pk=proposal.pk).update(state=state, lead_unit=lead_unit)
        if user.has_role("agency"):
            version = review
    subject = proposal.subjects.select_related("unit").first()
    rows = {
        "equipment": EquipmentItem.objects.create(
            version=version,
            subject=subject,
            unit=subject.unit,
            name="测序仪",
            quantity=1,
            unit_price=10,
            amount=10,
            central=10,
        ),
        "income": IncomeSource.objects.create(
            version=version, subject=subject, unit=subject.unit, source="own", funder="本单位", amount=1
        ),
        "payee": ExpertPayee.objects.create(version=version, subject=subject, name="外聘专家", amount=1),
    }
    return {
        "budget": budget.pk,
        "version": version.pk,
        "review": review.pk,
        "proposal": proposal.pk,
        "subject_pk": subject.pk,
        "unit_pk": subject.unit_id,
        "kind": "equipment",
        "row_pk": rows["equipment"].pk,
    }


def _budget_kwargs(pk_from: str, *names: str):
    def sample(objects, user):
        values = _budget(objects, user)
        return {"pk": values[pk_from], **{name: values[name] for name in names}}

    return sample


def _adjustment(objects, user):
    """A draft adjustment of a project budget the user may open (leader, lead unit, agency)."""
    from budgets.models import Budget
    from budgets.services import adjustments
    from budgets.tests.builders import quick_budget
    from projects.models import Project, Proposal

    budget = quick_budget(approved=True)
    project = budget.project
    if user is not None and user.has_role("applicant"):
        Project.objects.filter(pk=project.pk).update(leader=user)
        Proposal.objects.filter(pk=budget.proposal_id).update(applicant=user)
    if user is not None and user.has_role("unit_admin"):
        Project.objects.filter(pk=project.pk).update(lead_unit=user.organisation)
    if user is not None and user.has_role("agency"):
        Project.objects.filter(pk=project.pk).update(managing_agency=user.organisation)
    budget = Budget.objects.select_related("project").get(pk=budget.pk)
    adjustment = adjustments.adjustment_create(actor=budget.project.leader, budget=budget, reason="矩阵测试")
    return {"pk": adjustment.pk}


def _adjustment_decision(objects, user):
    return {**_adjustment(objects, user), "decision": "approve"}


def _spending(objects, user):
    """An approved project budget the user may open (leader; lead and first subject unit;
    agency) with a draft final account of 2027 and a kept balance of its first subject."""
    from budgets.models import Balance, ExpenditureImport, FinalAccount
    from budgets.tests.builders import quick_budget
    from projects.models import Project, Proposal, Subject

    budget = quick_budget(approved=True)
    project = budget.project
    subject = budget.proposal.subjects.order_by("number").first()
    if user is not None and user.has_role("applicant"):
        Project.objects.filter(pk=project.pk).update(leader=user)
        Proposal.objects.filter(pk=budget.proposal_id).update(applicant=user)
    if user is not None and user.has_role("unit_admin"):
        Project.objects.filter(pk=project.pk).update(lead_unit=user.organisation)
        Subject.objects.filter(pk=subject.pk).update(unit=user.organisation)
    if user is not None and user.has_role("agency"):
        Project.objects.filter(pk=project.pk).update(managing_agency=user.organisation)
    account = FinalAccount.objects.create(budget=budget, year=2027)
    balance = Balance.objects.create(
        budget=budget,
        subject=subject,
        amount=100,
        accepted_on=dt.date(2030, 9, 15),
        passed_first_attempt=True,
        credit_is_good=True,
        disposition=Balance.Disposition.KEPT,
        keep_from=dt.date(2030, 9, 15),
        keep_until=dt.date(2032, 9, 14),
        decided_by=project.leader,
    )
    queued = ExpenditureImport.objects.create(
        budget=budget, year=2027, file_name="导出.csv", state=ExpenditureImport.State.QUEUED, imported_by=project.leader
    )
    return {"budget": budget.pk, "year": 2027, "account": account.pk, "balance": balance.pk, "import": queued.pk}


def _spending_kwargs(**names):
    def sample(objects, user):
        values = _spending(objects, user)
        return {name: values[key] for name, key in names.items()}

    return sample


def _review_assignment(objects, user):
    """A review round managed by the user's agency (any agency otherwise) with one item and
    one assignment, whose expert is the user when the user is an expert."""
    from accounts.tests.factories import OrganisationFactory, UserFactory
    from projects.models import Proposal
    from projects.tests.factories import CallFactory, SpecialProjectFactory
    from reviews.models import Assignment, ReviewItem, ReviewRound
    from reviews.tests.factories import ExpertFactory

    special = (
        SpecialProjectFactory(managing_agency=user.organisation)
        if user is not None and user.has_role("agency")
        else SpecialProjectFactory()
    )
    call = CallFactory(special_project=special)
    creator = user if user is not None and user.has_role("agency") else UserFactory(roles=["agency"])
    review_round = ReviewRound.objects.create(
        title="矩阵评审",
        kind=ReviewRound.Kind.FIRST_ROUND,
        call=call,
        special_project=special,
        managing_agency=special.managing_agency,
        year=call.year,
        created_by=creator,
    )
    proposal = Proposal.objects.create(
        call=call, applicant=UserFactory(roles=["applicant"]), lead_unit=OrganisationFactory(), title="矩阵申报书"
    )
    item = ReviewItem.objects.create(review_round=review_round, proposal=proposal)
    owner = user if user is not None and user.has_role("expert") else None
    expert = ExpertFactory(user=owner, id_number=f"MATRIX{review_round.pk:012d}")
    assignment = Assignment.objects.create(item=item, expert=expert)
    return {"round": review_round.pk, "assignment": assignment.pk}


def _review_assignment_kwargs(key: str):
    def sample(objects, user):
        return {"pk": _review_assignment(objects, user)[key]}

    return sample


def _review_round(objects, user):
    """A published review round (its experts are public) of a call managed by the user's
    agency when the user is an agency; one item, assigned to the user when an expert, with the
    no-conflict declaration made."""
    from django.utils import timezone

    from projects.models import Call, Proposal
    from projects.tests.factories import CallFactory, SpecialProjectFactory
    from reviews.models import Assignment, Criterion, ReviewGroup, ReviewItem, ReviewRound
    from reviews.tests.factories import ExpertFactory

    special = (
        SpecialProjectFactory(managing_agency=user.organisation)
        if user is not None and user.has_role("agency")
        else SpecialProjectFactory()
    )
    call = CallFactory(special_project=special, state=Call.State.PUBLISHED, published_at=timezone.now())
    review_round = ReviewRound.objects.create(
        title="矩阵评审",
        kind=ReviewRound.Kind.FIRST_ROUND,
        call=call,
        special_project=special,
        managing_agency=special.managing_agency,
        year=call.year,
        state=ReviewRound.State.PUBLISHED,
        created_by=objects["project"].leader,
    )
    Criterion.objects.create(review_round=review_round, name="创新性")
    group = ReviewGroup.objects.create(review_round=review_round, name="第一组")
    leader = objects["project"].leader
    proposal = Proposal.objects.create(
        call=call, applicant=leader, lead_unit=objects["project"].lead_unit, title="矩阵申报"
    )
    item = ReviewItem.objects.create(review_round=review_round, group=group, proposal=proposal)
    expert = ExpertFactory(user=user if user is not None and user.has_role("expert") else None)
    assignment = Assignment.objects.create(
        item=item, expert=expert, state=Assignment.State.DECLARED, declared_at=timezone.now()
    )
    return {"pk": review_round.pk, "item_pk": item.pk, "assignment": assignment.pk, "action": "open"}


def _review_kwargs(**names):
    def sample(objects, user):
        values = _review_round(objects, user)
        return {name: values[key] for name, key in names.items()}

    return sample


def _library_expert(objects, user):
    """An expert of the library (every library reader sees all of it) with one conflict,
    collaboration and availability window to remove."""
    from reviews.tests.factories import AvailabilityFactory, CollaborationFactory, ConflictFactory, ExpertFactory

    expert = ExpertFactory()
    return {
        "pk": expert.pk,
        "conflict_pk": ConflictFactory(expert=expert).pk,
        "collaboration_pk": CollaborationFactory(expert=expert).pk,
        "availability_pk": AvailabilityFactory(expert=expert).pk,
    }


def _library_expert_kwargs(*names: str):
    def sample(objects, user):
        values = _library_expert(objects, user)
        return {"pk": values["pk"], **{name: values[name] for name in names}}

    return sample


def _secrecy(objects, user):
    """A classification decision in force whose authority the user heads (so they know of it
    and may take every decision on it), with a pending entry and an entry naming the user's
    organisation on its list, an open objection, a requested secrecy review and a filing to
    make; and a suspected leak the user reported in their own organisation."""
    from accounts.tests.factories import OrganisationFactory
    from secrecy.tests.factories import (
        AuthorityFactory,
        ClassificationFactory,
        DisputeFactory,
        FilingFactory,
        KnowledgeGrantFactory,
        LeakReportFactory,
        SecrecyReviewFactory,
    )

    authority = AuthorityFactory(head=user) if user is not None else AuthorityFactory()
    classification = ClassificationFactory(authority=authority)
    organisation = user.organisation if user is not None else OrganisationFactory()
    pending = KnowledgeGrantFactory(classification=classification, is_pending=True)
    entry = KnowledgeGrantFactory(classification=classification, user=None, organisation=organisation)
    leak = LeakReportFactory(organisation=organisation, **({"reported_by": user} if user is not None else {}))
    return {
        "pk": classification.pk,
        "grant_pk": pending.pk,
        "entry_pk": entry.pk,
        "dispute_pk": DisputeFactory(classification=classification).pk,
        "review_pk": SecrecyReviewFactory(classification=classification).pk,
        "filing_pk": FilingFactory(classification=classification).pk,
        "leak_pk": leak.pk,
    }


def _secrecy_kwargs(**names):
    def sample(objects, user):
        values = _secrecy(objects, user)
        return {name: values[key] for name, key in names.items()}

    return sample


def _tech_report(objects, user):
    """A confirmed public report with its full text and a confirmed delayed one with the
    user's own full-text request, of a project led by the user (applicant), of their unit
    (unit administrator) or managed by their agency."""
    from django.utils import timezone

    from projects.models import Project
    from reports.models import AccessRequest
    from reports.rules import Access, DelayReason
    from reports.tests.factories import TechReportFactory, pdf_upload

    project = Project.objects.get(pk=_project(objects, user)["pk"])
    public = TechReportFactory(project=project)
    public.file.save("matrix.pdf", pdf_upload(), save=True)
    delayed = TechReportFactory(
        project=project,
        access=Access.DELAYED,
        delay_reason=DelayReason.PAPER,
        release_on=timezone.localdate() + dt.timedelta(days=180),
        released_at=None,
        release_basis="",
    )
    request = AccessRequest.objects.create(report=delayed, requester=user or project.leader, purpose="矩阵测试")
    return {"pk": public.pk, "project_pk": project.pk, "action": "file", "request_pk": request.pk}


def _tech_report_kwargs(**names):
    def sample(objects, user):
        values = _tech_report(objects, user)
        return {name: values[key] for name, key in names.items()}

    return sample


SAMPLE_KWARGS = {
    **{
        f"secrecy:{name}": _secrecy_kwargs(pk="pk")
        for name in (
            "classification_detail",
            "grant_add",
            "classification_change",
            "classification_extend",
            "classification_declassify",
            "provisional_report",
            "provisional_confirm",
            "dispute_raise",
            "review_request",
        )
    },
    "secrecy:grant_approve": _secrecy_kwargs(pk="pk", grant_pk="grant_pk"),
    "secrecy:grant_revoke": _secrecy_kwargs(pk="pk", grant_pk="grant_pk"),
    "secrecy:dispute_decide": _secrecy_kwargs(pk="pk", dispute_pk="dispute_pk"),
    "secrecy:review_decide": _secrecy_kwargs(pk="pk", review_pk="review_pk"),
    "secrecy:grant_name_person": _secrecy_kwargs(grant_pk="entry_pk"),
    "secrecy:filing_submit": _secrecy_kwargs(pk="filing_pk"),
    **{f"secrecy:leak_{name}": _secrecy_kwargs(pk="leak_pk") for name in ("detail", "act", "escalate")},
    **{
        f"api:classification-{name}": _secrecy_kwargs(pk="pk")
        for name in ("detail", "change", "extend", "declassify", "dispute")
    },
    **{
        f"api:knowledge-grant-{name}": _secrecy_kwargs(pk="grant_pk")
        for name in ("detail", "approve", "revoke", "name-person")
    },
    **{f"api:secrecy-filing-{name}": _secrecy_kwargs(pk="filing_pk") for name in ("detail", "file")},
    **{f"api:secrecy-review-{name}": _secrecy_kwargs(pk="review_pk") for name in ("detail", "decide")},
    **{f"api:leak-report-{name}": _secrecy_kwargs(pk="leak_pk") for name in ("detail", "act", "escalate")},
    **{
        f"reviews:expert_{name}": _library_expert_kwargs()
        for name in ("detail", "edit", "disciplines", "conflict_add", "collaboration_add", "availability_add")
    },
    "reviews:expert_conflict_remove": _library_expert_kwargs("conflict_pk"),
    "reviews:expert_collaboration_remove": _library_expert_kwargs("collaboration_pk"),
    "reviews:expert_availability_remove": _library_expert_kwargs("availability_pk"),
    "api:expert-detail": _library_expert_kwargs(),
    "core:audit_object": lambda objects, user: {
        "content_type_key": "accounts.organisation",
        "object_id": str(objects["organisation"].pk),
    },
    "core:calendar_feed": _feed_token,
    "api:obligation-detail": _own_obligation,
    "api:notification-detail": _own_notification,
    "projects:call_detail": _call,
    "projects:call_edit": _call,
    "projects:call_direction_add": _call,
    "projects:call_publish": _call,
    "api:call-detail": _call,
    "api:call-publish": _call,
    "projects:proposal_start": _call,
    "projects:proposal_detail": _proposal_kwargs("pk"),
    "projects:proposal_save": _proposal_kwargs("pk"),
    "projects:proposal_add": _proposal_kwargs("pk", "part"),
    "projects:proposal_pledge": _proposal_kwargs("pk"),
    "projects:proposal_attachment": _proposal_kwargs("pk", "attachment_pk"),
    "projects:proposal_submit": _proposal_kwargs("pk"),
    "projects:proposal_unit_submit": _proposal_kwargs("pk"),
    "projects:proposal_recommend": _proposal_kwargs("pk"),
    "projects:proposal_return": _proposal_kwargs("pk"),
    "projects:proposal_withdraw": _proposal_kwargs("pk"),
    "projects:formal_review_open": _proposal_kwargs("pk"),
    "projects:formal_review_decide": _proposal_kwargs("pk"),
    "projects:appeal_file": _proposal_kwargs("pk"),
    "projects:appeal_answer": _proposal_kwargs("pk", "appeal_pk"),
    "projects:proposal_propose": _proposal_kwargs("pk"),
    "projects:objection_resolve": _proposal_kwargs("pk", "objection_pk"),
    "projects:approval_issue": _proposal_kwargs("pk"),
    "projects:compliance_review": _call,
    "projects:public_notice_detail": _public_notice,
    "projects:project_detail": _project,
    "projects:proposal_person_edit": _proposal_kwargs("pk", "person_pk"),
    "projects:first_round_score": _proposal_kwargs("pk"),
    "projects:defense_score": _proposal_kwargs("pk"),
    "projects:formal_from_pre": _proposal_kwargs("pk"),
    "projects:shortlist_make": _call,
    **{
        f"api:proposal-{name}": _proposal_kwargs("pk")
        for name in ("detail", "recommend", "return-to-applicant", "submit", "unit-submit", "withdraw")
    },
    "api:formal-review-detail": lambda objects, user: {"pk": _proposal(objects, user)["review_pk"]},
    "api:formal-review-decide": lambda objects, user: {"pk": _proposal(objects, user)["review_pk"]},
    "api:appeal-detail": lambda objects, user: {"pk": _proposal(objects, user)["appeal_pk"]},
    "api:appeal-answer": lambda objects, user: {"pk": _proposal(objects, user)["appeal_pk"]},
    "api:public-notice-detail": _public_notice,
    "api:project-detail": _project,
    "api:task-book-detail": _task_book_kwargs("pk"),
    "api:task-book-confirm": _task_book_kwargs("pk"),
    "projects:task_book_detail": _task_book_kwargs("pk"),
    "projects:task_book_save": _task_book_kwargs("pk"),
    "projects:task_book_indicator": _task_book_kwargs("pk", "indicator_pk"),
    "projects:task_book_pdf": _task_book_kwargs("pk"),
    "projects:task_book_action": _task_book_kwargs("pk", "action"),
    "budgets:budget": _budget_kwargs("budget"),
    "budgets:compare": _budget_kwargs("budget"),
    "budgets:open": lambda objects, user: {"proposal_pk": _budget(objects, user)["proposal"]},
    "budgets:version": _budget_kwargs("version"),
    "budgets:version_pdf": _budget_kwargs("version"),
    "budgets:version_xlsx": _budget_kwargs("version"),
    "budgets:settings": _budget_kwargs("version"),
    "budgets:confirm_warnings": _budget_kwargs("version"),
    "budgets:lines": _budget_kwargs("version", "subject_pk", "unit_pk"),
    "budgets:preview": _budget_kwargs("version", "subject_pk", "unit_pk"),
    "budgets:years": _budget_kwargs("version", "subject_pk", "unit_pk"),
    "budgets:equipment_add": _budget_kwargs("version", "subject_pk", "unit_pk"),
    "budgets:income_add": _budget_kwargs("version", "subject_pk", "unit_pk"),
    "budgets:payee_add": _budget_kwargs("version", "subject_pk"),
    "budgets:row_remove": _budget_kwargs("version", "kind", "row_pk"),
    "budgets:review_open": _budget_kwargs("budget"),
    "budgets:review_send": _budget_kwargs("review"),
    "budgets:review_answer": _budget_kwargs("review"),
    "budgets:review_finalise": _budget_kwargs("review"),
    "budgets:adjustment_create": _budget_kwargs("budget"),
    "budgets:adjustment": _adjustment,
    "budgets:adjustment_submit": _adjustment,
    "budgets:adjustment_withdraw": _adjustment,
    "budgets:adjustment_decide": _adjustment_decision,
    "api:budget-detail": _budget_kwargs("budget"),
    "api:budget-lines": _budget_kwargs("budget"),
    "api:budget-validate": _budget_kwargs("budget"),
    "api:budget-review-detail": _budget_kwargs("review"),
    "api:budget-review-send": _budget_kwargs("review"),
    "api:budget-review-answer": _budget_kwargs("review"),
    "api:budget-review-finalise": _budget_kwargs("review"),
    "api:budget-adjustment-detail": _adjustment,
    "api:budget-adjustment-submit": _adjustment,
    "api:budget-adjustment-approve": _adjustment,
    "api:budget-adjustment-reject": _adjustment,
    **{
        f"budgets:{name}": _spending_kwargs(pk="budget")
        for name in ("spending", "spending_import", "final_accounts", "balances", "balance_settle")
    },
    **{
        f"budgets:{name}": _spending_kwargs(pk="budget", year="year")
        for name in ("final_account", "final_account_compile", "final_account_submit")
    },
    "budgets:balance_report": _spending_kwargs(pk="balance"),
    "api:final-account-detail": _spending_kwargs(pk="account"),
    "api:final-account-submit": _spending_kwargs(pk="account"),
    "api:balance-detail": _spending_kwargs(pk="balance"),
    "api:balance-use-report": _spending_kwargs(pk="balance"),
    "budgets:import_status": _spending_kwargs(pk="budget", import_pk="import"),
    **{f"reviews:{name}": _review_kwargs(pk="pk") for name in ("round_detail", "round_pdf", "round_experts")},
    "reviews:round_action": _review_kwargs(pk="pk", action="action"),
    "reviews:item_pdf": _review_kwargs(pk="pk", item_pk="item_pk"),
    "reviews:assignment_detail": _review_kwargs(pk="assignment"),
    "reviews:assignment_materials": _review_kwargs(pk="assignment"),
    **{
        f"api:review-round-{name}": _review_kwargs(pk="pk")
        for name in ("detail", "assign", "open", "close", "publish", "shortlist")
    },
    "api:review-result-detail": _review_kwargs(pk="item_pk"),
    **{f"api:assignment-score-{name}": _review_kwargs(pk="assignment") for name in ("detail", "scores", "submit")},
    "reviews:round_assignment": _review_assignment_kwargs("round"),
    "reviews:round_assign": _review_assignment_kwargs("round"),
    "reviews:assignment_swap": _review_assignment_kwargs("assignment"),
    "reviews:assignment_declare": _review_assignment_kwargs("assignment"),
    "api:assignment-detail": _review_assignment_kwargs("assignment"),
    "api:assignment-declare": _review_assignment_kwargs("assignment"),
    "api:assignment-submit": _review_assignment_kwargs("assignment"),
    **{
        f"reports:{name}": _tech_report_kwargs(pk="pk")
        for name in ("public_detail", "full_text", "cover", "access_request", "report_detail", "report_edit")
    },
    **{
        f"reports:{name}": _tech_report_kwargs(project_pk="project_pk")
        for name in ("project_reports", "report_new", "plan_add")
    },
    "reports:report_action": _tech_report_kwargs(pk="pk", action="action"),
    **{
        f"api:tech-report-{name}": _tech_report_kwargs(pk="pk")
        for name in (
            "detail",
            "file",
            "submit",
            "confirm",
            "return",
            "record-publication",
            "request-extension",
            "decide-extension",
        )
    },
    "api:public-tech-report-detail": _tech_report_kwargs(pk="pk"),
    **{
        f"api:report-access-request-{name}": _tech_report_kwargs(pk="request_pk")
        for name in ("detail", "grant", "refuse")
    },
}

# The admin site is declared for staff as a whole; its index stands for it here, and its
# model pages are covered by test_admin_role_manages_users_and_organisations.
ADMIN_PROBES = {"admin:index"}
SERVER_STATUSES_ALLOWED = {"healthz": {503}}


def test_the_urlconf_was_walked():
    names = {route.full_name for route in ROUTES}
    assert {"core:dashboard", "api:me", "login", "healthz", "admin:index"} <= names


def test_every_route_declares_who_may_use_it():
    undeclared = [route.pattern for route in ROUTES if route.policy is None]
    assert undeclared == [], f"Routes without an access declaration: {undeclared}"


def _checked_routes():
    for route in ROUTES:
        if route.namespaces[:1] == ("admin",):
            if route.full_name in ADMIN_PROBES:
                yield route
            continue
        if route.full_name is None or (route.is_parameterised and route.full_name not in SAMPLE_KWARGS):
            # Unnamed routes cannot be reversed; parameterised ones without samples fail
            # test_parameterised_routes_have_samples instead.
            continue
        yield route


CHECKED = list(_checked_routes())
ACTORS = ["anonymous", *Role.values]


def test_parameterised_routes_have_samples():
    for route in ROUTES:
        if route.is_parameterised and route.namespaces[:1] != ("admin",) and route.full_name:
            assert route.full_name in SAMPLE_KWARGS, route.full_name


@pytest.fixture
def objects(make_user):
    from accounts.tests.factories import OrganisationFactory
    from projects.tests.factories import ProjectFactory

    return {"organisation": OrganisationFactory(), "project": ProjectFactory()}


def _request(client, url: str):
    response = client.get(url)
    if response.status_code == 405:
        response = client.post(url)
    if getattr(response, "streaming", False):
        b"".join(response.streaming_content)  # the test client closes the file once it is read
    return response


def _is_login_redirect(response) -> bool:
    return response.status_code == 302 and "/login/" in response.headers.get("Location", "")


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("route", CHECKED, ids=[route.full_name for route in CHECKED])
def test_declaration_holds_for_each_role(client, make_user, objects, route, actor):
    user = None
    if actor != "anonymous":
        user = make_user(actor)
        client.force_login(user)
    kwargs = SAMPLE_KWARGS[route.full_name](objects, user) if route.full_name in SAMPLE_KWARGS else {}
    url = reverse(route.full_name, kwargs=kwargs)
    response = _request(client, url)
    admitted = route.policy.admits(user) if user is not None else route.policy.anonymous

    # /healthz answers 503 while no worker runs (as here): that is its answer, not a refusal.
    server_statuses = SERVER_STATUSES_ALLOWED.get(route.full_name, set())
    assert response.status_code < 500 or response.status_code in server_statuses, (
        f"{url} answered {response.status_code} to {actor}"
    )
    if admitted:
        assert response.status_code not in (401, 403, 404), f"{url} refused {actor} ({response.status_code})"
        if not route.policy.anonymous:
            assert not _is_login_redirect(response), f"{url} sent {actor} to log in"
    elif user is None:
        if url.startswith("/api/"):
            assert response.status_code == 401, f"{url} answered {response.status_code} to anonymous"
        else:
            assert _is_login_redirect(response), f"{url} answered {response.status_code} to anonymous"
    elif route.policy.staff:
        assert _is_login_redirect(response), f"{url} answered {response.status_code} to {actor}"
    else:
        assert response.status_code == 404, f"{url} answered {response.status_code} to {actor}, not 404"


def test_admin_role_manages_users_and_organisations(client, make_user):
    client.force_login(make_user("admin"))
    for url in (
        "/admin/accounts/user/",
        "/admin/accounts/user/add/",
        "/admin/accounts/organisation/",
        "/admin/accounts/organisation/add/",
        "/admin/core/calendarday/",
        "/admin/core/auditevent/",
    ):
        assert client.get(url).status_code == 200, url
