"""Budget benchmarks: validating a 3-subject, 6-unit, 5-year budget book, and the budget page's
time and query count as the book grows from a few lines to every line filled."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import connection
from django.test import Client

from accounts.tests.factories import OrganisationFactory
from bench.proposals import _continue_factory_sequences
from budgets import checks, selectors
from budgets.services import book
from projects.models import Proposal
from projects.tests.builders import complete_proposal, open_call

FULL_ROW = {
    "equipment_rental": {"central": "200000.00", "own": "50000.00"},
    "equipment_upgrade": {"central": "100000.00"},
    "materials": {"central": "900000.00", "own": "100000.00"},
    "testing": {"central": "400000.00"},
    "fuel_power": {"central": "60000.00"},
    "publication": {"central": "80000.00"},
    "meeting_travel": {"central": "150000.00", "basis": "学术会议 6 次 × 2.5 万元"},
    "labour": {"central": "600000.00", "basis": "博士后 2 名"},
    "expert": {"central": "40000.00", "basis": "咨询 20 人次 × 2000 元"},
    "other": {"central": "20000.00", "explanation": "样品寄送"},
    "indirect": {"central": "300000.00", "performance_pay": "100000.00"},
}
SMALL_ROW = {"materials": {"central": "1000000.00"}}


def _book(rows: dict) -> Proposal:
    """A formal application with 3 subjects × 2 units and a 5-year period, every table filled with ``rows``."""
    call = open_call(funds_edition="krd-2016")
    proposal = complete_proposal(call, subjects=3)
    Proposal.objects.filter(pk=proposal.pk).update(end_date=dt.date(2031, 6, 30))
    proposal.refresh_from_db()
    applicant = proposal.applicant
    version = proposal.budget.working_version
    version.lines.all().delete()
    version.year_plans.all().delete()
    years = list(range(2027, 2032))
    for subject in proposal.subjects.select_related("unit"):
        partner = OrganisationFactory(registration_date=dt.date(2000, 1, 1))
        subject.participant_units.add(partner)
        for unit in (subject.unit, partner):
            book.lines_save(actor=applicant, version=version, subject=subject, unit=unit, rows=rows)
            central = sum(Decimal(row.get("central", 0)) for row in rows.values())
            plan = {year: (central / 5).quantize(Decimal("0.01")) for year in years}
            plan[years[-1]] += central - sum(plan.values())
            book.years_save(actor=applicant, version=version, subject=subject, unit=unit, years=plan)
    proposal.refresh_from_db()
    return proposal


def budget_validation(median_seconds, report) -> None:
    """Every check on a full book: the pure checks alone, and with the reads from PostgreSQL."""
    _continue_factory_sequences()
    proposal = _book(FULL_ROW)
    version = proposal.budget.working_version
    facts = selectors.book_facts(selectors.version_content(version))
    lines = version.lines.count()
    pure = median_seconds(lambda: checks.run_checks(facts), repeat=50)
    full = median_seconds(lambda: selectors.version_issues(version), repeat=30)
    report(f"budget checks, pure ({lines} lines, 3 subjects, 6 units)", pure)
    report("budget checks with the reads (version_issues)", full, f"{len(selectors.version_issues(version))} issues")


def budget_page(median_seconds, report) -> None:
    """The budget page of a nearly empty and of a full book: time and query count."""
    _continue_factory_sequences()
    results = {}
    for name, rows in (("small", SMALL_ROW), ("full", FULL_ROW)):
        proposal = _book(rows)
        version = proposal.budget.working_version
        client = Client()
        client.force_login(proposal.applicant)
        url = f"/budgets/versions/{version.pk}/"
        queries: list[str] = []

        def count(execute, sql, params, many, context, log=queries):
            log.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            assert client.get(url).status_code == 200
        seconds = median_seconds(lambda url=url, client=client: client.get(url), repeat=15)
        results[name] = (seconds, len(queries), version.lines.count())
        report(f"GET budget page ({name}: {results[name][2]} lines)", seconds, f"{len(queries)} queries")
    small, full = results["small"], results["full"]
    report("budget page full/small", full[0], f"time ratio {full[0] / small[0]:.2f}, queries {small[1]} → {full[1]}")


__all__ = ["budget_page", "budget_validation"]
