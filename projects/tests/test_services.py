"""The project's P6 and B7 obligations, made by the deadline engine."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from core.models import Obligation
from projects import services, tasks
from projects.models import Project
from projects.tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = dt.date(2026, 11, 23)


def kinds(project):
    return sorted(
        Obligation.objects.filter(object_id=str(project.pk)).values_list("kind", "period", "due_at", "rule", "article")
    )


def test_active_project_gets_its_annual_report_and_final_accounts():
    project = ProjectFactory(start_date=dt.date(2026, 1, 1), funds_received_on=dt.date(2026, 3, 15))
    created = services.project_obligations_ensure(project=project, today=TODAY)
    assert len(created) == 2
    assert kinds(project) == [
        ("annual_report", "2026", dt.datetime(2026, 11, 30, 23, 59, 59, tzinfo=SHANGHAI), "P6", "KRD-MGMT §42"),
        ("final_accounts", "2026", dt.datetime(2027, 4, 20, 23, 59, 59, tzinfo=SHANGHAI), "B7", "KRD-FUNDS §37"),
    ]
    report = Obligation.objects.get(kind="annual_report", object_id=str(project.pk))
    assert list(report.responsible_users.all()) == [project.leader]
    assert (report.responsible_role, report.responsible_organisation) == ("unit_admin", project.lead_unit)
    assert (report.escalation_role, report.escalation_organisation) == ("agency", project.managing_agency)
    assert report.managing_organisation == project.managing_agency
    assert report.title == f"{project} 2026年度执行情况报告"
    # Running again changes nothing.
    assert services.project_obligations_ensure(project=project, today=TODAY) == []


def test_p6_project_started_under_three_months_before_november_ends_reports_next_year():
    project = ProjectFactory(start_date=dt.date(2026, 9, 2), funds_received_on=dt.date(2026, 10, 2))
    services.project_obligations_ensure(project=project, today=dt.date(2026, 9, 10))
    assert kinds(project) == []  # B7 too: funds received under three months before the year end


def test_p6_project_started_on_1_september_reports_this_year():
    project = ProjectFactory(start_date=dt.date(2026, 9, 1), funds_received_on=dt.date(2026, 10, 1))
    services.project_obligations_ensure(project=project, today=dt.date(2026, 9, 10))
    assert [row[:2] for row in kinds(project)] == [("annual_report", "2026"), ("final_accounts", "2026")]


def test_last_years_final_accounts_before_20_april():
    project = ProjectFactory(start_date=dt.date(2025, 1, 1), funds_received_on=dt.date(2025, 2, 1))
    services.project_obligations_ensure(project=project, today=dt.date(2026, 3, 1))
    assert [row[:2] for row in kinds(project)] == [
        ("annual_report", "2026"),
        ("final_accounts", "2025"),
        ("final_accounts", "2026"),
    ]


def test_finished_projects_get_nothing():
    project = ProjectFactory(state=Project.State.COMPLETED)
    assert services.project_obligations_ensure(project=project, today=TODAY) == []


def test_beat_task_covers_every_active_project():
    active = [ProjectFactory(), ProjectFactory()]
    ProjectFactory(state=Project.State.TERMINATED)
    with time_machine.travel(dt.datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI), tick=False):
        assert tasks.obligations_ensure() == 4
        assert tasks.obligations_ensure() == 0
    assert {int(row) for row in Obligation.objects.values_list("object_id", flat=True)} == {p.pk for p in active}
