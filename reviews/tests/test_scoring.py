"""Scoring and closing a review round: V2 scores and submission, aggregation (mean, weighted,
trimmed), ties and disputes, V4 lateness, P3 first-round results and the shortlist, and the
expert's and the public's scope (404 outside it)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import OrganisationFactory, UserFactory
from core.exceptions import RuleViolation, StateConflict
from core.models import Obligation
from projects.models import Call, CallDirection, Proposal
from projects.tests.factories import CallFactory
from reviews.models import Assignment, ExpertCreditRecord, ReviewGroup, ReviewItem, ReviewRound
from reviews.services import scoring
from reviews.tests.factories import ExpertFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2027, 4, 10, 9, 0, tzinfo=dt.UTC)
DEADLINE = NOW + dt.timedelta(days=7)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def make_call(*, planned=1, factor=3):
    call = CallFactory(
        mode=Call.Mode.TWO_ROUND,
        state=Call.State.PUBLISHED,
        closes_at=NOW - dt.timedelta(days=5),
        shortlist_factor=factor,
    )
    CallDirection.objects.create(call=call, code="1.1", title="方向一", planned_projects=planned)
    return call


def agency_of(call):
    return UserFactory(organisation=call.special_project.managing_agency, roles=["agency"])


def pre_application(call, title):
    applicant = UserFactory(roles=["applicant"])
    return Proposal.objects.create(
        call=call,
        direction=call.directions.first(),
        applicant=applicant,
        lead_unit=applicant.organisation or OrganisationFactory(),
        title=title,
        stage=Proposal.Stage.PRE,
        state=Proposal.State.FORMAL_PASSED,
    )


def build_round(
    *, proposals=2, experts=3, aggregation="trimmed", criteria=None, disagreement=20, call=None, **settings
):
    """A round in state ``assigned`` with one group; every expert (each a portal user) is
    assigned to every item and has declared no conflict."""
    call = call or make_call()
    agency = agency_of(call)
    review_round = scoring.round_create(
        actor=agency,
        call=call,
        kind=ReviewRound.Kind.FIRST_ROUND,
        title="首轮评审",
        criteria=criteria
        or [{"name": "创新性", "weight": 60, "scale_max": 100}, {"name": "可行性", "weight": 40, "scale_max": 10}],
        aggregation=aggregation,
        deadline=DEADLINE,
        disagreement_points=Decimal(disagreement),
        **settings,
    )
    group = ReviewGroup.objects.create(review_round=review_round, name="第一组")
    items = [
        ReviewItem.objects.create(review_round=review_round, group=group, proposal=pre_application(call, f"预申报{n}"))
        for n in range(proposals)
    ]
    panel = [ExpertFactory(user=UserFactory(roles=["expert"])) for _n in range(experts)]
    for item in items:
        for expert in panel:
            Assignment.objects.create(item=item, expert=expert, state=Assignment.State.DECLARED, declared_at=NOW)
    ReviewRound.objects.filter(pk=review_round.pk).update(state=ReviewRound.State.ASSIGNED)
    review_round.refresh_from_db()
    return review_round, agency, items, panel


def assignment_of(item, expert):
    return Assignment.objects.get(item=item, expert=expert)


def score(item, expert, *values, recommendation="support", submit=True):
    """Score the criteria in order (the expert's user acting) and submit."""
    assignment = assignment_of(item, expert)
    criteria = list(item.review_round.criteria.all())
    scoring.score_save(
        actor=expert.user,
        assignment=assignment,
        scores={criterion.pk: value for criterion, value in zip(criteria, values, strict=True)},
        recommendation=recommendation,
        opinion="意见",
    )
    if submit:
        scoring.assignment_submit(actor=expert.user, assignment=assignment)
    return assignment


def one_criterion(scale=100):
    return [{"name": "总体评价", "weight": 1, "scale_max": scale}]


# ---- Creating and opening ------------------------------------------------------------------------


def test_round_create_by_the_managing_agency_only():
    call = make_call()
    other_agency = UserFactory(organisation=OrganisationFactory(kind="agency"), roles=["agency"])
    with pytest.raises(scoring.PermissionDenied):
        scoring.round_create(actor=other_agency, call=call, kind="first_round", title="x", criteria=one_criterion())
    review_round = scoring.round_create(
        actor=agency_of(call), call=call, kind="first_round", title="首轮", criteria=one_criterion()
    )
    assert review_round.special_project_id == call.special_project_id
    assert review_round.managing_agency_id == call.special_project.managing_agency_id
    assert review_round.year == call.year
    assert review_round.criteria.count() == 1


def test_open_creates_a_scoring_obligation_per_expert_due_at_the_deadline():
    review_round, agency, _items, panel = build_round(experts=2)
    scoring.round_open(actor=agency, review_round=review_round)
    obligations = Obligation.objects.filter(kind="review_scoring", object_id=str(review_round.pk))
    assert obligations.count() == 2
    assert {o.due_at for o in obligations} == {DEADLINE}
    assert all(o.rule == "V4" and o.escalation_role == "agency" for o in obligations)
    assert set(obligations.values_list("responsible_users", flat=True)) == {e.user_id for e in panel}


def test_open_needs_a_future_deadline():
    review_round, agency, _items, _panel = build_round()
    ReviewRound.objects.filter(pk=review_round.pk).update(deadline=NOW - dt.timedelta(hours=1))
    review_round.refresh_from_db()
    with pytest.raises(RuleViolation) as raised:
        scoring.round_open(actor=agency, review_round=review_round)
    assert raised.value.rule == "V4"


# ---- Scoring (V2) --------------------------------------------------------------------------------


def test_score_out_of_scale_is_refused_naming_the_criterion_and_nothing_is_saved():
    review_round, agency, [item, *_], [expert, *_] = build_round(proposals=1)
    scoring.round_open(actor=agency, review_round=review_round)
    first, second = review_round.criteria.all()
    assignment = assignment_of(item, expert)
    with pytest.raises(RuleViolation) as raised:
        scoring.score_save(actor=expert.user, assignment=assignment, scores={first.pk: 90, second.pk: 11})
    assert raised.value.rule == "V2" and "可行性" in raised.value.message
    assert not assignment.scores.exists()
    scoring.score_save(actor=expert.user, assignment=assignment, scores={first.pk: 100, second.pk: 0})
    assert assignment.scores.count() == 2
    with pytest.raises(RuleViolation):
        scoring.score_save(actor=expert.user, assignment=assignment, scores={first.pk: -1})


def test_submit_needs_every_criterion_and_a_recommendation():
    review_round, agency, [item, *_], [expert, *_] = build_round(proposals=1)
    scoring.round_open(actor=agency, review_round=review_round)
    first, second = review_round.criteria.all()
    assignment = assignment_of(item, expert)
    scoring.score_save(actor=expert.user, assignment=assignment, scores={first.pk: 80}, recommendation="support")
    with pytest.raises(RuleViolation) as raised:
        scoring.assignment_submit(actor=expert.user, assignment=assignment)
    assert raised.value.code == "scores_incomplete" and "可行性" in raised.value.message
    scoring.score_save(actor=expert.user, assignment=assignment, scores={second.pk: 8}, recommendation="")
    Assignment.objects.filter(pk=assignment.pk).update(recommendation="")
    with pytest.raises(RuleViolation) as raised:
        scoring.assignment_submit(actor=expert.user, assignment=assignment)
    assert "recommendation" in raised.value.fields
    scoring.score_save(actor=expert.user, assignment=assignment, scores={}, recommendation="support_if")
    scoring.assignment_submit(actor=expert.user, assignment=assignment)
    assignment.refresh_from_db()
    assert assignment.state == Assignment.State.SUBMITTED and assignment.submitted_at == NOW


def test_scoring_before_the_declaration_is_refused():
    review_round, agency, [item, *_], [expert, *_] = build_round(proposals=1)
    scoring.round_open(actor=agency, review_round=review_round)
    assignment = assignment_of(item, expert)
    Assignment.objects.filter(pk=assignment.pk).update(state=Assignment.State.ASSIGNED, declared_at=None)
    with pytest.raises(RuleViolation) as raised:
        scoring.score_save(actor=expert.user, assignment=assignment, scores={})
    assert raised.value.code == "declaration_required"


def test_scoring_needs_an_open_round_and_the_own_assignment():
    review_round, agency, [item, *_], [expert, other, *_] = build_round(proposals=1)
    with pytest.raises(StateConflict):
        scoring.score_save(actor=expert.user, assignment=assignment_of(item, expert), scores={})
    scoring.round_open(actor=agency, review_round=review_round)
    with pytest.raises(scoring.PermissionDenied):
        scoring.score_save(actor=other.user, assignment=assignment_of(item, expert), scores={})


def test_submit_after_the_deadline_is_refused_unless_the_agency_reopened():
    review_round, agency, [item, *_], [expert, *_] = build_round(proposals=1)
    scoring.round_open(actor=agency, review_round=review_round)
    assignment = score(item, expert, 80, 8, submit=False)
    with time_machine.travel(DEADLINE + dt.timedelta(minutes=1), tick=False):
        with pytest.raises(RuleViolation) as raised:
            scoring.assignment_submit(actor=expert.user, assignment=assignment)
        assert raised.value.code == "deadline_passed"
        scoring.round_reopen(actor=agency, review_round=review_round, deadline=DEADLINE + dt.timedelta(days=2))
        scoring.assignment_submit(actor=expert.user, assignment=assignment)
    assert Assignment.objects.get(pk=assignment.pk).state == Assignment.State.SUBMITTED


def test_the_agency_extends_the_deadline_from_the_round_page(client):
    """V4 — KRD-MGMT §32: the agency gives the experts more time; their obligations move with
    the deadline, an earlier date is refused with a message and nothing changes."""
    review_round, agency, _items, _panel = build_round(proposals=1)
    scoring.round_open(actor=agency, review_round=review_round)
    client.force_login(agency)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    url = reverse("reviews:round_action", args=[review_round.pk, "extend"])
    assert (
        'data-testid="round-extend"'
        in client.get(reverse("reviews:round_detail", args=[review_round.pk])).content.decode()
    )
    local = timezone.localtime(DEADLINE - dt.timedelta(days=1))
    response = client.post(url, {"deadline": local.strftime("%Y-%m-%dT%H:%M")}, follow=True)
    assert "must be later than the current one" in response.content.decode()
    review_round.refresh_from_db()
    assert review_round.deadline == DEADLINE
    later = DEADLINE + dt.timedelta(days=3)
    client.post(url, {"deadline": timezone.localtime(later).strftime("%Y-%m-%dT%H:%M")})
    review_round.refresh_from_db()
    assert review_round.deadline == later
    due = set(
        Obligation.objects.filter(kind=scoring.OBLIGATION_KIND, object_id=str(review_round.pk)).values_list(
            "due_at", flat=True
        )
    )
    assert due == {later}
    response = client.post(url, {"deadline": "next week"}, follow=True)
    assert "Give the new deadline as a date and time." in response.content.decode()


def test_submitting_all_of_an_experts_items_completes_their_obligation():
    review_round, agency, items, [expert, *_] = build_round(proposals=2)
    scoring.round_open(actor=agency, review_round=review_round)
    obligation = Obligation.objects.get(kind="review_scoring", period=f"expert-{expert.pk}")
    score(items[0], expert, 80, 8)
    obligation.refresh_from_db()
    assert obligation.state == Obligation.State.OPEN
    score(items[1], expert, 80, 8)
    obligation.refresh_from_db()
    assert obligation.state == Obligation.State.DONE


# ---- Aggregation, ranks, disputes ----------------------------------------------------------------


def close(review_round, agency, at=NOW):
    with time_machine.travel(at, tick=False):
        scoring.round_close(actor=agency, review_round=review_round)
    return {item.pk: item for item in ReviewItem.objects.filter(review_round=review_round)}


def test_weighted_totals_and_trimmed_mean_drop_one_highest_and_one_lowest():
    # weights 60/40, scales 100/10: (90, 5) → 54 + 20 = 74; (80, 10) → 88; (50, 5) → 50; (70, 7) → 70.
    review_round, agency, [item], panel = build_round(proposals=1, experts=4, aggregation="trimmed", disagreement=50)
    scoring.round_open(actor=agency, review_round=review_round)
    for expert, values in zip(panel, [(90, 5), (80, 10), (50, 5), (70, 7)], strict=True):
        score(item, expert, *values)
    result = close(review_round, agency)[item.pk]
    assert result.aggregate == Decimal("72.00")  # (74 + 70) / 2
    assert result.spread == Decimal("38.00")  # 88 − 50
    assert result.is_disputed is False


def test_weighted_mean_keeps_every_total():
    review_round, agency, [item], panel = build_round(proposals=1, experts=4, aggregation="weighted")
    scoring.round_open(actor=agency, review_round=review_round)
    for expert, values in zip(panel, [(90, 5), (80, 10), (50, 5), (70, 7)], strict=True):
        score(item, expert, *values)
    assert close(review_round, agency)[item.pk].aggregate == Decimal("70.50")  # 282 / 4


def test_mean_weights_the_criteria_equally():
    # equal weights: (90, 5) → (90 + 50) / 2 = 70; (80, 10) → 90.
    review_round, agency, [item], panel = build_round(proposals=1, experts=2, aggregation="mean")
    scoring.round_open(actor=agency, review_round=review_round)
    for expert, values in zip(panel, [(90, 5), (80, 10)], strict=True):
        score(item, expert, *values)
    assert close(review_round, agency)[item.pk].aggregate == Decimal("80.00")


def test_trimmed_mean_with_fewer_than_three_experts_is_the_plain_mean():
    review_round, agency, [item], panel = build_round(
        proposals=1, experts=2, aggregation="trimmed", criteria=one_criterion()
    )
    scoring.round_open(actor=agency, review_round=review_round)
    score(item, panel[0], 81)
    score(item, panel[1], 90)
    assert close(review_round, agency)[item.pk].aggregate == Decimal("85.50")


def test_ties_are_ranked_equally_and_flagged():
    review_round, agency, items, panel = build_round(
        proposals=3, experts=1, aggregation="weighted", criteria=one_criterion()
    )
    scoring.round_open(actor=agency, review_round=review_round)
    for item, value in zip(items, [80, 90, 80], strict=True):
        score(item, panel[0], value)
    result = close(review_round, agency)
    assert [(result[i.pk].rank, result[i.pk].is_tied) for i in items] == [(2, True), (1, False), (2, True)]


def test_ranks_are_per_group():
    review_round, agency, items, panel = build_round(
        proposals=2, experts=1, aggregation="weighted", criteria=one_criterion()
    )
    other_group = ReviewGroup.objects.create(review_round=review_round, name="第二组")
    ReviewItem.objects.filter(pk=items[1].pk).update(group=other_group)
    scoring.round_open(actor=agency, review_round=review_round)
    score(items[0], panel[0], 60)
    score(items[1], panel[0], 90)
    result = close(review_round, agency)
    assert result[items[0].pk].rank == result[items[1].pk].rank == 1


@pytest.mark.parametrize(("low", "disputed"), [(70, False), (69.99, True)])
def test_disputed_when_the_spread_exceeds_the_threshold(low, disputed):
    review_round, agency, [item], panel = build_round(
        proposals=1, experts=2, aggregation="weighted", criteria=one_criterion(), disagreement=20
    )
    scoring.round_open(actor=agency, review_round=review_round)
    score(item, panel[0], 90)
    score(item, panel[1], low)
    assert close(review_round, agency)[item.pk].is_disputed is disputed


# ---- Lateness (V4) -------------------------------------------------------------------------------


def test_late_experts_get_a_credit_record_at_close():
    review_round, agency, [item], [on_time, late, *_] = build_round(proposals=1, experts=3)
    scoring.round_open(actor=agency, review_round=review_round)
    score(item, on_time, 80, 8)
    score(item, late, 70, 7, submit=False)
    close(review_round, agency, at=DEADLINE + dt.timedelta(hours=1))
    records = ExpertCreditRecord.objects.filter(review_round=review_round, kind="late")
    assert set(records.values_list("expert_id", flat=True)) == set(
        Assignment.objects.filter(item=item).exclude(expert=on_time).values_list("expert_id", flat=True)
    )
    assert not Obligation.objects.filter(
        kind="review_scoring", object_id=str(review_round.pk), state__in=["open", "overdue"]
    ).exists()


def test_no_lateness_when_closed_before_the_deadline():
    review_round, agency, [item], panel = build_round(proposals=1, experts=2)
    scoring.round_open(actor=agency, review_round=review_round)
    score(item, panel[0], 80, 8)
    close(review_round, agency)
    assert not ExpertCreditRecord.objects.exists()


# ---- First-round results and the shortlist (P3) --------------------------------------------------


def test_first_round_scores_go_to_the_proposals_and_the_shortlist_follows_p3():
    call = make_call(planned=1, factor=3)  # shortlist of 3 × 1
    review_round, agency, items, [expert] = build_round(
        call=call, proposals=5, experts=1, aggregation="weighted", criteria=one_criterion()
    )
    scoring.round_open(actor=agency, review_round=review_round)
    for item, value in zip(items, [70, 91, 85, 60, 88], strict=True):
        score(item, expert, value)
    close(review_round, agency)
    scores = dict(Proposal.objects.filter(call=call).values_list("title", "first_round_score"))
    assert scores == {f"预申报{n}": Decimal(v) for n, v in enumerate([70, 91, 85, 60, 88])}
    review_round.refresh_from_db()
    [outcome] = scoring.round_shortlist(actor=agency, review_round=review_round)
    assert outcome.size == 3
    states = dict(Proposal.objects.filter(call=call).values_list("title", "state"))
    assert sorted(t for t, s in states.items() if s == "shortlisted") == ["预申报1", "预申报2", "预申报4"]


def test_the_shortlist_through_the_api(api_client):
    """P3 — ``review-rounds/{id}/shortlist/`` after the close: factor × planned per direction."""
    call = make_call(planned=1, factor=3)
    review_round, agency, items, [expert] = build_round(call=call, proposals=4, experts=1, criteria=one_criterion())
    scoring.round_open(actor=agency, review_round=review_round)
    for item, value in zip(items, [70, 91, 85, 60], strict=True):
        score(item, expert, value)
    api_client.force_authenticate(agency)
    assert api_client.post(f"/api/v1/review-rounds/{review_round.pk}/shortlist/").status_code == 409  # still open
    close(review_round, agency)
    response = api_client.post(f"/api/v1/review-rounds/{review_round.pk}/shortlist/")
    assert response.status_code == 200
    [direction] = response.json()["directions"]
    assert (direction["size"], len(direction["shortlisted"])) == (3, 3)


def test_shortlist_needs_a_closed_round():
    review_round, agency, _items, _panel = build_round()
    with pytest.raises(StateConflict):
        scoring.round_shortlist(actor=agency, review_round=review_round)


# ---- Scope: experts and the public ---------------------------------------------------------------


def test_an_expert_gets_404_for_another_experts_assignment_and_materials(client):
    review_round, agency, [item, other_item], [expert, other, _third] = build_round(proposals=2)
    scoring.round_open(actor=agency, review_round=review_round)
    Assignment.objects.filter(item=other_item, expert=expert).delete()
    client.force_login(expert.user)
    mine = assignment_of(item, expert)
    theirs = assignment_of(item, other)
    assert client.get(reverse("reviews:assignment_detail", args=[mine.pk])).status_code == 200
    assert client.get(reverse("reviews:assignment_detail", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("reviews:assignment_materials", args=[theirs.pk])).status_code == 404
    unassigned = assignment_of(other_item, other)  # a proposal the expert is not assigned to
    assert client.get(reverse("reviews:assignment_materials", args=[unassigned.pk])).status_code == 404


def test_the_expert_list_is_public_once_published_and_404_before(client):
    review_round, agency, [item, *_], panel = build_round(proposals=1, experts=2, criteria=one_criterion())
    url = reverse("reviews:round_experts", args=[review_round.pk])
    assert client.get(url).status_code == 404
    scoring.round_open(actor=agency, review_round=review_round)
    for expert in panel:
        score(item, expert, 80)
    close(review_round, agency)
    assert client.get(url).status_code == 404
    review_round.refresh_from_db()
    scoring.round_publish(actor=agency, review_round=review_round)
    response = client.get(url)
    assert response.status_code == 200
    for expert in panel:
        assert expert.name in response.content.decode()


def test_published_opinions_reach_the_applicant_without_names():
    review_round, agency, [item], panel = build_round(proposals=1, experts=2, criteria=one_criterion())
    scoring.round_open(actor=agency, review_round=review_round)
    for expert in panel:
        score(item, expert, 80)
    close(review_round, agency)
    assert scoring.opinions_for_applicant(item.proposal) == []
    review_round.refresh_from_db()
    scoring.round_publish(actor=agency, review_round=review_round)
    opinions = scoring.opinions_for_applicant(item.proposal)
    assert [o["label"] for o in opinions] == ["Expert 1", "Expert 2"]
    assert all(expert.name not in str(opinions) for expert in panel)


def test_the_applicant_reads_the_anonymised_opinions_on_the_proposal_page(client):
    """The published opinions show on the applicant's proposal page, never the experts' names."""
    review_round, agency, [item], panel = build_round(proposals=1, experts=2, criteria=one_criterion())
    scoring.round_open(actor=agency, review_round=review_round)
    for expert in panel:
        score(item, expert, 80)
    close(review_round, agency)
    review_round.refresh_from_db()
    scoring.round_publish(actor=agency, review_round=review_round)
    Assignment.objects.filter(item=item).update(opinion="创新性突出，建议支持。")
    client.force_login(item.proposal.applicant)
    page = client.get(reverse("projects:proposal_detail", args=[item.proposal.pk])).content.decode()
    assert "创新性突出，建议支持。" in page and 'data-testid="review-opinions"' in page
    assert all(expert.name not in page for expert in panel)
    client.force_login(UserFactory(roles=["applicant"]))
    assert client.get(reverse("projects:proposal_detail", args=[item.proposal.pk])).status_code == 404


# ---- Pages, documents and the API ----------------------------------------------------------------


def pdf_pages(data: bytes) -> list[str]:
    import io

    from pypdf import PdfReader

    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def test_materials_pdf_carries_the_experts_name_on_every_page(client):
    review_round, agency, [item], [expert, *_] = build_round(proposals=1, hide_identities=True)
    Proposal.objects.filter(pk=item.proposal_id).update(summary="研究内容。\n" * 200)
    scoring.round_open(actor=agency, review_round=review_round)
    client.force_login(expert.user)
    response = client.get(reverse("reviews:assignment_materials", args=[assignment_of(item, expert).pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pages = pdf_pages(response.content)
    assert len(pages) > 1
    assert all(expert.name in page for page in pages)
    assert item.proposal.lead_unit.name not in "".join(pages)  # identities hidden


def test_materials_stay_closed_before_the_declaration(client):
    review_round, agency, [item], [expert, *_] = build_round(proposals=1)
    scoring.round_open(actor=agency, review_round=review_round)
    assignment = assignment_of(item, expert)
    Assignment.objects.filter(pk=assignment.pk).update(state=Assignment.State.ASSIGNED)
    client.force_login(expert.user)
    assert client.get(reverse("reviews:assignment_materials", args=[assignment.pk])).status_code == 404


def test_expert_scores_and_submits_through_the_page(client):
    review_round, agency, [item], [expert, *_] = build_round(proposals=1)
    scoring.round_open(actor=agency, review_round=review_round)
    first, second = review_round.criteria.all()
    assignment = assignment_of(item, expert)
    url = reverse("reviews:assignment_detail", args=[assignment.pk])
    client.force_login(expert.user)
    response = client.post(
        url, {f"criterion_{first.pk}": "85", f"criterion_{second.pk}": "11", "recommendation": "support"}
    )
    assert response.status_code == 400 and 'value="11"' in response.content.decode()
    assert not assignment.scores.exists()  # out of scale: nothing saved
    client.post(url, {f"criterion_{first.pk}": "85", "recommendation": "support", "save": "1"})
    assert assignment.scores.count() == 1
    client.post(url, {f"criterion_{first.pk}": "85", f"criterion_{second.pk}": "9", "submit": "1"})
    assignment.refresh_from_db()
    assert assignment.state == Assignment.State.SUBMITTED


def test_agency_sees_the_ranking_with_ties_and_disputes_and_the_pdfs(client):
    review_round, agency, items, panel = build_round(
        proposals=2, experts=2, aggregation="weighted", criteria=one_criterion(), disagreement=5
    )
    scoring.round_open(actor=agency, review_round=review_round)
    for item in items:
        score(item, panel[0], 80)
        score(item, panel[1], 90)
    close(review_round, agency)
    client.force_login(agency)
    page = client.get(reverse("reviews:round_detail", args=[review_round.pk])).content.decode()
    assert page.count('data-testid="tied"') == 2 and page.count('data-testid="disputed"') == 2
    ranking = pdf_pages(client.get(reverse("reviews:round_pdf", args=[review_round.pk])).content)
    assert "85.00" in "".join(ranking)
    summary = "".join(pdf_pages(client.get(reverse("reviews:item_pdf", args=[review_round.pk, items[0].pk])).content))
    assert panel[0].name in summary  # the agency sees the names
    other_agency = UserFactory(organisation=OrganisationFactory(kind="agency"), roles=["agency"])
    client.force_login(other_agency)
    assert client.get(reverse("reviews:round_detail", args=[review_round.pk])).status_code == 404


def test_api_round_lifecycle_and_expert_scores(api_client):
    review_round, agency, [item], [expert] = build_round(proposals=1, experts=1, criteria=one_criterion())
    criterion = review_round.criteria.get()
    api_client.force_authenticate(agency)
    response = api_client.post(f"/api/v1/review-rounds/{review_round.pk}/open/")
    assert response.status_code == 200 and response.json()["state"] == "open"

    assignment = assignment_of(item, expert)
    api_client.force_authenticate(expert.user)
    url = f"/api/v1/assignment-scores/{assignment.pk}/"
    response = api_client.post(url + "scores/", {"scores": {str(criterion.pk): "101"}}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "score_out_of_scale"
    response = api_client.post(
        url + "scores/", {"scores": {str(criterion.pk): "88"}, "recommendation": "support"}, format="json"
    )
    assert response.status_code == 200 and response.json()["scores"] == [{"criterion": criterion.pk, "value": "88.00"}]
    other_before = api_client.post(f"/api/v1/assignments/{assignment.pk}/submit/")
    assert other_before.status_code == 200 and other_before.json()["state"] == "submitted"
    assert api_client.post(url + "submit/").status_code == 409  # already submitted

    other = ExpertFactory(user=UserFactory(roles=["expert"]))
    api_client.force_authenticate(other.user)
    assert api_client.get(url).status_code == 404

    api_client.force_authenticate(agency)
    assert api_client.post(f"/api/v1/review-rounds/{review_round.pk}/close/").json()["state"] == "closed"
    [result] = api_client.get(f"/api/v1/review-results/?review_round={review_round.pk}").json()["results"]
    assert (result["aggregate"], result["rank"], result["is_tied"]) == ("88.00", 1, False)


def test_api_create_round_for_the_agencys_call(api_client):
    call = make_call()
    agency = agency_of(call)
    api_client.force_authenticate(agency)
    response = api_client.post(
        "/api/v1/review-rounds/",
        {
            "title": "首轮评审",
            "kind": "first_round",
            "call": call.pk,
            "aggregation": "trimmed",
            "criteria": [{"name": "创新性", "weight": "1", "scale_max": 100}],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["managing_agency"] == call.special_project.managing_agency_id
