"""Budget books in each stage, built through the services as their users would."""

from __future__ import annotations

import datetime as dt

from accounts.models import Organisation
from accounts.tests.factories import UserFactory
from budgets.models import Budget
from budgets.services import review
from projects import services as project_services
from projects.models import Proposal
from projects.tests.builders import complete_proposal, open_call
from projects.tests.factories import ProgramFactory, SpecialProjectFactory

PROGRAM_NAMES = {"key_rd": "国家重点研发计划", "major": "国家科技重大专项", "intl": "国家国际科技合作专项"}


def call_for(program: str = "key_rd", edition: str = "krd-2016", **fields):
    special_project = SpecialProjectFactory(program=ProgramFactory(code=program, name=PROGRAM_NAMES[program]))
    return open_call(special_project=special_project, funds_edition=edition, **fields)


def agency_of(budget_or_call) -> object:
    call = budget_or_call.proposal.call if isinstance(budget_or_call, Budget) else budget_or_call
    return UserFactory(organisation=call.special_project.managing_agency, roles=["agency"])


def submitted_budget(program: str = "key_rd", edition: str = "krd-2016", subjects: int = 2) -> Budget:
    """A formal application with a passing budget, received by the agency."""
    call = call_for(program, edition)
    proposal = complete_proposal(call, subjects=subjects)
    Proposal.objects.filter(pk=proposal.pk).update(state=Proposal.State.RECEIVED)
    return Budget.objects.select_related("proposal__call__special_project").get(proposal=proposal)


def approved_budget(program: str = "key_rd", edition: str = "krd-2016", subjects: int = 2, **project_fields) -> Budget:
    """An approved budget (reviewed without changes) attached to its project, which is in progress."""
    budget = submitted_budget(program, edition, subjects)
    agency = agency_of(budget)
    draft = review.review_open(actor=agency, budget=budget)
    review.review_finalise(actor=agency, version=draft)
    proposal = budget.proposal
    Proposal.objects.filter(pk=proposal.pk).update(state=Proposal.State.APPROVED)
    project = project_services.project_create(
        actor=agency,
        program=proposal.call.special_project.program,
        special_project=proposal.call.special_project,
        number=f"2027YFA{proposal.pk:07d}",
        title=proposal.title,
        lead_unit=proposal.lead_unit,
        leader=proposal.applicant,
        managing_agency=Organisation.objects.get(pk=proposal.call.special_project.managing_agency_id),
        start_date=project_fields.pop("start_date", dt.date(2027, 7, 1)),
        end_date=project_fields.pop("end_date", dt.date(2030, 6, 30)),
        funds_received_on=project_fields.pop("funds_received_on", dt.date(2027, 8, 1)),
        proposal=proposal,
        **project_fields,
    )
    review.budget_attach_project(project=project, actor=agency)
    budget.refresh_from_db()
    return budget


def quick_budget(
    *, applicant=None, agency_org=None, lead_unit=None, approved: bool = False, edition: str = "krd-2016"
) -> Budget:
    """A budget book written straight to the database (two subjects, each with the passing
    subject budget), for tests that need many of them and test something else (the route
    matrix). ``approved``: with an approved version and an in-progress project."""
    import datetime as dt
    from decimal import Decimal

    from django.utils import timezone

    from accounts.tests.factories import OrganisationFactory
    from budgets.models import BudgetLine, BudgetVersion, YearPlan
    from projects.models import Call, Subject
    from projects.tests.builders import SUBJECT_BUDGET
    from projects.tests.factories import CallFactory, ProjectFactory

    special = SpecialProjectFactory(**({"managing_agency": agency_org} if agency_org else {}))
    call = CallFactory(
        special_project=special,
        state=Call.State.PUBLISHED,
        published_at=timezone.now() - dt.timedelta(days=10),
        closes_at=timezone.now() + dt.timedelta(days=40),
        funds_edition=edition,
    )
    applicant = applicant or UserFactory(roles=["applicant"])
    lead_unit = lead_unit or applicant.organisation
    proposal = Proposal.objects.create(
        call=call,
        applicant=applicant,
        lead_unit=lead_unit,
        title="人工合成酵母基因组的设计与构建",
        start_date=dt.date(2027, 7, 1),
        end_date=dt.date(2030, 6, 30),
    )
    subjects = [
        Subject.objects.create(proposal=proposal, number=number, title=f"课题{number}", unit=unit)
        for number, unit in ((1, lead_unit), (2, OrganisationFactory()))
    ]
    budget = Budget.objects.create(proposal=proposal, edition=edition)
    versions = [BudgetVersion.objects.create(budget=budget, number=1, kind="application", created_by=applicant)]
    if approved:
        versions.append(
            BudgetVersion.objects.create(
                budget=budget, number=2, kind="approved", state="final", based_on=versions[0], created_by=applicant
            )
        )
    lines, years = [], []
    for version in versions:
        for subject in subjects:
            lines += [
                BudgetLine(version=version, subject=subject, unit=subject.unit, category=category, **values)
                for category, values in SUBJECT_BUDGET.items()
            ]
            years += [
                YearPlan(version=version, subject=subject, unit=subject.unit, year=year, central=Decimal("1250000.00"))
                for year in range(2027, 2031)
            ]
    BudgetLine.objects.bulk_create(lines)
    YearPlan.objects.bulk_create(years)
    budget.working_version = versions[0]
    if approved:
        Proposal.objects.filter(pk=proposal.pk).update(state=Proposal.State.APPROVED)
        budget.approved_version = versions[1]
        budget.project = ProjectFactory(
            program=special.program,
            special_project=special,
            lead_unit=lead_unit,
            leader=applicant,
            managing_agency=special.managing_agency,
            start_date=dt.date(2027, 7, 1),
            end_date=dt.date(2030, 6, 30),
            funds_received_on=dt.date(2027, 8, 1),
            proposal=proposal,
        )
    budget.save()
    return budget
