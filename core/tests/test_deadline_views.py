"""我的期限, the agency's overdue view, the iCalendar feed, the API and the admin sweep button."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from icalendar import Calendar

from accounts.tests.factories import UserFactory
from core.deadlines import services as deadlines
from core.models import Notification, Obligation
from core.tests import deadline_kinds  # noqa: F401 - registers the test kinds
from projects.tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


def make_obligation(project, *, user, title, due, kind="test_report", period=None):
    return deadlines.obligation_create(
        target=project,
        kind=kind,
        period=period or title,
        due_at=due,
        title=title,
        responsible_users=[user],
        escalation_role="agency",
        escalation_organisation=project.managing_agency,
        managing_organisation=project.managing_agency,
        link="/deadlines/",
    )


@pytest.fixture
def world():
    project = ProjectFactory()
    other_project = ProjectFactory()
    leader, other_leader = project.leader, other_project.leader
    agency = UserFactory(organisation=project.managing_agency, roles=["agency"])
    later = make_obligation(
        project, user=leader, title="年度财务决算", due=dt.datetime(2027, 4, 20, 23, 59, 59, tzinfo=SHANGHAI)
    )
    sooner = make_obligation(
        project, user=leader, title="年度执行情况报告", due=dt.datetime(2026, 11, 30, 23, 59, 59, tzinfo=SHANGHAI)
    )
    overdue = make_obligation(
        project, user=leader, title="验收材料", due=dt.datetime(2026, 11, 1, 23, 59, 59, tzinfo=SHANGHAI)
    )
    Obligation.objects.filter(pk=overdue.pk).update(state=Obligation.State.OVERDUE)
    others = make_obligation(
        other_project, user=other_leader, title="别人的报告", due=dt.datetime(2026, 11, 30, 23, 59, 59, tzinfo=SHANGHAI)
    )
    return {
        "leader": leader,
        "other_leader": other_leader,
        "agency": agency,
        "later": later,
        "sooner": sooner,
        "overdue": overdue,
        "others": others,
    }


def test_my_deadlines_sorted_with_rule_and_only_mine(client, world):
    client.force_login(world["leader"])
    page = client.get("/deadlines/").content.decode()
    content = page[page.index('<table class="table deadlines">') :]
    assert content.index("验收材料") < content.index("年度执行情况报告") < content.index("年度财务决算")
    assert "别人的报告" not in content
    assert "P6 · KRD-MGMT §42" in content
    assert "已逾期 22 天" in content
    assert "剩余 7 天" in content


def test_my_deadlines_filters_by_state(client, world):
    deadlines.obligation_complete(obligation=world["sooner"], actor=world["leader"])
    client.force_login(world["leader"])

    def table(response):
        page = response.content.decode()
        return page[page.index("<table") :]

    assert "年度执行情况报告" not in table(client.get("/deadlines/"))
    assert "年度执行情况报告" in table(client.get("/deadlines/", {"state": "done"}))


def test_agency_sees_overdue_obligations_of_projects_it_manages(client, world):
    client.force_login(world["agency"])
    content = client.get("/deadlines/").content.decode()
    section = content[content.index('data-testid="managed-overdue"') :]
    assert "验收材料" in section
    assert "别人的报告" not in content


def test_deadline_page_query_count_is_constant(client, world, django_assert_max_num_queries):
    client.force_login(world["leader"])
    with django_assert_max_num_queries(30) as baseline:
        client.get("/deadlines/")
    project = world["sooner"].target
    for number in range(30):
        make_obligation(
            project, user=world["leader"], title=f"批量{number}", due=dt.datetime(2026, 12, 20, tzinfo=SHANGHAI)
        )
    with django_assert_max_num_queries(len(baseline.captured_queries)):
        client.get("/deadlines/")


def test_dashboard_lists_open_deadlines_with_their_rule(client, world):
    client.force_login(world["leader"])
    content = client.get("/dashboard/").content.decode()
    assert "年度执行情况报告" in content
    assert "已逾期：验收材料" in content
    assert "年度财务决算" not in content  # beyond the 60-day horizon


def test_calendar_feed_is_valid_icalendar_of_my_own_deadlines(client, world):
    client.force_login(world["leader"])
    client.post("/deadlines/feed/")
    feed_url = client.get("/deadlines/").context["feed_url"]
    client.logout()

    response = client.get(feed_url.replace("http://testserver", ""))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    events = {str(event["summary"]): event for event in calendar.walk("VEVENT")}
    assert set(events) == {"年度执行情况报告", "年度财务决算", "验收材料"}
    due = events["年度执行情况报告"].decoded("dtstart")
    assert due == dt.datetime(2026, 11, 30, 23, 59, 59, tzinfo=SHANGHAI)
    assert "P6 KRD-MGMT §42" in str(events["年度执行情况报告"]["description"])
    assert len(events["年度执行情况报告"].walk("VALARM")) == 3
    assert response.content.startswith(b"BEGIN:VCALENDAR\r\n")


def test_another_or_old_token_gives_404(client, world):
    feed = deadlines.calendar_feed_token_for(world["leader"])
    old = feed.token
    assert client.get("/deadlines/feed/not-a-token.ics").status_code == 404
    deadlines.calendar_feed_token_reset(user=world["leader"])
    assert client.get(f"/deadlines/feed/{old}.ics").status_code == 404
    other = deadlines.calendar_feed_token_for(world["other_leader"])
    content = client.get(f"/deadlines/feed/{other.token}.ics").content.decode()
    assert "别人的报告" in content and "年度执行情况报告" not in content


def test_api_obligations_own_and_managed(api_client, world):
    api_client.force_authenticate(world["leader"])
    body = api_client.get("/api/v1/obligations/").json()
    titles = [item["title"] for item in body["results"]]
    assert titles == ["验收材料", "年度执行情况报告", "年度财务决算"]
    first = body["results"][1]
    assert first["rule"] == "P6" and first["article"] == "KRD-MGMT §42"
    assert first["object"] == {"type": "projects.project", "id": str(world["sooner"].object_id)}
    assert first["due_at"] == "2026-11-30T23:59:59+08:00"
    overdue = api_client.get("/api/v1/obligations/", {"state": "overdue"}).json()["results"]
    assert [item["title"] for item in overdue] == ["验收材料"]
    assert api_client.get(f"/api/v1/obligations/{world['others'].pk}/").status_code == 404

    api_client.force_authenticate(world["agency"])
    titles = {item["title"] for item in api_client.get("/api/v1/obligations/").json()["results"]}
    assert titles == {"验收材料", "年度执行情况报告", "年度财务决算"}


def test_api_notifications_and_read(api_client, world):
    leader = world["leader"]
    first = Notification.objects.create(recipient=leader, title="一")
    Notification.objects.create(recipient=leader, title="二")
    Notification.objects.create(recipient=world["other_leader"], title="别人")
    api_client.force_authenticate(leader)
    assert {item["title"] for item in api_client.get("/api/v1/notifications/").json()["results"]} == {"一", "二"}
    response = api_client.post("/api/v1/notifications/read/", {"ids": [first.pk]}, format="json")
    assert response.json() == {"marked": 1}
    assert api_client.post("/api/v1/notifications/read/", {}, format="json").json() == {"marked": 1}
    assert not Notification.objects.filter(recipient=leader, read_at__isnull=True).exists()
    assert Notification.objects.filter(recipient=world["other_leader"], read_at__isnull=True).exists()
    bad = api_client.post("/api/v1/notifications/read/", {"ids": "all"}, format="json")
    assert bad.status_code == 400 and "ids" in bad.json()["fields"]


def test_admin_lists_obligations_and_runs_the_sweep(client, world):
    client.force_login(UserFactory(roles=["admin"]))
    listing = client.get("/admin/core/obligation/", {"state__exact": "overdue"}).content.decode()
    assert "验收材料" in listing and "年度执行情况报告" not in listing
    assert client.get("/admin/core/deadlinedispatch/").status_code == 200
    response = client.post("/admin/core/obligation/sweep/", follow=True)
    assert response.status_code == 200
    assert "已执行扫描" in response.content.decode()
    assert client.get("/admin/core/obligation/sweep/").status_code == 404
