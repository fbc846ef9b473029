"""T6 — REPORTS §18 (with S6 — SECRETS-LAW §16 for classified reports) as one generated matrix:
each kind of confirmed report × each kind of viewer × what they get — found by the public
search, its metadata page, its full text — asserted against the real pages and API.

The expectations come from the article, not from the code:

- 社会公众 (everyone, anonymous included): search, and the abstracts of public and delayed
  reports;
- 实名注册用户 (registered users whose real name is verified): also the full text of public
  reports (and of delayed ones once released, T7 — REPORTS §19);
- 科技管理人员 (the managing agency of the project, the ministry): full text of everything
  in their remit, delayed reports included; the project's own people (the leader and the
  lead unit, 完成单位) likewise;
- 延期公开 full text otherwise only under an authorisation in force (an expired one no more);
- classified reports are never in the public depository; they exist only for the people on
  the classification's need-to-know list: 404 to everyone else, absent from lists, search and
  counts (S6).
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader
from rest_framework.test import APIClient

from accounts.models import Organisation
from accounts.tests.factories import OrganisationFactory, UserFactory
from reports import services
from reports.models import AccessRequest, Download
from reports.rules import Access
from reports.tests.factories import confirmed_report, project_people

pytestmark = pytest.mark.django_db

VIEWERS = (
    "anonymous",
    "real_name",
    "unverified",
    "leader",
    "unit_admin",
    "agency",
    "other_agency",
    "ministry",
    "granted",
    "expired",
    "need_to_know",
)
KINDS = ("public", "delayed", "delayed_released", "classified")
WHATS = ("listed", "metadata", "full_text")

EVERYONE = frozenset(VIEWERS)
REAL_NAME = EVERYONE - {"anonymous", "unverified"}
OWN_AND_MANAGERS = frozenset({"leader", "unit_admin", "agency", "ministry"})
# The classification names the project's people and one more reader; not the ministry.
ON_THE_LIST = frozenset({"leader", "unit_admin", "agency", "need_to_know"})

EXPECTED: dict[str, dict[str, frozenset[str]]] = {
    "public": {"listed": EVERYONE, "metadata": EVERYONE, "full_text": REAL_NAME},
    "delayed": {"listed": EVERYONE, "metadata": EVERYONE, "full_text": OWN_AND_MANAGERS | {"granted"}},
    "delayed_released": {"listed": EVERYONE, "metadata": EVERYONE, "full_text": REAL_NAME},
    "classified": {"listed": frozenset(), "metadata": ON_THE_LIST, "full_text": ON_THE_LIST},
}


def _cases():
    for kind in KINDS:
        for viewer in VIEWERS:
            for what in WHATS:
                yield pytest.param(kind, viewer, what, id=f"{kind}-{viewer}-{what}")


def _authorise(report, user, *, expired: bool, through_services: bool, agency) -> None:
    today = timezone.localdate()
    if through_services:
        request = services.access_request(actor=user, report=report, purpose="矩阵测试")
        services.access_decide(actor=agency, request=request, grant=True, expires_on=today + dt.timedelta(days=30))
        if expired:
            AccessRequest.objects.filter(pk=request.pk).update(expires_on=today - dt.timedelta(days=1))
    else:
        # The service grants only delayed reports not yet public; a row held for another kind
        # must open nothing beyond what the kind opens anyway.
        AccessRequest.objects.create(
            report=report,
            requester=user,
            purpose="矩阵测试",
            state=AccessRequest.State.GRANTED,
            decided_by=agency,
            decided_at=timezone.now(),
            expires_on=today + (dt.timedelta(days=-1) if expired else dt.timedelta(days=30)),
        )


def build(kind: str, viewer: str):
    """The report of ``kind`` made through the services, and the viewer (None: anonymous)."""
    people = project_people()
    user = {
        "anonymous": None,
        "real_name": UserFactory,
        "unverified": lambda: UserFactory(is_real_name_verified=False),
        "leader": lambda: people.leader,
        "unit_admin": lambda: people.unit_admin,
        "agency": lambda: people.agency,
        "other_agency": lambda: UserFactory(
            roles=["agency"], organisation=OrganisationFactory(kind=Organisation.Kind.AGENCY)
        ),
        "ministry": lambda: UserFactory(roles=["ministry"]),
        "granted": UserFactory,
        "expired": UserFactory,
        "need_to_know": UserFactory,
    }[viewer]
    user = user() if user is not None else None
    token = f"矩阵{kind}{viewer}"
    title = f"{token}科技报告"
    if kind == "classified":
        listed = [user] if viewer == "need_to_know" else []
        report = confirmed_report(people, Access.CLASSIFIED, need_to_know=listed, title=title)
    elif kind == "public":
        report = confirmed_report(people, Access.PUBLIC, title=title)
    else:
        report = confirmed_report(
            people, Access.DELAYED, release_on=timezone.localdate() + dt.timedelta(days=180), title=title
        )
    if viewer in ("granted", "expired"):
        _authorise(
            report,
            user,
            expired=viewer == "expired",
            through_services=kind in ("delayed", "delayed_released"),
            agency=people.agency,
        )
    if kind == "delayed_released":
        assert services.release_due(report=report, today=report.release_on)  # the timer path (T7)
    return report, user, token


@pytest.mark.parametrize(("kind", "viewer", "what"), list(_cases()))
def test_t6_who_finds_reads_and_downloads_what(client, settings, kind, viewer, what):
    settings.PORTAL_MAX_CLASSIFICATION = "secret"  # so that the classified report holds its full text
    expected = viewer in EXPECTED[kind][what]
    report, user, token = build(kind, viewer)
    api = APIClient()
    if user is not None:
        client.force_login(user)
        api.force_authenticate(user)

    if what == "listed":
        page = client.get(reverse("reports:public_list"), {"q": token})
        assert page.status_code == 200
        assert (f'data-testid="report-{report.pk}"' in page.content.decode()) is expected
        assert page.context["page"].paginator.count == int(expected)
        assert api.get("/api/v1/public/tech-reports/", {"q": token}).json()["count"] == int(expected)

    elif what == "metadata":
        page = client.get(reverse("reports:public_detail", args=[report.pk]))
        assert page.status_code == (200 if expected else 404)
        if expected:
            assert report.abstract in page.content.decode()
        if user is None:
            assert api.get(f"/api/v1/public/tech-reports/{report.pk}/").status_code == (200 if expected else 404)
        else:
            assert api.get(f"/api/v1/tech-reports/{report.pk}/").status_code == (200 if expected else 404)
            assert api.get("/api/v1/tech-reports/", {"q": token}).json()["count"] == int(expected)

    else:
        response = client.get(reverse("reports:full_text", args=[report.pk]))
        downloads = Download.objects.filter(report=report)
        if expected:
            assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
            first = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
            assert (user.real_name or user.username) in first
            assert list(downloads.values_list("user_id", flat=True)) == [user.pk]
        else:
            if user is None:
                assert response.status_code == 302 and "/login/" in response["Location"]
            elif viewer in EXPECTED[kind]["metadata"]:
                assert response.status_code == 302  # back to the report with the reason
                assert response["Location"] == reverse("reports:public_detail", args=[report.pk])
            else:
                assert response.status_code == 404
            assert not downloads.exists()
        if user is not None and viewer in EXPECTED[kind]["metadata"]:
            detail = api.get(f"/api/v1/tech-reports/{report.pk}/").json()
            assert bool(detail["full_text_url"]) is expected
            assert (detail["full_text_refusal"] == "") is expected
