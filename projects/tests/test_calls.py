"""Call guides: P1 publication window, secret calls listed only to invited organisations, the
closing timer."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from accounts.tests.factories import OrganisationFactory, UserFactory
from core.deadlines import dispatch
from core.exceptions import RuleViolation
from core.models import AuditEvent, Obligation
from projects import services
from projects.models import Call, CallDirection
from projects.tests.factories import CallFactory, SpecialProjectFactory

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
PUBLISH = dt.datetime(2027, 1, 10, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture
def agency_user():
    special = SpecialProjectFactory()
    return UserFactory(organisation=special.managing_agency, roles=["agency"]), special


def draft(special, closes_at, **fields):
    call = CallFactory(special_project=special, closes_at=closes_at, **fields)
    CallDirection.objects.create(call=call, code="1.1", title="合成基因组设计", planned_projects=5)
    return call


def test_p1_publishing_with_49_days_is_refused_naming_the_article(agency_user):
    user, special = agency_user
    call = draft(special, closes_at=dt.datetime(2027, 2, 28, 17, 0, tzinfo=SHANGHAI))  # 49 days
    with time_machine.travel(PUBLISH, tick=False), pytest.raises(RuleViolation) as raised:
        services.call_publish(actor=user, call=call)
    assert raised.value.rule == "P1"
    assert "第二十一条" in raised.value.message and "49" in raised.value.message
    assert "2027-03-01" in raised.value.message  # the earliest closing date it would accept
    call.refresh_from_db()
    assert call.state == Call.State.DRAFT and call.published_at is None


def test_p1_publishing_with_50_days_opens_the_call_and_its_closing_timer(
    agency_user, django_capture_on_commit_callbacks
):
    user, special = agency_user
    closes = dt.datetime(2027, 3, 1, 17, 0, tzinfo=SHANGHAI)  # 50 days
    call = draft(special, closes_at=closes)
    with time_machine.travel(PUBLISH, tick=False):
        services.call_publish(actor=user, call=call)
    call.refresh_from_db()
    assert call.state == Call.State.PUBLISHED and call.published_at == PUBLISH
    closing = Obligation.objects.get(kind="call_closing", object_id=str(call.pk))
    assert (closing.due_at, closing.rule, closing.action) == (closes, "P1", "projects.close_call")
    assert AuditEvent.objects.filter(action="call.publish", rule="P1").count() == 1

    # The timer closes the window at the closing minute, through the deadline engine.
    def run(moment):
        with time_machine.travel(moment, tick=False), django_capture_on_commit_callbacks(execute=True):
            dispatch.sweep(
                now=moment,
                enqueue_dispatches=lambda ids: [dispatch.process_dispatch(i, now=moment) for i in ids],
                enqueue_emails=lambda ids: None,
            )

    run(closes - dt.timedelta(minutes=1))
    call.refresh_from_db()
    assert call.state == Call.State.PUBLISHED
    run(closes)
    call.refresh_from_db()
    assert call.state == Call.State.CLOSED


def test_only_the_managing_agency_publishes(agency_user):
    _user, special = agency_user
    call = draft(special, closes_at=dt.datetime(2027, 6, 1, tzinfo=SHANGHAI))
    other_agency = UserFactory(roles=["agency"])
    with pytest.raises(PermissionDenied):
        services.call_publish(actor=other_agency, call=call)


def test_a_call_needs_a_direction(agency_user):
    user, special = agency_user
    call = CallFactory(special_project=special, closes_at=dt.datetime(2027, 6, 1, tzinfo=SHANGHAI))
    with time_machine.travel(PUBLISH, tick=False), pytest.raises(RuleViolation):
        services.call_publish(actor=user, call=call)


@pytest.fixture
def calls(agency_user):
    user, special = agency_user
    invited = OrganisationFactory()
    public = draft(special, closes_at=dt.datetime(2027, 6, 1, tzinfo=SHANGHAI), title="公开指南")
    secret = draft(special, closes_at=dt.datetime(2027, 6, 1, tzinfo=SHANGHAI), title="保密指南", is_secret=True)
    secret.invited_organisations.add(invited)
    unpublished = draft(special, closes_at=dt.datetime(2027, 6, 1, tzinfo=SHANGHAI), title="草稿指南")
    with time_machine.travel(PUBLISH, tick=False):
        services.call_publish(actor=user, call=public)
        services.call_publish(actor=user, call=secret)
    return {"agency": user, "public": public, "secret": secret, "draft": unpublished, "invited": invited}


def titles(client, url="/calls/"):
    return [call.title for call in client.get(url).context["calls"]]


def test_secret_call_is_listed_only_to_invited_organisations(client, calls):
    assert titles(client) == ["公开指南"]  # anonymous
    outsider = UserFactory(roles=["applicant"])
    client.force_login(outsider)
    assert titles(client) == ["公开指南"]
    assert client.get(f"/calls/{calls['secret'].pk}/").status_code == 404
    assert client.get(f"/calls/{calls['draft'].pk}/").status_code == 404

    client.force_login(UserFactory(organisation=calls["invited"], roles=["applicant"]))
    assert sorted(titles(client)) == ["保密指南", "公开指南"]
    assert client.get(f"/calls/{calls['secret'].pk}/").status_code == 200

    client.force_login(calls["agency"])
    assert sorted(titles(client)) == ["保密指南", "公开指南", "草稿指南"]


def test_agency_publish_refusal_is_shown_and_the_draft_kept(client, agency_user):
    user, special = agency_user
    call = draft(special, closes_at=dt.datetime(2027, 2, 1, tzinfo=SHANGHAI))
    with time_machine.travel(PUBLISH, tick=True):
        client.force_login(user)
        response = client.post(f"/calls/{call.pk}/publish/", follow=True)
    content = response.content.decode()
    assert "第二十一条" in content
    assert Call.objects.get(pk=call.pk).state == Call.State.DRAFT
    assert "合成基因组设计" in content  # the draft and its direction are intact


def test_agency_creates_a_draft_in_the_browser(client, agency_user):
    user, special = agency_user
    client.force_login(user)
    response = client.post(
        "/calls/new/",
        {
            "special_project": special.pk,
            "title": "2027年度合成生物学重点专项项目申报指南",
            "year": 2027,
            "closes_at": "2027-04-30T16:00",
            "mode": "two_round",
            "shortlist_factor": "3.5",
            "formal_window_days": 30,
            "leader_max_age": 60,
            "max_subjects": 6,
        },
    )
    assert response.status_code == 302
    call = Call.objects.get(title="2027年度合成生物学重点专项项目申报指南")
    assert call.closes_at == dt.datetime(2027, 4, 30, 16, 0, tzinfo=SHANGHAI)
    assert call.state == Call.State.DRAFT
    detail = client.get(f"/calls/{call.pk}/").content.decode()
    assert "1966-01-01" not in detail and "1967-01-01" in detail  # born on or after 1 Jan (2027 − 60)


def test_shortlist_factor_outside_3_to_4_is_refused(client, agency_user):
    user, special = agency_user
    client.force_login(user)
    response = client.post(
        "/calls/new/",
        {
            "special_project": special.pk,
            "title": "x",
            "year": 2027,
            "closes_at": "2027-04-30T16:00",
            "mode": "two_round",
            "shortlist_factor": "5",
            "formal_window_days": 30,
        },
    )
    assert response.status_code == 200
    assert not Call.objects.filter(title="x").exists()


def test_the_call_keeps_the_funds_edition_in_force_at_publication(agency_user):
    user, special = agency_user
    call = draft(special, closes_at=dt.datetime(2027, 6, 1, tzinfo=SHANGHAI))
    with time_machine.travel(PUBLISH, tick=False):
        services.call_publish(actor=user, call=call)
    call.refresh_from_db()
    assert call.funds_edition == "reform-2021"
    chosen = draft(special, closes_at=dt.datetime(2027, 6, 1, tzinfo=SHANGHAI), funds_edition="krd-2016")
    with time_machine.travel(PUBLISH, tick=False):
        services.call_publish(actor=user, call=chosen)
    chosen.refresh_from_db()
    assert chosen.funds_edition == "krd-2016"


def test_an_edition_that_does_not_cover_the_program_is_refused(agency_user):
    user, special = agency_user  # a key_rd special project
    call = draft(special, closes_at=dt.datetime(2027, 6, 1, tzinfo=SHANGHAI), funds_edition="major-2017")
    with time_machine.travel(PUBLISH, tick=False), pytest.raises(RuleViolation) as raised:
        services.call_publish(actor=user, call=call)
    assert raised.value.code == "funds_edition"
