"""Builds complete, submittable proposals through the services, as an applicant would."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.tests.factories import OrganisationFactory, UserFactory
from projects import services
from projects.models import Call, CallDirection, Person
from projects.tests.factories import CallFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def open_call(**fields) -> Call:
    defaults = {
        "state": Call.State.PUBLISHED,
        "published_at": timezone.now() - dt.timedelta(days=10),
        "closes_at": timezone.now() + dt.timedelta(days=40),
        "mode": Call.Mode.ONE_ROUND,
    }
    call = CallFactory(**{**defaults, **fields})
    CallDirection.objects.create(call=call, code="1.1", title="方向一", planned_projects=3)
    return call


def pdf_file(name: str = "协议.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def complete_proposal(
    call: Call,
    *,
    applicant=None,
    leader_id="110101196601010011",
    subjects: int = 2,
    subject_leader_id_prefix="11010119800101",
    **fields,
):
    applicant = applicant or UserFactory(roles=["applicant"])
    library_entry = None
    if call.special_project.program.code == "intl":
        from projects.models import LibraryEntry

        library_entry = LibraryEntry.objects.create(
            title="中外联合研究",
            lead_unit=applicant.organisation,
            foreign_partner="",
            foreign_partner_country="",
            entered_by=applicant,
        )
    proposal = services.proposal_create(actor=applicant, call=call, library_entry=library_entry)
    services.proposal_save_section(
        actor=applicant,
        proposal=proposal,
        title=fields.pop("title", "人工合成酵母基因组的设计与构建"),
        summary="研究内容摘要",
        keywords="合成生物学",
        start_date=dt.date(2027, 7, 1),
        end_date=dt.date(2030, 6, 30),
        direction=call.directions.first(),
        **fields,
    )
    leader = proposal.people.get(role=Person.Role.PROJECT_LEADER)
    services.proposal_person_save(
        actor=applicant, proposal=proposal, person=leader, id_number=leader_id, birth_date=dt.date(1970, 5, 1)
    )
    partner = OrganisationFactory(registration_date=dt.date(2000, 1, 1))
    for number in range(subjects):
        unit = proposal.lead_unit if number == 0 else partner
        subject_leader = services.proposal_person_save(
            actor=applicant,
            proposal=proposal,
            name=f"课题负责人{number + 1}",
            id_number=f"{subject_leader_id_prefix}{number:04d}",
            birth_date=dt.date(1980, 1, 1),
            role=Person.Role.SUBJECT_LEADER,
            organisation=unit,
        )
        services.proposal_subject_save(
            actor=applicant,
            proposal=proposal,
            title=f"课题{number + 1}",
            unit=unit,
            leader=subject_leader,
            requested_funds="5000000.00",
        )
    if proposal.stage == "formal":
        fill_budget(proposal, applicant)
    services.proposal_indicator_add(
        actor=applicant, proposal=proposal, name="合成染色体数", target_value="≥3 条", measurement="测序验证"
    )
    services.proposal_schedule_add(
        actor=applicant,
        proposal=proposal,
        starts_on=dt.date(2027, 7, 1),
        ends_on=dt.date(2028, 6, 30),
        work="设计与合成",
    )
    if subjects > 1:
        services.proposal_attachment_add(
            actor=applicant, proposal=proposal, uploaded_file=pdf_file("联合申报协议.pdf"), kind="joint_agreement"
        )
    for party, organisation, person, _label in services.required_pledges(proposal):
        services.proposal_pledge_confirm(
            actor=applicant, proposal=proposal, party=party, organisation=organisation, person=person
        )
    proposal.refresh_from_db()
    return proposal


# A subject's budget that passes every check: 5 000 000 yuan of central funds, 4 years.
SUBJECT_BUDGET = {
    "materials": {"central": "2500000.00"},
    "testing": {"central": "1000000.00"},
    "meeting_travel": {"central": "300000.00"},
    "labour": {"central": "500000.00", "basis": "博士后 2 名 × 3 年 × 8.3 万元"},
    "indirect": {"central": "700000.00", "performance_pay": "200000.00"},
}
# The same under the 2021 reform's three direct categories.
SUBJECT_BUDGET_2021 = {
    "business": {"central": "3800000.00"},
    "labour": {"central": "500000.00", "basis": "博士后 2 名 × 3 年 × 8.3 万元"},
    "indirect": {"central": "700000.00", "performance_pay": "200000.00"},
}


def fill_budget(proposal, applicant, rows: dict | None = None):
    """Open the proposal's budget book and give every subject the same passing budget."""
    from budgets.services import book

    proposal.refresh_from_db()
    budget = book.budget_open(actor=applicant, proposal=proposal)
    version = budget.working_version
    if rows is None:
        rows = SUBJECT_BUDGET_2021 if "business" in budget.edition_rules.categories else SUBJECT_BUDGET
    years = range(proposal.start_date.year, proposal.end_date.year + 1)
    for subject in proposal.subjects.select_related("unit"):
        book.lines_save(actor=applicant, version=version, subject=subject, unit=subject.unit, rows=rows)
        total = sum(Decimal(row.get("central", 0)) for row in rows.values())
        share = (total / len(years)).quantize(Decimal("0.01"))
        plan = {year: share for year in years}
        plan[years[-1]] += total - share * len(years)
        book.years_save(actor=applicant, version=version, subject=subject, unit=subject.unit, years=plan)
    return budget


__all__ = ["PDF", "SHANGHAI", "SUBJECT_BUDGET", "complete_proposal", "fill_budget", "open_call", "pdf_file"]
