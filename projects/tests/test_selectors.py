"""Need-to-know in the projects selectors (S6 — SECRETS-LAW §16): classified calls, proposals,
projects and subjects, and what belongs to them, are absent for everyone off their lists —
lists, details, API lists, public notices — and present for those on them; S11 (SECRETS-LAW
§24) refuses a classified attachment above the portal's level."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from projects import selectors
from projects.models import Attachment, Proposal, PublicNotice
from projects.tests.builders import complete_proposal, open_call, pdf_file
from projects.tests.factories import ProjectFactory
from secrecy.tests.factories import ClassificationFactory, KnowledgeGrantFactory

pytestmark = pytest.mark.django_db


def _received(call) -> Proposal:
    proposal = complete_proposal(call)
    Proposal.objects.filter(pk=proposal.pk).update(state=Proposal.State.RECEIVED)
    return Proposal.objects.get(pk=proposal.pk)


@pytest.fixture
def agency_call():
    call = open_call()
    agency = UserFactory(organisation=call.special_project.managing_agency, roles=["agency"])
    return call, agency


def test_s6_a_classified_proposal_leaves_the_agency_list_and_answers_404(agency_call, client):
    """S6: off the list, the managing agency no longer sees the proposal; on it, it does."""
    call, agency = agency_call
    shown, secret = _received(call), _received(call)
    classification = ClassificationFactory(target=secret)

    assert list(selectors.proposals_for_user(agency)) == [shown]
    client.force_login(agency)
    assert client.get(reverse("projects:proposal_detail", args=[secret.pk])).status_code == 404

    KnowledgeGrantFactory(classification=classification, user=agency)
    assert set(selectors.proposals_for_user(agency)) == {shown, secret}
    assert client.get(reverse("projects:proposal_detail", args=[secret.pk])).status_code == 200


def test_s6_a_classified_call_hides_itself_and_its_proposals_even_from_the_ministry(agency_call):
    """S6: the ministry's oversight does not put it on a list; superusers are not filtered."""
    call, _agency = agency_call
    proposal = _received(call)
    ClassificationFactory(target=call)
    ministry = UserFactory(roles=["ministry"])

    assert not selectors.calls_for_user(ministry).filter(pk=call.pk).exists()
    assert not selectors.proposals_for_user(ministry).filter(pk=proposal.pk).exists()
    assert not selectors.calls_for_user(UserFactory(roles=["applicant"])).filter(pk=call.pk).exists()
    superuser = UserFactory(is_superuser=True)
    assert selectors.proposals_for_user(superuser).filter(pk=proposal.pk).exists()


def test_s6_a_project_is_hidden_by_its_own_its_proposals_or_its_calls_classification():
    """S6: a project belongs to its proposal and call."""
    call = open_call()
    proposal = complete_proposal(call)
    project = ProjectFactory(proposal=proposal, managing_agency=call.special_project.managing_agency)
    agency = UserFactory(organisation=project.managing_agency, roles=["agency"])
    assert selectors.projects_for_user(agency).filter(pk=project.pk).exists()

    classification = ClassificationFactory(target=call)
    assert not selectors.projects_for_user(agency).filter(pk=project.pk).exists()
    assert not selectors.proposals_for_user(agency).filter(pk=proposal.pk).exists()
    KnowledgeGrantFactory(classification=classification, user=agency)
    assert selectors.projects_for_user(agency).filter(pk=project.pk).exists()

    ClassificationFactory(target=project)
    assert not selectors.projects_for_user(agency).filter(pk=project.pk).exists()
    # A classified project hides the proposal it was made of (the same content).
    assert not selectors.proposals_for_user(proposal.applicant).filter(pk=proposal.pk).exists()


def test_s6_a_classified_subject_is_left_out_of_its_proposals_page_and_api(agency_call, client, api_client):
    """S6: the proposal stays visible, the subject (and what names it) does not."""
    call, agency = agency_call
    proposal = _received(call)
    hidden, shown = proposal.subjects.order_by("number")
    ClassificationFactory(target=hidden)
    Proposal.objects.filter(pk=proposal.pk).update(title="可见申报")
    hidden.__class__.objects.filter(pk=hidden.pk).update(title="保密课题标题")

    client.force_login(agency)
    page = client.get(reverse("projects:proposal_detail", args=[proposal.pk])).content.decode()
    assert "可见申报" in page and shown.title in page and "保密课题标题" not in page
    api_client.force_authenticate(agency)
    body = api_client.get("/api/v1/proposals/").json()
    rows = body["results"] if isinstance(body, dict) else body
    assert [subject["title"] for subject in rows[0]["subjects"]] == [shown.title]


def test_s6_api_lists_leave_out_classified_calls_and_projects(api_client):
    """S6: the API lists and their counts are filtered like the pages."""
    shown, secret = open_call(), open_call()
    ClassificationFactory(target=secret)
    api_client.force_authenticate(UserFactory(roles=["applicant"]))
    body = api_client.get("/api/v1/calls/").json()
    ids = [row["id"] for row in (body["results"] if isinstance(body, dict) else body)]
    assert shown.pk in ids and secret.pk not in ids
    assert api_client.get(f"/api/v1/calls/{secret.pk}/").status_code == 404

    project = ProjectFactory()
    ClassificationFactory(target=project)
    api_client.force_authenticate(UserFactory(roles=["ministry"]))
    body = api_client.get("/api/v1/projects/").json()
    ids = [row["id"] for row in (body["results"] if isinstance(body, dict) else body)]
    assert project.pk not in ids
    assert api_client.get(f"/api/v1/projects/{project.pk}/").status_code == 404


def test_s6_public_notices_leave_out_classified_calls_and_entries(client, api_client):
    """S6: the public notice of a classified call has no page; a classified entry of an
    ordinary notice is not listed (HTML and API)."""
    call = open_call()
    shown, secret = _received(call), _received(call)
    Proposal.objects.filter(pk=secret.pk).update(title="保密项目名称")
    notice = PublicNotice.objects.create(
        call=call, title="保密指南的公示", starts_at=timezone.now(), ends_at=timezone.now() + timezone.timedelta(days=5)
    )
    notice.proposals.set([shown, secret])
    ClassificationFactory(target=secret)

    page = client.get(reverse("projects:public_notice_detail", args=[notice.pk])).content.decode()
    assert shown.title in page and "保密项目名称" not in page
    entries = api_client.get(f"/api/v1/public-notices/{notice.pk}/").json()["entries"]
    assert len(entries) == 1

    ClassificationFactory(target=call)
    assert client.get(reverse("projects:public_notice_detail", args=[notice.pk])).status_code == 404
    assert "保密指南的公示" not in client.get(reverse("projects:public_notice_list")).content.decode()
    assert api_client.get(f"/api/v1/public-notices/{notice.pk}/").status_code == 404


def test_s6_proposal_list_query_count_does_not_grow_with_classified_proposals(
    agency_call, client, django_assert_max_num_queries
):
    """S6 with the design's quality bar: the list costs the same with classified rows, on the
    list of some of them and off the others."""
    call, agency = agency_call
    client.force_login(agency)
    _received(call)
    with django_assert_max_num_queries(25) as baseline:
        client.get("/proposals/")
    for number in range(4):
        classification = ClassificationFactory(target=_received(call))
        if number % 2:
            KnowledgeGrantFactory(classification=classification, user=agency)
    with django_assert_max_num_queries(len(baseline.captured_queries)):
        response = client.get("/proposals/")
    assert len(response.context["page"].object_list) == 3


# ---- S11: attachments above the portal's level ------------------------------------------------


def _draft(applicant=None):
    from projects import services

    applicant = applicant or UserFactory(roles=["applicant"])
    return services.proposal_create(actor=applicant, call=open_call()), applicant


def test_s11_a_secret_attachment_is_refused_naming_the_article_and_nothing_is_lost(client):
    """S11 — SECRETS-LAW §24: by default the portal holds no classified content at all."""
    proposal, applicant = _draft()
    client.force_login(applicant)
    url = reverse("projects:proposal_add", args=[proposal.pk, "attachment"])

    response = client.post(url, {"kind": "other", "classification_level": "secret", "file": pdf_file()})

    assert response.status_code == 400
    assert "SECRETS-LAW §24" in response.content.decode()
    assert not Attachment.objects.filter(proposal=proposal).exists()
    assert Proposal.objects.filter(pk=proposal.pk, state=Proposal.State.DRAFT).exists()

    accepted = client.post(url, {"kind": "other", "classification_level": "none", "file": pdf_file()})
    assert accepted.status_code == 302
    assert Attachment.objects.get(proposal=proposal).classification_level == "none"


def test_s11_a_portal_configured_for_secret_keeps_a_secret_attachment_and_refuses_higher(settings):
    """S11: up to the configured maximum, the level is recorded with the file."""
    from core.exceptions import RuleViolation
    from projects import services

    settings.PORTAL_MAX_CLASSIFICATION = "secret"
    proposal, applicant = _draft()
    attachment = services.proposal_attachment_add(
        actor=applicant, proposal=proposal, uploaded_file=pdf_file(), classification_level="secret"
    )
    assert attachment.classification_level == "secret"
    with pytest.raises(RuleViolation) as refused:
        services.proposal_attachment_add(
            actor=applicant, proposal=proposal, uploaded_file=pdf_file(), classification_level="confidential"
        )
    assert refused.value.rule == "S11" and refused.value.code == "classified_attachment"
    assert Attachment.objects.filter(proposal=proposal).count() == 1
