"""INTL two-level review (P12 — INTL §22) and the panels of later stages (V3 — KRD-MGMT §53)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.tests.factories import OrganisationFactory, UserFactory
from core.exceptions import RuleViolation
from projects.models import Proposal
from projects.tests.builders import complete_proposal, open_call
from projects.tests.factories import ProgramFactory, ProjectFactory, SpecialProjectFactory
from reviews import rules
from reviews.models import Assignment, ReviewItem, ReviewRound
from reviews.services import assignment as assigning
from reviews.services import scoring
from reviews.tests.factories import ExpertFactory

pytestmark = pytest.mark.django_db

CRITERIA = [{"name": "总体评价", "weight": 1, "scale_max": 100}]
DEADLINE = timezone.now() + dt.timedelta(days=10)


# ---- Pure rules ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "before"), [("strategic", None), ("technical", "strategic"), ("budget", "technical"), ("defense", None)]
)
def test_p12_intl_stages_follow_each_other(kind, before):
    """P12 — INTL §22: strategic, then technical, then budget review."""
    assert rules.intl_stage_before(kind) == before


@pytest.mark.parametrize(
    ("recommendations", "supported"),
    [
        (["support", "support_if", "reject"], True),
        (["support", "reject"], False),  # half is not more than half
        (["reject", "reject", "support"], False),
        ([], False),
    ],
)
def test_p12_strategic_support_is_a_majority(recommendations, supported):
    assert rules.is_supported(recommendations) is supported


@pytest.mark.parametrize(
    ("requested", "needed"), [("5000000.00", False), ("5000000.01", True), ("4999999.99", False), (None, False)]
)
def test_p12_budget_review_only_above_the_amount(requested, needed):
    """P12 — INTL §22: 对支持经费超过一定金额的项目同时实行概算评议 (exactly the amount: no)."""
    assert rules.needs_budget_review(requested=requested, threshold=Decimal("5000000.00")) is needed
    assert rules.needs_budget_review(requested=requested, threshold=None) is False


def _facts(id, expertise, organisation=1, disciplines=("080.10",)):
    return rules.ExpertFacts(id, f"专家{id}", f"ID{id}", organisation, disciplines, expertise=expertise)


def test_v3_a_panel_mixes_the_kinds_asked_for_without_conflicts():
    """V3 — KRD-MGMT §53: technical, management and industry experts, none from the project's units."""
    item = rules.ItemFacts(1, "panel", "080.10", unit_ids=frozenset({9}))
    experts = [
        _facts(1, "technical"),
        _facts(2, "technical", organisation=9),  # works at the project's unit
        _facts(3, "technical"),
        _facts(4, "management"),
        _facts(5, "industry"),
        _facts(6, "technical", disciplines=("520.20",)),  # another field
    ]
    chosen, missing = rules.plan_panel(
        item,
        experts,
        composition={"technical": 2, "management": 1, "industry": 2},
        year=2027,
        collaboration_years=3,
        max_rounds_per_year=2,
    )
    assert chosen == [1, 3, 4, 5]
    assert missing == {"industry": 1}


# ---- INTL stages in the services ----------------------------------------------------------------


def _intl_call(**fields):
    special = SpecialProjectFactory(program=ProgramFactory(code="intl", name="国合专项"))
    return open_call(special_project=special, **fields)


def _agency(call):
    return UserFactory(organisation=call.special_project.managing_agency, roles=["agency"])


def _finished_round(call, agency, kind, proposals, recommendations):
    """A finished round of ``kind`` where each proposal got the given recommendations."""
    review_round = scoring.round_create(actor=agency, call=call, kind=kind, title=kind, criteria=CRITERIA)
    for proposal, wanted in zip(proposals, recommendations, strict=True):
        item = ReviewItem.objects.create(review_round=review_round, proposal=proposal)
        for recommendation in wanted:
            Assignment.objects.create(
                item=item,
                expert=ExpertFactory(),
                state=Assignment.State.SUBMITTED,
                recommendation=recommendation,
            )
    ReviewRound.objects.filter(pk=review_round.pk).update(state=ReviewRound.State.CLOSED)
    return review_round


def test_p12_technical_review_waits_for_a_finished_strategic_review():
    call = _intl_call()
    agency = _agency(call)
    with pytest.raises(RuleViolation) as refused:
        scoring.round_create(actor=agency, call=call, kind="technical", title="技术论证", criteria=CRITERIA)
    assert refused.value.rule == "P12" and "INTL §22" in refused.value.message
    _finished_round(call, agency, "strategic", [], [])
    assert scoring.round_create(actor=agency, call=call, kind="technical", title="技术论证", criteria=CRITERIA).pk


def test_p12_only_what_the_strategic_review_supported_enters_the_technical_review():
    call = _intl_call(budget_review_above=Decimal("6000000.00"))
    agency = _agency(call)
    supported, rejected = (complete_proposal(call, title=f"国合项目{n}") for n in range(2))
    Proposal.objects.filter(pk__in=[supported.pk, rejected.pk]).update(state=Proposal.State.RECEIVED)
    _finished_round(
        call, agency, "strategic", [supported, rejected], [["support", "support_if"], ["reject", "support"]]
    )
    technical = scoring.round_create(actor=agency, call=call, kind="technical", title="技术论证", criteria=CRITERIA)
    with pytest.raises(RuleViolation) as refused:
        assigning.round_items_add(actor=agency, review_round=technical, proposals=[supported, rejected])
    assert refused.value.code == "intl_not_eligible" and str(rejected) in refused.value.message
    assert not technical.items.exists()
    assigning.round_items_add(actor=agency, review_round=technical, proposals=[supported])
    assert list(technical.items.values_list("proposal_id", flat=True)) == [supported.pk]

    # Budget review: supported by the technical review and above the call's amount (2 × 5 000 000).
    ReviewRound.objects.filter(pk=technical.pk).delete()
    _finished_round(call, agency, "technical", [supported], [["support"]])
    budget = scoring.round_create(actor=agency, call=call, kind="budget", title="概算评议", criteria=CRITERIA)
    assigning.round_items_add(actor=agency, review_round=budget, proposals=[supported])
    assert budget.items.count() == 1
    call.budget_review_above = Decimal("10000000.00")  # exactly what is asked: no budget review
    call.save(update_fields=["budget_review_above"])
    budget.refresh_from_db()
    budget.items.all().delete()
    with pytest.raises(RuleViolation):
        assigning.round_items_add(actor=agency, review_round=budget, proposals=[supported])


# ---- Panels ---------------------------------------------------------------------------------------


def test_v3_an_acceptance_panel_is_formed_with_its_mix_and_recusal():
    project = ProjectFactory(special_project=SpecialProjectFactory())
    agency = UserFactory(organisation=project.managing_agency, roles=["agency"])
    review_round = scoring.round_create(
        actor=agency,
        project=project,
        kind="acceptance",
        title="验收",
        criteria=CRITERIA,
        technical_experts=2,
        management_experts=1,
        industry_experts=1,
    )
    insider = ExpertFactory(organisation=project.lead_unit, expertise="technical")
    technical = [ExpertFactory(expertise="technical") for _n in range(3)]
    manager = ExpertFactory(expertise="management")
    missing = assigning.round_panel_form(actor=agency, review_round=review_round)
    assert missing == {"industry": 1}
    panel = set(Assignment.objects.filter(item__review_round=review_round).values_list("expert_id", flat=True))
    assert insider.pk not in panel
    assert manager.pk in panel and len(panel & {e.pk for e in technical}) == 2
    ExpertFactory(expertise="industry", organisation=OrganisationFactory())
    assert assigning.round_panel_form(actor=agency, review_round=review_round) == {}
    assert Assignment.objects.filter(item__review_round=review_round).count() == 4
