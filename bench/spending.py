"""Spending benchmark: a unit's finance export of 50 000 rows imported into an approved budget
of 3 subjects (all or nothing, streamed, batched inserts), a refused file of the same size (one
bad last row), and the reads that follow (execution rates, final accounts) over those rows.

Time is measured without tracemalloc, then the import runs once more under tracemalloc for its
peak of Python memory. ``BENCH_SPENDING_ROWS`` sets a smaller file for a quick check.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import random
import tempfile
import time
import tracemalloc

from django.core.files import File
from django.db import connection

from accounts.tests.factories import OrganisationFactory, UserFactory
from bench.proposals import _continue_factory_sequences
from budgets.models import Expenditure
from budgets.services import execution, final_accounts
from budgets.services.spending_import import ImportRefused, expenditure_import
from budgets.tests.builders import approved_budget

ROWS = int(os.environ.get("BENCH_SPENDING_ROWS", "50000"))
YEAR = 2028
HEADER = [
    "课题编号",
    "单位统一社会信用代码",
    "科目",
    "资金来源",
    "记账日期",
    "凭证号",
    "摘要",
    "收款人",
    "收款人证件号",
    "金额",
]
CATEGORIES = ["材料费", "测试化验加工费", "会议/差旅/国际合作交流费", "劳务费", "间接费用", "专家咨询费"]


def _write_file(path: str, budget, *, bad_last_row: bool = False) -> None:
    """A finance export: UTF-8 with BOM, the rows spread over the subjects and their units."""
    project_number = budget.project.number
    units = []
    for subject in budget.proposal.subjects.select_related("unit").prefetch_related("participant_units"):
        for unit in (subject.unit, *subject.participant_units.all()):
            units.append((f"{project_number}-{subject.number:02d}", unit.credit_code))
    generator = random.Random(2028)
    start = dt.date(YEAR, 1, 1)
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for number in range(ROWS):
            subject, unit = units[number % len(units)]
            category = CATEGORIES[number % len(CATEGORIES)]
            is_expert = category == "专家咨询费"
            amount = f"{generator.randint(100, 2_000_000) / 100:.2f}"
            if bad_last_row and number == ROWS - 1:
                amount = "12.345"
            writer.writerow(
                [
                    subject,
                    unit,
                    category,
                    "自筹" if number % 10 == 0 else "专项",
                    (start + dt.timedelta(days=number % 365)).isoformat(),
                    f"记-{number:06d}",
                    "咨询评审" if is_expert else "科研支出",
                    f"外聘专家{number % 97}" if is_expert else "某供应商有限公司",
                    f"1101011970{number % 97:04d}0000" if is_expert else "",
                    amount,
                ]
            )


def _import(path: str, budget, actor):
    with open(path, "rb") as raw:
        return expenditure_import(actor=actor, budget=budget, year=YEAR, uploaded_file=File(raw, name="支出明细.csv"))


def spending_import(median_seconds, report) -> None:
    _continue_factory_sequences()
    budget = approved_budget(subjects=3)
    for subject in budget.proposal.subjects.all():
        subject.participant_units.add(OrganisationFactory())
    actor = UserFactory(organisation=budget.project.lead_unit, roles=["unit_admin"])
    with tempfile.TemporaryDirectory() as folder:
        good, bad = os.path.join(folder, "good.csv"), os.path.join(folder, "bad.csv")
        _write_file(good, budget)
        _write_file(bad, budget, bad_last_row=True)
        size = os.path.getsize(good) / 1024 / 1024

        start = time.perf_counter()
        record = _import(good, budget, actor)
        seconds = time.perf_counter() - start
        assert record.state == "applied" and Expenditure.objects.filter(budget=budget).count() == ROWS
        report(
            f"import {ROWS} rows ({size:.1f} MB CSV), 3 subjects",
            seconds,
            f"{ROWS / seconds:,.0f} rows/s (one run)",
        )

        tracemalloc.start()
        start = time.perf_counter()
        _import(good, budget, actor)  # replaces the rows of the first run
        traced_seconds = time.perf_counter() - start
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert Expenditure.objects.filter(budget=budget).count() == ROWS
        report(
            f"import {ROWS} rows again, replacing the year, tracemalloc on",
            traced_seconds,
            f"peak Python memory {peak / 1024 / 1024:.1f} MB",
        )

        tracemalloc.start()
        start = time.perf_counter()
        try:
            _import(bad, budget, actor)
        except ImportRefused as refused:
            assert refused.expenditure_import.errors[0]["row"] == ROWS + 1
        else:
            raise AssertionError("the bad file was imported")
        refused_seconds = time.perf_counter() - start
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert Expenditure.objects.filter(budget=budget).count() == ROWS  # nothing changed
        report(
            f"refused file of {ROWS} rows (bad last row), tracemalloc on",
            refused_seconds,
            f"peak {peak / 1024 / 1024:.1f} MB, earlier rows intact",
        )

    queries: list[str] = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        execution.execution_rates(budget)
    rates = median_seconds(lambda: execution.execution_rates(budget), repeat=10, warmup=1)
    report(f"execution_rates over {ROWS} rows", rates, f"({len(queries)} queries)")
    compile_seconds = median_seconds(
        lambda: final_accounts.final_account_compile(actor=actor, budget=budget, year=YEAR), repeat=5, warmup=1
    )
    report(f"final_account_compile over {ROWS} rows", compile_seconds)
