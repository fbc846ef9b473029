"""V1 — assignment of experts on the database (KRD-MGMT §26, INTL §12, EVAL §32): no recused
expert ever assigned, the minimum reached or the shortfall named, rotation, hand swaps,
declarations of conflict, and an expert's assignments visible to that expert only."""

from __future__ import annotations

import itertools

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import Organisation
from accounts.tests.factories import OrganisationFactory, UserFactory
from core.exceptions import RuleViolation
from core.models import AuditEvent, Notification
from projects.models import CallDirection, Person, Proposal, ProposalUnit, Subject
from projects.tests.factories import CallFactory, SpecialProjectFactory
from reviews import rules
from reviews.models import Assignment, Collaboration, DeclaredConflict, ReviewItem, ReviewRound
from reviews.services import assignment as services
from reviews.tests.factories import ExpertFactory

pytestmark = pytest.mark.django_db

YEAR = 2027
_ids = itertools.count(1)


def person_id() -> str:
    return f"5201011970{next(_ids):07d}X"


def expert(**fields):
    """An expert with an ID that no proposal of these tests uses (unless given)."""
    fields.setdefault("id_number", f"6301011970{next(_ids):08d}")
    return ExpertFactory(**fields)


def make_round(*, directions=2, per_direction=3, **fields):
    """A round of a call with ``directions`` directions of ``per_direction`` received proposals
    each; every proposal has its own lead unit, a participant unit, a subject with a
    participant unit, a leader and a subject leader. Returns the round and its agency user."""
    special = SpecialProjectFactory()
    call = CallFactory(special_project=special, year=YEAR)
    agency = UserFactory(organisation=special.managing_agency, roles=["agency"])
    applicant = UserFactory(roles=["applicant"])
    proposals = []
    for number in range(directions):
        direction = CallDirection.objects.create(call=call, code=f"{number + 1}.1", title=f"方向{number + 1}")
        for _ in range(per_direction):
            proposal = Proposal.objects.create(
                call=call,
                direction=direction,
                applicant=applicant,
                lead_unit=OrganisationFactory(),
                title=f"申报书{next(_ids)}",
                state=Proposal.State.RECEIVED,
            )
            ProposalUnit.objects.create(proposal=proposal, organisation=proposal.lead_unit, role=ProposalUnit.Role.LEAD)
            ProposalUnit.objects.create(proposal=proposal, organisation=OrganisationFactory())
            Person.objects.create(
                proposal=proposal, name=f"负责人{proposal.pk}", id_number=person_id(), role=Person.Role.PROJECT_LEADER
            )
            subject_leader = Person.objects.create(
                proposal=proposal,
                name=f"课题负责人{proposal.pk}",
                id_number=person_id(),
                role=Person.Role.SUBJECT_LEADER,
            )
            subject = Subject.objects.create(
                proposal=proposal, number=1, unit=proposal.lead_unit, leader=subject_leader
            )
            subject.participant_units.add(OrganisationFactory())
            proposals.append(proposal)
    defaults = {"group_size": 4, "min_experts": 3, "collaboration_years": 3, "max_rounds_per_year": 2}
    review_round = ReviewRound.objects.create(
        title="首轮评审",
        kind=ReviewRound.Kind.FIRST_ROUND,
        call=call,
        special_project=special,
        managing_agency=special.managing_agency,
        year=YEAR,
        created_by=agency,
        **{**defaults, **fields},
    )
    services.round_items_add(actor=agency, review_round=review_round, proposals=proposals)
    return review_round, agency


def assert_nobody_recused(review_round):
    assignments = list(
        Assignment.objects.filter(item__review_round=review_round, state__in=services.ACTIVE_STATES).select_related(
            "item", "expert"
        )
    )
    assert assignments
    items = {fact.id: fact for fact in services.item_facts({a.item for a in assignments})}
    experts = {
        fact.id: fact for fact in services.expert_facts({a.expert for a in assignments}, review_round=review_round)
    }
    for assignment in assignments:
        assert not rules.recusal_reasons(
            experts[assignment.expert_id],
            items[assignment.item_id],
            year=review_round.year,
            collaboration_years=review_round.collaboration_years,
        ), assignment


def active_experts(item) -> set[int]:
    return set(item.assignments.filter(state__in=services.ACTIVE_STATES).values_list("expert_id", flat=True))


def test_items_are_grouped_by_direction():
    review_round, _agency = make_round(directions=2, per_direction=3)
    groups = list(review_round.groups.all())
    assert len(groups) == 2
    assert {group.items.count() for group in groups} == {3}
    assert all(item.group.direction_id == item.proposal.direction_id for item in review_round.items.all())


def test_v1_the_plan_never_assigns_a_recused_expert():
    review_round, agency = make_round(directions=2, per_direction=3, group_size=6)
    proposals = [item.proposal for item in review_round.items.select_related("proposal")]
    first = proposals[0]
    leader = first.people.get(role=Person.Role.PROJECT_LEADER)
    subject_participant = first.subjects.get().participant_units.get()
    participant = first.units.get(role=ProposalUnit.Role.PARTICIPANT).organisation
    # Every ground of recusal against the first application, by experts otherwise the best fit.
    expert(organisation=first.lead_unit)
    expert(organisation=participant)
    expert(organisation=subject_participant)
    expert(id_number=leader.id_number.lower())
    expert(name=leader.name)
    DeclaredConflict.objects.create(expert=expert(), organisation=first.lead_unit)
    DeclaredConflict.objects.create(expert=expert(), person_name="", person_id_number=leader.id_number)
    Collaboration.objects.create(expert=expert(), person_name=leader.name, year=YEAR - 3)
    for _ in range(6):
        expert()
    short = services.round_assign(actor=agency, review_round=review_round)
    assert short == {}
    assert_nobody_recused(review_round)
    for item in review_round.items.all():
        assert len(active_experts(item)) >= review_round.min_experts
    review_round.refresh_from_db()
    assert review_round.state == ReviewRound.State.ASSIGNED
    assert AuditEvent.objects.filter(action="review_round.assign", rule="V1").count() == 1


def test_v1_shortfall_is_named_when_too_few_experts_are_free():
    review_round, agency = make_round(directions=1, per_direction=2, min_experts=3)
    first = review_round.items.select_related("proposal").order_by("pk").first()
    expert()
    expert()
    expert(organisation=first.proposal.lead_unit)  # free only for the second application
    short = services.round_assign(actor=agency, review_round=review_round)
    assert list(short) == [first.pk]
    assert "only 2 experts" in short[first.pk] and "3 are needed" in short[first.pk]
    assert_nobody_recused(review_round)
    client = _client(agency)
    page = client.get(reverse("reviews:round_assignment", args=[review_round.pk]))
    assert page.status_code == 200
    assert page.content.decode().count('data-testid="item-short"') == 1


def test_v1_rotation_an_expert_at_the_limit_is_not_chosen():
    review_round, agency = make_round(directions=1, per_direction=1, min_experts=2, max_rounds_per_year=2)
    busy, once, fresh = expert(), expert(), expert()
    # Two other rounds of the same special project this year for ``busy``; one for ``once``;
    # a round of another year and a withdrawn assignment do not count.
    for number in range(2):
        other, _other_agency = make_round(directions=1, per_direction=1)
        ReviewRound.objects.filter(pk=other.pk).update(special_project=review_round.special_project)
        item = other.items.get()
        Assignment.objects.create(item=item, expert=busy)
        if number == 0:
            Assignment.objects.create(item=item, expert=once)
    old, _ = make_round(directions=1, per_direction=1)
    ReviewRound.objects.filter(pk=old.pk).update(special_project=review_round.special_project, year=YEAR - 1)
    Assignment.objects.create(item=old.items.get(), expert=fresh)
    facts = {f.id: f for f in services.expert_facts([busy, once, fresh], review_round=review_round)}
    assert (facts[busy.pk].rounds_this_year, facts[once.pk].rounds_this_year, facts[fresh.pk].rounds_this_year) == (
        2,
        1,
        0,
    )
    short = services.round_assign(actor=agency, review_round=review_round)
    assert short == {}
    assert active_experts(review_round.items.get()) == {once.pk, fresh.pk}


def test_rerun_replaces_only_undeclared_assignments():
    review_round, agency = make_round(directions=1, per_direction=1, min_experts=2, group_size=2)
    experts = [expert() for _ in range(3)]
    services.round_assign(actor=agency, review_round=review_round)
    item = review_round.items.get()
    declared = item.assignments.order_by("pk").first()
    Assignment.objects.filter(pk=declared.pk).update(state=Assignment.State.DECLARED)
    services.round_assign(actor=agency, review_round=review_round)
    assert item.assignments.filter(pk=declared.pk, state=Assignment.State.DECLARED).exists()
    assert len(active_experts(item)) == 2
    assert len(experts) == 3


def test_v1_swap_refused_when_the_new_expert_is_recused():
    review_round, agency = make_round(directions=1, per_direction=1, min_experts=1, group_size=1)
    expert()
    services.round_assign(actor=agency, review_round=review_round)
    assignment = Assignment.objects.get(item__review_round=review_round)
    item = assignment.item
    colleague = expert(organisation=item.proposal.lead_unit)
    with pytest.raises(RuleViolation) as refused:
        services.assignment_swap(actor=agency, assignment=assignment, expert=colleague, reason="专业更对口")
    assert refused.value.rule == "V1"
    assert "works at a unit of the application" in refused.value.message
    assignment.refresh_from_db()
    assert assignment.state == Assignment.State.ASSIGNED
    # A free expert is accepted, by hand and with the reason, and the old one withdrawn.
    free = expert(user=UserFactory(roles=["expert"]))
    replacement = services.assignment_swap(actor=agency, assignment=assignment, expert=free, reason="专业更对口")
    assignment.refresh_from_db()
    assert assignment.state == Assignment.State.WITHDRAWN
    assert (replacement.is_manual, replacement.reason, replacement.expert_id) == (True, "专业更对口", free.pk)
    assert item.group.members.filter(pk=free.pk).exists()  # the new expert sits in the group
    assert AuditEvent.objects.filter(action="assignment.swap").exists()
    assert Notification.objects.filter(recipient=free.user).exists()


def test_v1_swap_refused_past_rotation():
    review_round, agency = make_round(directions=1, per_direction=1, min_experts=1, group_size=1, max_rounds_per_year=1)
    expert()
    services.round_assign(actor=agency, review_round=review_round)
    assignment = Assignment.objects.get(item__review_round=review_round)
    tired = expert()
    other, _ = make_round(directions=1, per_direction=1)
    ReviewRound.objects.filter(pk=other.pk).update(special_project=review_round.special_project)
    Assignment.objects.create(item=other.items.get(), expert=tired)
    with pytest.raises(RuleViolation, match="rotation"):
        services.assignment_swap(actor=agency, assignment=assignment, expert=tired, reason="替换")


def test_v1_declaring_a_conflict_withdraws_and_replaces():
    review_round, agency = make_round(directions=1, per_direction=1, min_experts=1, group_size=1)
    user = UserFactory(roles=["expert"])
    declaring = expert(user=user)
    substitute = expert(user=UserFactory(roles=["expert"]))
    expert(organisation=review_round.items.get().proposal.lead_unit)  # recused: never the replacement
    services.round_assign(actor=agency, review_round=review_round)
    assignment = Assignment.objects.get(item__review_round=review_round, expert=declaring)
    services.assignment_declare(actor=user, assignment=assignment, has_conflict=True, conflict_note="曾为其博士导师")
    assignment.refresh_from_db()
    assert (assignment.state, assignment.reason) == (Assignment.State.WITHDRAWN, "曾为其博士导师")
    assert active_experts(assignment.item) == {substitute.pk}
    assert Notification.objects.filter(recipient=substitute.user).count() >= 1
    assert AuditEvent.objects.filter(action="assignment.withdraw_conflict", rule="V1").exists()


def test_v1_declaring_a_conflict_with_nobody_left_tells_the_agency():
    review_round, agency = make_round(directions=1, per_direction=1, min_experts=1, group_size=1)
    user = UserFactory(roles=["expert"])
    declaring = expert(user=user)
    services.round_assign(actor=agency, review_round=review_round)
    assignment = Assignment.objects.get(expert=declaring)
    services.assignment_declare(actor=user, assignment=assignment, has_conflict=True)
    assert active_experts(assignment.item) == set()
    assert Notification.objects.filter(recipient=agency, title__contains="no eligible expert").exists()


def test_declaring_no_conflict_opens_the_materials():
    review_round, agency = make_round(directions=1, per_direction=1, min_experts=1, group_size=1)
    user = UserFactory(roles=["expert"])
    own = expert(user=user)
    services.round_assign(actor=agency, review_round=review_round)
    assignment = Assignment.objects.get(expert=own)
    services.assignment_declare(actor=user, assignment=assignment, has_conflict=False)
    assignment.refresh_from_db()
    assert assignment.state == Assignment.State.DECLARED and assignment.declared_at is not None


def _client(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def test_an_expert_sees_only_their_own_assignments(api_client):
    review_round, agency = make_round(directions=1, per_direction=1, min_experts=2, group_size=2)
    mine_user, other_user = UserFactory(roles=["expert"]), UserFactory(roles=["expert"])
    mine, other = expert(user=mine_user), expert(user=other_user)
    services.round_assign(actor=agency, review_round=review_round)
    own = Assignment.objects.get(expert=mine)
    theirs = Assignment.objects.get(expert=other)
    api_client.force_authenticate(mine_user)
    listed = api_client.get("/api/v1/assignments/")
    assert listed.status_code == 200
    body = listed.json()
    rows = body["results"] if isinstance(body, dict) else body
    assert [row["id"] for row in rows] == [own.pk]
    assert api_client.get(f"/api/v1/assignments/{theirs.pk}/").status_code == 404
    assert api_client.post(f"/api/v1/assignments/{theirs.pk}/declare/", {"has_conflict": False}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.state == Assignment.State.ASSIGNED
    answered = api_client.post(f"/api/v1/assignments/{own.pk}/declare/", {"has_conflict": False}, format="json")
    assert answered.status_code == 200 and answered.json()["state"] == "declared"
    client = _client(mine_user)
    assert client.get(reverse("reviews:assignment_declare", args=[theirs.pk])).status_code == 404
    assert (
        client.post(reverse("reviews:assignment_declare", args=[theirs.pk]), {"has_conflict": "1"}).status_code == 404
    )
    theirs.refresh_from_db()
    assert theirs.state == Assignment.State.ASSIGNED
    assert client.get(reverse("reviews:assignment_declare", args=[own.pk])).status_code == 200
    # Nor can the expert open the agency's round page or swap anything.
    assert client.get(reverse("reviews:round_assignment", args=[review_round.pk])).status_code == 404


def test_another_agency_cannot_see_or_assign_the_round():
    review_round, _agency = make_round(directions=1, per_direction=1)
    stranger = UserFactory(organisation=OrganisationFactory(kind=Organisation.Kind.AGENCY), roles=["agency"])
    client = _client(stranger)
    assert client.get(reverse("reviews:round_assignment", args=[review_round.pk])).status_code == 404
    assert client.post(reverse("reviews:round_assign", args=[review_round.pk])).status_code == 404
    review_round.refresh_from_db()
    assert review_round.state == ReviewRound.State.DRAFT


def test_agency_pages_assign_and_swap(django_assert_max_num_queries):
    review_round, agency = make_round(directions=2, per_direction=2, min_experts=2, group_size=2)
    for _ in range(5):
        expert()
    client = _client(agency)
    response = client.post(reverse("reviews:round_assign", args=[review_round.pk]))
    assert response.status_code == 302
    url = reverse("reviews:round_assignment", args=[review_round.pk])
    with django_assert_max_num_queries(20):
        page = client.get(url)
    assert page.status_code == 200 and page.content.decode().count('data-testid="review-item"') == 4
    assignment = Assignment.objects.filter(item__review_round=review_round).first()
    new = expert()
    response = client.post(
        reverse("reviews:assignment_swap", args=[assignment.pk]), {"expert_id_number": new.id_number, "reason": "回避"}
    )
    assert response.status_code == 302
    assert Assignment.objects.filter(item=assignment.item, expert=new, is_manual=True).exists()


def test_item_facts_count_every_unit_and_person(django_assert_num_queries):
    review_round, _agency = make_round(directions=2, per_direction=3)
    items = list(ReviewItem.objects.filter(review_round=review_round))
    # Five queries for applications (a sixth, for projects, only when the round reviews projects).
    with django_assert_num_queries(5):
        facts = services.item_facts(items)
    proposal = items[0].proposal
    fact = next(f for f in facts if f.id == items[0].pk)
    assert fact.unit_ids == {
        proposal.lead_unit_id,
        *proposal.units.values_list("organisation_id", flat=True),
        *proposal.subjects.get().participant_units.values_list("pk", flat=True),
    }
    assert len(fact.unit_ids) == 3
    leader = proposal.people.get(role=Person.Role.PROJECT_LEADER)
    assert {rules.normal_id(leader.id_number), leader.name} <= fact.leaders


def test_v1_a_direction_discipline_draws_experts_of_that_discipline_first():
    """V1 — KRD-MGMT §26: experts are chosen by discipline; the direction's GB/T 13745 code
    goes to its review group and the plan takes experts of that code before any other."""
    review_round, agency = make_round(directions=0, per_direction=0, min_experts=2, group_size=2)
    direction = CallDirection.objects.create(
        call=review_round.call, code="9.1", title="材料方向", discipline_code="430.10"
    )
    proposal = Proposal.objects.create(
        call=review_round.call,
        direction=direction,
        applicant=UserFactory(roles=["applicant"]),
        lead_unit=OrganisationFactory(),
        title="材料申报书",
        state=Proposal.State.RECEIVED,
    )
    services.round_items_add(actor=agency, review_round=review_round, proposals=[proposal])
    group = review_round.groups.get()
    assert group.discipline_code == "430.10"
    for _ in range(3):
        expert(disciplines=["080"])
    matching = [expert(disciplines=["430.10"]) for _ in range(2)]
    assert services.round_assign(actor=agency, review_round=review_round) == {}
    assert active_experts(review_round.items.get()) == {member.pk for member in matching}


def test_a_direction_discipline_code_is_checked():
    call = CallFactory()
    direction = CallDirection(call=call, code="1.1", title="方向", discipline_code="43.1")
    with pytest.raises(ValidationError, match="GB/T 13745"):
        direction.full_clean()


def test_rerun_deletes_undeclared_assignments_in_constant_queries(django_assert_max_num_queries):
    review_round, agency = make_round(directions=2, per_direction=3, min_experts=3, group_size=4)
    for _ in range(5):
        expert()
    services.round_assign(actor=agency, review_round=review_round)
    first = Assignment.objects.filter(item__review_round=review_round).count()
    assert first == 6 * 4  # the whole group of four on each of the six items
    with django_assert_max_num_queries(30):
        services.round_assign(actor=agency, review_round=review_round)
    assert Assignment.objects.filter(item__review_round=review_round).count() == first
    assert_nobody_recused(review_round)
