"""The demo project's budget book: its application, two subjects, the agency's approval
(idempotent). Finance staff find an approved budget to adjust, import spending against and
compile final accounts from."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from accounts.models import Organisation, User
from budgets.models import Budget
from budgets.services import book, review
from projects.demo import DEMO_PROJECT_NUMBER
from projects.models import Call, Person, Project, Proposal, Subject

SUBJECT_ROWS = {
    "equipment_purchase": {"central": "600000.00", "basis": "DNA 合成仪 1 台（见设备清单）"},
    "business": {"central": "3200000.00", "own": "500000.00", "basis": "试剂耗材、测序、会议差旅等"},
    "labour": {"central": "500000.00", "basis": "博士后 2 名 × 3 年"},
    "indirect": {"central": "700000.00", "performance_pay": "250000.00"},
}


BEIJING = ZoneInfo("Asia/Shanghai")

# Loaded after the demo project (core.demo_loader).
ORDER = 30

# A one-page commitment letter (承诺函) standing in for the scanned original.
LETTER = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def load() -> Budget | None:
    with translation.override(settings.LANGUAGE_CODE):
        return _load()


def _load() -> Budget | None:
    project = Project.objects.filter(number=DEMO_PROJECT_NUMBER).select_related("leader", "special_project").first()
    agency = User.objects.filter(username="agency").first()
    partner = Organisation.objects.filter(name="中国示范科学研究院").first()
    if project is None or agency is None or partner is None:
        return None
    if project.proposal_id and Budget.objects.filter(proposal_id=project.proposal_id).exists():
        return Budget.objects.get(proposal_id=project.proposal_id)
    leader = project.leader
    call, _created = Call.objects.get_or_create(
        special_project=project.special_project,
        year=2026,
        defaults={
            "title": "“合成生物学”重点专项2026年度项目申报指南",
            "state": Call.State.CLOSED,
            "published_at": dt.datetime(2025, 6, 1, 9, 0, tzinfo=BEIJING),
            "closes_at": dt.datetime(2025, 7, 31, 16, 0, tzinfo=BEIJING),
            "funds_edition": "reform-2021",
        },
    )
    proposal = Proposal.objects.create(
        call=call,
        applicant=leader,
        lead_unit=project.lead_unit,
        title=project.title,
        summary="设计并化学合成酵母染色体，建立基因组设计与组装平台。",
        start_date=project.start_date,
        end_date=project.end_date,
    )
    units = [project.lead_unit, partner]
    for number, unit in enumerate(units, start=1):
        person = Person.objects.create(
            proposal=proposal,
            name=f"课题负责人{number}",
            id_number=f"11010119800101{number:04d}",
            role=Person.Role.SUBJECT_LEADER,
            organisation=unit,
        )
        Subject.objects.create(proposal=proposal, number=number, title=f"课题{number}", unit=unit, leader=person)
    Person.objects.create(
        proposal=proposal,
        name=leader.real_name or leader.username,
        id_number="110101197005010011",
        role=Person.Role.PROJECT_LEADER,
        organisation=project.lead_unit,
    )
    budget = book.budget_open(actor=leader, proposal=proposal)
    version = budget.working_version
    years = list(range(project.start_date.year, project.end_date.year + 1))
    for subject in proposal.subjects.select_related("unit"):
        book.lines_save(actor=leader, version=version, subject=subject, unit=subject.unit, rows=SUBJECT_ROWS)
        book.equipment_item_add(
            actor=leader,
            version=version,
            subject=subject,
            unit=subject.unit,
            name="DNA 合成仪",
            specification="48 通道",
            quantity=1,
            unit_price="600000.00",
            justification="本单位无同类设备，租用无法满足连续合成需要。",
        )
        book.income_source_add(
            actor=leader,
            version=version,
            subject=subject,
            unit=subject.unit,
            source="own",
            funder=subject.unit.name,
            amount="500000.00",
            letter=SimpleUploadedFile("自筹资金承诺函.pdf", LETTER, content_type="application/pdf"),
        )
        central = sum(Decimal(row.get("central", "0")) for row in SUBJECT_ROWS.values())
        plan = {year: (central / len(years)).quantize(Decimal("0.01")) for year in years}
        plan[years[-1]] += central - sum(plan.values())
        book.years_save(actor=leader, version=version, subject=subject, unit=subject.unit, years=plan)
    Proposal.objects.filter(pk=proposal.pk).update(
        stage=Proposal.Stage.FORMAL, state=Proposal.State.APPROVED, submitted_at=call.closes_at
    )
    budget.refresh_from_db()
    draft = review.review_open(actor=agency, budget=budget)
    review.review_finalise(actor=agency, version=draft)
    Project.objects.filter(pk=project.pk).update(proposal=proposal)
    project.refresh_from_db()
    review.budget_attach_project(project=project, actor=agency)
    return budget
