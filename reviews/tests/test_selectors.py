"""Need-to-know in the review engine (S6 — SECRETS-LAW §16): a round of a classified call is
hidden from the agency, the experts' public list and the API; an item of a classified proposal
leaves the round's pages, counts, ranking and results, and its assignment leaves the expert's
list; S8 (SECRETS-REGS §15) marks the round's documents."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from reviews import selectors
from reviews.models import Assignment, ReviewItem, ReviewRound
from reviews.services import assignment as services
from reviews.tests.test_assignment import _client, expert, make_round
from secrecy.tests.factories import ClassificationFactory, KnowledgeGrantFactory

pytestmark = pytest.mark.django_db


def test_s6_a_round_of_a_classified_call_is_hidden_everywhere(api_client):
    """S6: the agency off the list loses the round (pages, API), the public its experts."""
    review_round, agency = make_round(directions=1, per_direction=1)
    ReviewRound.objects.filter(pk=review_round.pk).update(state=ReviewRound.State.PUBLISHED)
    classification = ClassificationFactory(target=review_round.call)

    assert not selectors.rounds_for_user(agency).exists()
    client = _client(agency)
    assert client.get(reverse("reviews:round_detail", args=[review_round.pk])).status_code == 404
    assert client.get(reverse("reviews:round_experts", args=[review_round.pk])).status_code == 404
    api_client.force_authenticate(agency)
    assert api_client.get(f"/api/v1/review-rounds/{review_round.pk}/").status_code == 404

    KnowledgeGrantFactory(classification=classification, user=agency)
    assert client.get(reverse("reviews:round_detail", args=[review_round.pk])).status_code == 200
    assert client.get(reverse("reviews:round_experts", args=[review_round.pk])).status_code == 200


def test_s6_a_classified_proposal_leaves_the_round_its_count_and_the_experts_list(api_client):
    """S6: the round stays; the item, its count and its assignments go."""
    review_round, agency = make_round(directions=1, per_direction=2, min_experts=1, group_size=1)
    expert_user = UserFactory(roles=["expert"])
    expert(user=expert_user)
    services.round_assign(actor=agency, review_round=review_round)
    hidden_item, shown_item = ReviewItem.objects.filter(review_round=review_round).order_by("id")
    ClassificationFactory(target=hidden_item.proposal)

    assert list(selectors.items_of_round(agency, review_round)) == [shown_item]
    rounds = selectors.rounds_for_user(agency).annotate(item_count=selectors.item_count(agency))
    assert rounds.get(pk=review_round.pk).item_count == 1
    page = _client(agency).get(reverse("reviews:round_list")).content.decode()
    assert review_round.title in page
    assert not selectors.assignments_for_expert(expert_user).filter(item=hidden_item).exists()
    hidden_assignment = Assignment.objects.get(item=hidden_item)
    assert (
        _client(expert_user).get(reverse("reviews:assignment_declare", args=[hidden_assignment.pk])).status_code == 404
    )
    api_client.force_authenticate(agency)
    body = api_client.get("/api/v1/review-results/").json()
    ids = [row["id"] for row in (body["results"] if isinstance(body, dict) else body)]
    assert hidden_item.pk not in ids and shown_item.pk in ids


def test_s8_the_ranking_of_a_classified_call_is_marked_on_every_page():
    """S8: the round's ranking PDF carries the call's mark on every page."""
    from pypdf import PdfReader

    from reviews import documents

    review_round, _agency = make_round(directions=1, per_direction=1)
    ClassificationFactory(target=review_round.call, period_years=20, level="confidential")

    pages = PdfReader(io.BytesIO(documents.round_ranking_pdf(review_round))).pages
    assert all("机密★20年" in page.extract_text() for page in pages)


def test_s6_the_experts_materials_leave_out_a_subject_classified_on_its_own():
    """S6: the expert reviews the proposal but is not on the list of one of its subjects."""
    from pypdf import PdfReader

    from projects.models import Subject
    from reviews import documents

    review_round, agency = make_round(directions=1, per_direction=1, min_experts=1, group_size=1)
    expert_user = UserFactory(roles=["expert"])
    expert(user=expert_user)
    services.round_assign(actor=agency, review_round=review_round)
    assignment = Assignment.objects.get(expert__user=expert_user)
    subject = Subject.objects.get(proposal=assignment.item.proposal)
    Subject.objects.filter(pk=subject.pk).update(title="保密课题名称")

    def text() -> str:
        pdf = documents.materials_pdf(Assignment.objects.get(pk=assignment.pk))
        return "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)

    assert "保密课题名称" in text()
    classification = ClassificationFactory(target=subject)
    assert "保密课题名称" not in text()
    KnowledgeGrantFactory(classification=classification, user=expert_user)
    assert "保密课题名称" in text() and "秘密★10年" in text()
