"""Proposal pages: completeness, autosave, nothing lost on a validation error, protected files."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.tests.factories import UserFactory
from projects import services
from projects.models import Proposal
from projects.tests.builders import complete_proposal, open_call, pdf_file

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft():
    call = open_call(leader_max_age=60)
    applicant = UserFactory(roles=["applicant"])
    return services.proposal_create(actor=applicant, call=call)


def test_applicant_starts_a_proposal_from_the_call(client):
    call = open_call()
    applicant = UserFactory(roles=["applicant"])
    client.force_login(applicant)
    assert 'data-testid="apply"' in client.get(f"/calls/{call.pk}/").content.decode()
    response = client.post(f"/calls/{call.pk}/apply/")
    proposal = Proposal.objects.get(applicant=applicant)
    assert response.headers["Location"] == f"/proposals/{proposal.pk}/"


def test_draft_page_shows_what_is_missing(client, draft):
    client.force_login(draft.applicant)
    content = client.get(f"/proposals/{draft.pk}/").content.decode()
    assert 'data-testid="missing-count"' in content
    assert "第六十二条" in content  # the pledges (KRD-MGMT §62)
    assert "第二十三条" in content  # at least one subject (KRD-MGMT §23)


def test_htmx_autosave_keeps_partial_input(client, draft):
    client.force_login(draft.applicant)
    response = client.post(f"/proposals/{draft.pk}/save/", {"title": "只写了标题"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'data-testid="autosaved"' in response.content.decode()
    draft.refresh_from_db()
    assert draft.title == "只写了标题"


def test_a_validation_error_keeps_what_was_typed(client, draft):
    client.force_login(draft.applicant)
    response = client.post(
        f"/proposals/{draft.pk}/add/person/",
        {
            "name": "王研究员",
            "id_type": "resident_id",
            "id_number": "110101198001011234",
            "months_per_year": "13",
            "role": "key_personnel",
        },
    )
    assert response.status_code == 400
    content = response.content.decode()
    assert 'value="王研究员"' in content and 'value="110101198001011234"' in content
    assert not draft.people.filter(name="王研究员").exists()


def test_submit_refused_lists_each_rule(client, draft):
    client.force_login(draft.applicant)
    content = client.post(f"/proposals/{draft.pk}/submit/", follow=True).content.decode()
    assert "P2 · " in content
    draft.refresh_from_db()
    assert draft.state == Proposal.State.DRAFT


def test_attachment_is_served_only_to_those_who_see_the_proposal(client):
    proposal = complete_proposal(open_call())
    attachment = proposal.attachments.get()
    url = f"/proposals/{proposal.pk}/attachments/{attachment.pk}/"
    client.force_login(proposal.applicant)
    response = client.get(url)
    assert response.status_code == 200
    # Reading the whole stream lets the test client close the file.
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    client.force_login(UserFactory(roles=["applicant"]))
    assert client.get(url).status_code == 404
    client.force_login(UserFactory(organisation=proposal.lead_unit, roles=["unit_admin"]))
    assert client.get(url).status_code == 404  # still a draft


def test_upload_in_the_browser(client, draft):
    client.force_login(draft.applicant)
    response = client.post(
        f"/proposals/{draft.pk}/add/attachment/", {"kind": "other", "file": pdf_file("研究基础.pdf")}
    )
    assert response.status_code == 302
    assert draft.attachments.get().original_name == "研究基础.pdf"
    fake = SimpleUploadedFile("假的.pdf", b"not a pdf", content_type="application/pdf")
    bad = client.post(f"/proposals/{draft.pk}/add/attachment/", {"kind": "other", "file": fake})
    assert bad.status_code == 400
    assert "PDF" in bad.content.decode()


def test_unit_admin_submits_for_the_unit_in_the_browser(client):
    proposal = complete_proposal(open_call())
    services.proposal_submit(actor=proposal.applicant, proposal=proposal)
    unit_admin = UserFactory(organisation=proposal.lead_unit, roles=["unit_admin"])
    client.force_login(unit_admin)
    page = client.get(f"/proposals/{proposal.pk}/").content.decode()
    assert 'data-testid="unit-submit"' in page
    client.post(f"/proposals/{proposal.pk}/unit-submit/")
    proposal.refresh_from_db()
    assert proposal.state == Proposal.State.RECEIVED


def test_proposal_list_query_count_is_constant(client, django_assert_max_num_queries):
    call = open_call()
    agency = UserFactory(organisation=call.special_project.managing_agency, roles=["agency"])
    client.force_login(agency)
    proposal = complete_proposal(call)
    Proposal.objects.filter(pk=proposal.pk).update(state=Proposal.State.RECEIVED)
    with django_assert_max_num_queries(20) as baseline:
        client.get("/proposals/")
    for _ in range(5):
        other = complete_proposal(call)
        Proposal.objects.filter(pk=other.pk).update(state=Proposal.State.RECEIVED)
    with django_assert_max_num_queries(len(baseline.captured_queries)):
        response = client.get("/proposals/")
    assert len(response.context["page"].object_list) == 6
