"""Assignment of experts to review items (V1 — KRD-MGMT §26, INTL §12, EVAL §32): the facts the
pure rules need, one group per direction, the plan persisted, hand swaps, and each expert's
declaration of conflicts (a declared conflict withdraws the expert and brings a replacement)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.selectors import users_with_role
from core import audit
from core.exceptions import RuleViolation, StateConflict
from core.locks import lock
from core.notifications import notify
from projects.models import CallDirection, Person, Project, Proposal, ProposalUnit, Subject
from reviews import policies, rules
from reviews.models import (
    Assignment,
    Availability,
    Collaboration,
    DeclaredConflict,
    Expert,
    ExpertDiscipline,
    ReviewGroup,
    ReviewItem,
    ReviewRound,
    Score,
)

# Assignments that count as serving (rotation) and as holding a place on the item.
ACTIVE_STATES = (Assignment.State.ASSIGNED, Assignment.State.DECLARED, Assignment.State.SUBMITTED)
# Rounds whose experts may still be chosen or changed.
OPEN_FOR_ASSIGNMENT = (ReviewRound.State.DRAFT, ReviewRound.State.ASSIGNED)
OPEN_FOR_CHANGES = (ReviewRound.State.DRAFT, ReviewRound.State.ASSIGNED, ReviewRound.State.OPEN)


# ---- Facts for the pure rules ------------------------------------------------------------------


def _names(*values: str) -> set[str]:
    """A person as the rules compare them: the normalised ID number and the name."""
    return {value for value in values if value}


def item_facts(items: Iterable[ReviewItem]) -> list[rules.ItemFacts]:
    """V1 — the units and people of each item in five queries whatever the number of items (six with projects):
    units = the lead unit, every ProposalUnit, every subject unit and subject participant;
    people = every Person (normalised ID number and name); leaders = the project leader and
    the subject leaders. A project item uses its approved proposal plus the project's lead
    unit and leader."""
    items = list(items)
    project_ids = {item.project_id for item in items if item.project_id}
    projects = {
        pk: (lead_unit_id, proposal_id, leader_name)
        for pk, lead_unit_id, proposal_id, leader_name in Project.objects.filter(pk__in=project_ids).values_list(
            "pk", "lead_unit_id", "proposal_id", "leader__real_name"
        )
    }
    proposal_of = {item.pk: item.proposal_id or (projects.get(item.project_id, (None, None, ""))[1]) for item in items}
    proposal_ids = {pk for pk in proposal_of.values() if pk}
    units: dict[int, set[int]] = defaultdict(set)
    people: dict[int, set[str]] = defaultdict(set)
    leaders: dict[int, set[str]] = defaultdict(set)
    for pk, lead_unit_id in Proposal.objects.filter(pk__in=proposal_ids).values_list("pk", "lead_unit_id"):
        units[pk].add(lead_unit_id)
    for proposal_id, organisation_id in ProposalUnit.objects.filter(proposal_id__in=proposal_ids).values_list(
        "proposal_id", "organisation_id"
    ):
        units[proposal_id].add(organisation_id)
    for proposal_id, unit_id, leader_name, leader_id_number in Subject.objects.filter(
        proposal_id__in=proposal_ids
    ).values_list("proposal_id", "unit_id", "leader__name", "leader__id_number"):
        if unit_id:
            units[proposal_id].add(unit_id)
        leaders[proposal_id] |= _names(rules.normal_id(leader_id_number or ""), leader_name or "")
    for proposal_id, organisation_id in Subject.participant_units.through.objects.filter(
        subject__proposal_id__in=proposal_ids
    ).values_list("subject__proposal_id", "organisation_id"):
        units[proposal_id].add(organisation_id)
    leading = (Person.Role.PROJECT_LEADER, Person.Role.SUBJECT_LEADER)
    for proposal_id, name, id_number, role in Person.objects.filter(proposal_id__in=proposal_ids).values_list(
        "proposal_id", "name", "id_number", "role"
    ):
        person = _names(rules.normal_id(id_number), name)
        people[proposal_id] |= person
        if role in leading:
            leaders[proposal_id] |= person
    facts = []
    for item in items:
        proposal_id = proposal_of[item.pk]
        item_units = set(units.get(proposal_id, ()))
        item_people = set(people.get(proposal_id, ()))
        item_leaders = set(leaders.get(proposal_id, ()))
        if item.project_id in projects:
            lead_unit_id, _proposal_id, leader_name = projects[item.project_id]
            item_units.add(lead_unit_id)
            item_people |= _names(leader_name or "")
            item_leaders |= _names(leader_name or "")
        facts.append(
            rules.ItemFacts(
                id=item.pk,
                group=str(item.group_id or ""),
                discipline=item.discipline_code,
                unit_ids=frozenset(item_units),
                people=frozenset(item_people | item_leaders),
                leaders=frozenset(item_leaders),
            )
        )
    return facts


def _review_date(review_round: ReviewRound):
    return timezone.localdate(review_round.deadline) if review_round.deadline else timezone.localdate()


def expert_facts(experts: Iterable[Expert], *, review_round: ReviewRound) -> list[rules.ExpertFacts]:
    """V1 and rotation — each expert's organisation, disciplines (primary first), declared
    conflicts, collaborations, the rounds served this year for the round's special project
    (distinct other rounds of the same special project and year with a non-withdrawn
    assignment) and availability on the round's deadline (today without one): five queries."""
    experts = list(experts)
    ids = [expert.pk for expert in experts]
    disciplines: dict[int, list[str]] = defaultdict(list)
    for expert_id, code in (
        ExpertDiscipline.objects.filter(expert_id__in=ids)
        .order_by("expert_id", "-is_primary", "code")
        .values_list("expert_id", "code")
    ):
        disciplines[expert_id].append(code)
    conflict_organisations: dict[int, set[int]] = defaultdict(set)
    conflict_people: dict[int, set[str]] = defaultdict(set)
    for expert_id, organisation_id, name, id_number in DeclaredConflict.objects.filter(expert_id__in=ids).values_list(
        "expert_id", "organisation_id", "person_name", "person_id_number"
    ):
        if organisation_id:
            conflict_organisations[expert_id].add(organisation_id)
        conflict_people[expert_id] |= _names(rules.normal_id(id_number), name.strip())
    collaborations: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for expert_id, name, id_number, year in Collaboration.objects.filter(expert_id__in=ids).values_list(
        "expert_id", "person_name", "person_id_number", "year"
    ):
        collaborations[expert_id] += [(person, year) for person in _names(rules.normal_id(id_number), name.strip())]
    served = dict(
        Assignment.objects.filter(
            expert_id__in=ids,
            state__in=ACTIVE_STATES,
            item__review_round__special_project_id=review_round.special_project_id,
            item__review_round__year=review_round.year,
        )
        .exclude(item__review_round_id=review_round.pk)
        .values("expert_id")
        .annotate(rounds=Count("item__review_round_id", distinct=True))
        .values_list("expert_id", "rounds")
    )
    on = _review_date(review_round)
    windows: dict[int, list[bool]] = defaultdict(list)
    for expert_id, starts_on, ends_on in Availability.objects.filter(expert_id__in=ids).values_list(
        "expert_id", "starts_on", "ends_on"
    ):
        windows[expert_id].append(starts_on <= on <= ends_on)
    return [
        rules.ExpertFacts(
            id=expert.pk,
            name=expert.name,
            id_number=expert.id_number,
            organisation_id=expert.organisation_id,
            disciplines=tuple(disciplines.get(expert.pk, ())),
            conflict_organisations=frozenset(conflict_organisations.get(expert.pk, ())),
            conflict_people=frozenset(conflict_people.get(expert.pk, ())),
            collaborations=tuple(collaborations.get(expert.pk, ())),
            rounds_this_year=served.get(expert.pk, 0),
            is_available=expert.pk not in windows or any(windows[expert.pk]),
            expertise=expert.expertise,
        )
        for expert in experts
    ]


# ---- Locking -----------------------------------------------------------------------------------


def lock_round(review_round: ReviewRound) -> ReviewRound:
    """The round row locked (not its call) before anything about it changes."""
    return lock(ReviewRound, review_round.pk, related=("call",))


def _lock_assignment(assignment: Assignment) -> Assignment:
    return lock(Assignment, assignment.pk, related=("item__review_round", "item__group", "expert__user"))


def _round_link(review_round: ReviewRound) -> str:
    return reverse("reviews:round_assignment", args=[review_round.pk])


def _declare_link(assignment_id: int) -> str:
    return reverse("reviews:assignment_declare", args=[assignment_id])


# ---- Items and groups --------------------------------------------------------------------------


@transaction.atomic
def round_items_add(*, actor, review_round: ReviewRound, proposals: Iterable[Proposal]) -> list[ReviewItem]:
    """Put applications of the round's call under review, one group (评审组) per direction of
    the call; applications already in the round are left as they are."""
    review_round = lock_round(review_round)
    if not policies.may_manage_round(actor, review_round):
        raise PermissionDenied
    if review_round.state not in OPEN_FOR_ASSIGNMENT:
        raise StateConflict(_("Items can be added only before scoring opens."), code="round_not_draft")
    proposals = list(proposals)
    foreign = [proposal for proposal in proposals if proposal.call_id != review_round.call_id]
    if review_round.call_id is None or foreign:
        raise RuleViolation(
            "V1", _("Only applications to the call of this review round can be reviewed in it."), code="wrong_call"
        )
    _require_intl_eligible(review_round, proposals)
    groups = {group.direction_id: group for group in review_round.groups.select_related("direction")}
    directions = {direction.pk: direction for direction in CallDirection.objects.filter(call_id=review_round.call_id)}
    for direction_id in sorted({proposal.direction_id for proposal in proposals} - set(groups), key=lambda d: d or 0):
        direction = directions.get(direction_id)
        groups[direction_id] = ReviewGroup.objects.create(
            review_round=review_round,
            direction=direction,
            name=str(direction) if direction else _("Applications without a direction"),
            discipline_code=direction.discipline_code if direction else "",
        )
    existing = set(review_round.items.filter(proposal__isnull=False).values_list("proposal_id", flat=True))
    created = ReviewItem.objects.bulk_create(
        ReviewItem(review_round=review_round, proposal=proposal, group=groups[proposal.direction_id])
        for proposal in proposals
        if proposal.pk not in existing
    )
    audit.record(
        actor=actor,
        action="review_round.items_add",
        target=review_round,
        rule="V1",
        changes={"items": [len(existing), len(existing) + len(created)]},
    )
    return created


def intl_supported(review_round: ReviewRound, kind: str) -> set[int]:
    """The applications a finished ``kind`` round of the same call supported (more than half
    of the submitted recommendations)."""
    recommendations: dict[int, list[str]] = {}
    rows = Assignment.objects.filter(
        item__review_round__call_id=review_round.call_id,
        item__review_round__kind=kind,
        item__review_round__state__in=("closed", "published"),
        state=Assignment.State.SUBMITTED,
    ).values_list("item__proposal_id", "recommendation")
    for proposal_id, recommendation in rows:
        recommendations.setdefault(proposal_id, []).append(recommendation)
    return {proposal_id for proposal_id, values in recommendations.items() if rules.is_supported(values)}


def _require_intl_eligible(review_round: ReviewRound, proposals: list) -> None:
    """P12 — INTL §22: technical review takes only what the strategic review supported; budget
    review only what the technical review supported and asks for more than the call's amount."""
    call = review_round.call
    before = rules.intl_stage_before(review_round.kind)
    if call.special_project.program.code != "intl" or before is None:
        return
    supported = intl_supported(review_round, before)
    refused = [proposal for proposal in proposals if proposal.pk not in supported]
    if review_round.kind == ReviewRound.Kind.BUDGET:
        requested = dict(
            Proposal.objects.filter(pk__in=[p.pk for p in proposals])
            .annotate(total=Sum("subjects__requested_funds"))
            .values_list("pk", "total")
        )
        refused += [
            proposal
            for proposal in proposals
            if proposal.pk in supported
            and not rules.needs_budget_review(requested=requested.get(proposal.pk), threshold=call.budget_review_above)
        ]
    if refused:
        raise RuleViolation(
            "P12",
            _(
                "INTL §22: %(items)s cannot enter this stage (not supported by the %(before)s, or not above the budget-review amount)."
            )
            % {"items": ", ".join(str(proposal) for proposal in refused), "before": ReviewRound.Kind(before).label},
            code="intl_not_eligible",
        )


# ---- Panels of mid-term checks and acceptance (V3 — KRD-MGMT §53) -------------------------------


@transaction.atomic
def round_panel_form(*, actor, review_round: ReviewRound) -> dict[str, int]:
    """V3 — the panel of a project's mid-term check or acceptance: the round's mix of
    technical, management and industry experts, none with a conflict with the project's
    units or people (recusal as for applications), within availability and rotation. Returns
    the kinds still missing (kind → how many)."""
    review_round = lock_round(review_round)
    if not policies.may_manage_round(actor, review_round):
        raise PermissionDenied
    if review_round.project_id is None:
        raise StateConflict(_("A panel is formed for a project's review."), code="not_a_project_round")
    if review_round.state not in OPEN_FOR_ASSIGNMENT:
        raise StateConflict(_("Experts can be assigned only before scoring opens."), code="round_not_draft")
    composition = {
        "technical": review_round.technical_experts,
        "management": review_round.management_experts,
        "industry": review_round.industry_experts,
    }
    if not any(composition.values()):
        raise RuleViolation(
            "V3",
            _("KRD-MGMT §53: say how many technical, management and industry experts the panel needs."),
            code="panel_composition_missing",
        )
    group, _created = ReviewGroup.objects.get_or_create(
        review_round=review_round, direction=None, defaults={"name": _("Panel")}
    )
    item, _created = ReviewItem.objects.get_or_create(
        review_round=review_round, project_id=review_round.project_id, defaults={"group": group}
    )
    item.assignments.filter(state=Assignment.State.ASSIGNED, is_manual=False).delete()
    [facts] = item_facts([item])
    experts = expert_facts(Expert.objects.filter(is_active=True), review_round=review_round)
    kept = set(item.assignments.exclude(state=Assignment.State.WITHDRAWN).values_list("expert_id", flat=True))
    chosen, missing = rules.plan_panel(
        facts,
        [expert for expert in experts if expert.id not in kept],
        composition=composition,
        year=review_round.year,
        collaboration_years=review_round.collaboration_years,
        max_rounds_per_year=review_round.max_rounds_per_year,
    )
    created = Assignment.objects.bulk_create(Assignment(item=item, expert_id=expert_id) for expert_id in chosen)
    group.members.add(*chosen)
    review_round.state = ReviewRound.State.ASSIGNED
    review_round.save(update_fields=["state"])
    audit.record(
        actor=actor,
        action="review_round.panel",
        target=review_round,
        rule="V3",
        changes={"experts": [None, len(created)], "missing": [None, missing]},
    )
    _notify_assigned(review_round, created)
    return missing


# ---- The assignment ----------------------------------------------------------------------------


def _candidates_order(
    candidates: list[rules.ExpertFacts], *, discipline: str, load: dict[int, int]
) -> list[rules.ExpertFacts]:
    return sorted(
        (expert for expert in candidates if rules.discipline_match(expert, discipline) > 0),
        key=lambda e: (-rules.discipline_match(e, discipline), load.get(e.id, 0), e.id),
    )


def _eligible(expert: rules.ExpertFacts, review_round: ReviewRound) -> bool:
    return expert.is_available and rules.rotation_allows(
        rounds_this_year=expert.rounds_this_year, max_rounds_per_year=review_round.max_rounds_per_year
    )


def _recused(expert: rules.ExpertFacts, item: rules.ItemFacts, review_round: ReviewRound) -> list[str]:
    return rules.recusal_reasons(
        expert, item, year=review_round.year, collaboration_years=review_round.collaboration_years
    )


def _delete_undeclared(review_round: ReviewRound) -> int:
    """The automatic assignments nobody has declared on, deleted in one statement. They hold no
    scores (scoring starts after the declaration), so the scores' cascade is one statement
    too instead of Django's collector deleting 100 rows a query."""
    undeclared = Assignment.objects.filter(
        item__review_round=review_round, state=Assignment.State.ASSIGNED, is_manual=False
    )
    Score.objects.filter(assignment__in=undeclared).delete()
    return undeclared._raw_delete(undeclared.db)


@transaction.atomic
def round_assign(*, actor, review_round: ReviewRound) -> dict[int, str]:
    """V1 — choose the groups and each item's experts with ``rules.plan_assignments`` over the
    active experts of the library and persist them; the round becomes ``assigned``. Running
    it again replaces only the assignments nobody has declared on yet (and not those the
    agency made by hand); an expert who withdrew from an item is never put back on it.
    Returns the items left under the minimum, with the reason (item id → reason)."""
    review_round = lock_round(review_round)
    if not policies.may_manage_round(actor, review_round):
        raise PermissionDenied
    if review_round.state not in OPEN_FOR_ASSIGNMENT:
        raise StateConflict(_("Experts can be assigned only before scoring opens."), code="round_not_draft")
    items = list(review_round.items.select_related("group").order_by("pk"))
    if not items:
        raise RuleViolation("V1", _("The round has no applications to assign yet."), code="no_items")
    replaced = _delete_undeclared(review_round)
    held: dict[int, list[int]] = defaultdict(list)  # declared, submitted or hand-made: kept
    barred: dict[int, set[int]] = defaultdict(set)  # withdrawn: never put back on the item
    for item_id, expert_id, state in Assignment.objects.filter(item__review_round=review_round).values_list(
        "item_id", "expert_id", "state"
    ):
        if state == Assignment.State.WITHDRAWN:
            barred[item_id].add(expert_id)
        else:
            held[item_id].append(expert_id)
    facts = item_facts(items)
    experts = expert_facts(Expert.objects.filter(is_active=True).order_by("pk"), review_round=review_round)
    groups = {str(item.group_id or ""): item.group for item in items}
    plan = rules.plan_assignments(
        facts,
        experts,
        group_size=review_round.group_size,
        min_experts=review_round.min_experts,
        year=review_round.year,
        collaboration_years=review_round.collaboration_years,
        max_rounds_per_year=review_round.max_rounds_per_year,
        group_disciplines={
            key: group.discipline_code for key, group in groups.items() if group and group.discipline_code
        },
    )
    by_id = {expert.id: expert for expert in experts}
    eligible = [expert for expert in experts if _eligible(expert, review_round)]
    load = defaultdict(int, plan.load)
    new: list[Assignment] = []
    short: dict[int, str] = {}
    for item, fact in zip(items, facts, strict=True):
        kept = held.get(item.pk, [])
        chosen = [expert_id for expert_id in plan.items.get(item.pk, []) if expert_id not in barred[item.pk]]
        chosen = [expert_id for expert_id in chosen if expert_id not in kept]
        need = review_round.min_experts - len(kept) - len(chosen)
        if need > 0:
            taken = set(kept) | set(chosen) | barred[item.pk]
            discipline = fact.discipline or (item.group.discipline_code if item.group else "")
            for expert in _candidates_order(
                [e for e in eligible if e.id not in taken and not _recused(e, fact, review_round)],
                discipline=discipline,
                load=load,
            )[:need]:
                chosen.append(expert.id)
                load[expert.id] += 1
        # The plan never proposes a recused expert; checked again here because this is the last
        # line before the database.
        chosen = [expert_id for expert_id in chosen if not _recused(by_id[expert_id], fact, review_round)]
        new += [Assignment(item=item, expert_id=expert_id) for expert_id in chosen]
        total = len(kept) + len(chosen)
        if total < review_round.min_experts:
            short[item.pk] = plan.short.get(item.pk) or _(
                "only %(found)d experts of the discipline are free of conflicts and within their rotation; "
                "%(needed)d are needed"
            ) % {"found": total, "needed": review_round.min_experts}
    Assignment.objects.bulk_create(new, batch_size=2000)
    membership = ReviewGroup.members.through
    membership.objects.filter(reviewgroup__review_round=review_round).delete()
    membership.objects.bulk_create(
        (
            membership(reviewgroup_id=group.pk, expert_id=expert_id)
            for key, group in groups.items()
            if group is not None
            for expert_id in plan.groups.get(key, [])
        ),
        batch_size=2000,
    )
    old_state = review_round.state
    review_round.state = ReviewRound.State.ASSIGNED
    review_round.save(update_fields=["state"])
    audit.record(
        actor=actor,
        action="review_round.assign",
        target=review_round,
        rule="V1",
        changes={
            "state": [old_state, review_round.state],
            "assignments": [replaced, len(new)],
            "short": [None, {str(item_id): reason for item_id, reason in short.items()}],
        },
    )
    _notify_assigned(review_round, new)
    return short


def _notify_assigned(review_round: ReviewRound, assignments: list[Assignment]) -> None:
    counts: dict[int, int] = defaultdict(int)
    for assignment in assignments:
        counts[assignment.expert_id] += 1
    users = {
        expert.pk: expert.user
        for expert in Expert.objects.filter(pk__in=counts, user__isnull=False).select_related("user")
    }
    by_count: dict[int, list] = defaultdict(list)
    for expert_id, user in users.items():
        by_count[counts[expert_id]].append(user)
    for count, recipients in by_count.items():
        notify(
            recipients=recipients,
            title=_("%(round)s: you are asked to review %(count)d application(s); declare any conflict first")
            % {"round": review_round.title, "count": count},
        )


# ---- Hand swaps --------------------------------------------------------------------------------


@transaction.atomic
def assignment_swap(*, actor, assignment: Assignment, expert: Expert, reason: str) -> Assignment:
    """V1 — the agency replaces an expert by hand, with a reason. Refused when the new expert
    is recused for the item or past their rotation (KRD-MGMT §26)."""
    assignment = _lock_assignment(assignment)
    review_round = assignment.item.review_round
    if not policies.may_manage_round(actor, review_round):
        raise PermissionDenied
    if review_round.state not in OPEN_FOR_CHANGES:
        raise StateConflict(_("The round is closed: its experts can no longer change."), code="round_closed")
    if assignment.state not in (Assignment.State.ASSIGNED, Assignment.State.DECLARED):
        raise StateConflict(
            _("Only an expert who has not submitted can be replaced."), code="assignment_not_replaceable"
        )
    reason = (reason or "").strip()
    if not reason:
        raise RuleViolation("V1", _("Give the reason for the change."), fields={"reason": [_("Required.")]})
    if not expert.is_active:
        raise RuleViolation("V1", _("%(expert)s is not in the expert library.") % {"expert": expert})
    if Assignment.objects.filter(item=assignment.item, expert=expert).exists():
        raise RuleViolation(
            "V1", _("%(expert)s is already on this application (or withdrew from it).") % {"expert": expert}
        )
    (item,) = item_facts([assignment.item])
    (facts,) = expert_facts([expert], review_round=review_round)
    reasons = _recused(facts, item, review_round)
    if reasons:
        raise RuleViolation(
            "V1",
            _("%(expert)s must recuse from this application (KRD-MGMT §26): %(reasons)s.")
            % {"expert": expert, "reasons": "; ".join(reasons)},
            code="recused",
        )
    if not rules.rotation_allows(
        rounds_this_year=facts.rounds_this_year, max_rounds_per_year=review_round.max_rounds_per_year
    ):
        raise RuleViolation(
            "V1",
            _(
                "%(expert)s has already served %(count)d review rounds of this special project this year; "
                "rotation (KRD-MGMT §26) allows %(limit)d."
            )
            % {"expert": expert, "count": facts.rounds_this_year, "limit": review_round.max_rounds_per_year},
            code="rotation",
        )
    old_expert = assignment.expert
    assignment.state = Assignment.State.WITHDRAWN
    assignment.reason = reason[:300]
    assignment.save(update_fields=["state", "reason"])
    replacement = Assignment.objects.create(item=assignment.item, expert=expert, is_manual=True, reason=reason[:300])
    if assignment.item.group_id is not None:
        assignment.item.group.members.add(expert)
    audit.record(
        actor=actor,
        action="assignment.swap",
        target=assignment.item,
        rule="V1",
        changes={"expert": [old_expert.pk, expert.pk], "reason": [None, reason]},
    )
    if expert.user_id:
        notify(
            recipients=[expert.user],
            title=_("%(round)s: you are asked to review an application; declare any conflict first")
            % {"round": review_round.title},
            link=_declare_link(replacement.pk),
        )
    if old_expert.user_id:
        notify(
            recipients=[old_expert.user],
            title=_("%(round)s: an application was reassigned to another expert") % {"round": review_round.title},
            body=reason,
        )
    return replacement


# ---- Declarations ------------------------------------------------------------------------------


def _replacement_for(assignment: Assignment) -> Expert | None:
    """The best eligible expert free of conflicts with the item and not yet on it: the best
    discipline match, then the lightest load in the round."""
    item = assignment.item
    review_round = item.review_round
    (fact,) = item_facts([item])
    candidates = Expert.objects.filter(is_active=True).exclude(assignments__item=item).order_by("pk")
    experts = expert_facts(candidates, review_round=review_round)
    load = dict(
        Assignment.objects.filter(item__review_round=review_round, state__in=ACTIVE_STATES)
        .values("expert_id")
        .annotate(n=Count("id"))
        .values_list("expert_id", "n")
    )
    members = set(item.group.members.values_list("pk", flat=True)) if item.group_id else set()
    discipline = item.discipline_code or (item.group.discipline_code if item.group_id else "")
    ranked = _candidates_order(
        [e for e in experts if _eligible(e, review_round) and not _recused(e, fact, review_round)],
        discipline=discipline,
        load=load,
    )
    ranked.sort(key=lambda e: e.id not in members)  # stable: group members first
    return Expert.objects.select_related("user").get(pk=ranked[0].id) if ranked else None


@transaction.atomic
def assignment_declare(*, actor, assignment: Assignment, has_conflict: bool, conflict_note: str = "") -> Assignment:
    """V1 — the expert declares, before the materials open, whether they have a conflict with
    the application (EVAL §32 回避). No conflict: the assignment is declared and scoring opens
    to them. A conflict: they are withdrawn with the reason recorded, and the best eligible
    expert free of conflicts takes their place (the agency is told when nobody can)."""
    assignment = _lock_assignment(assignment)
    if not policies.is_assigned_expert(actor, assignment):
        raise PermissionDenied
    review_round = assignment.item.review_round
    if review_round.state not in OPEN_FOR_CHANGES:
        raise StateConflict(_("The round is closed."), code="round_closed")
    if assignment.state != Assignment.State.ASSIGNED:
        raise StateConflict(_("You have already declared on this application."), code="already_declared")
    now = timezone.now()
    if not has_conflict:
        assignment.state = Assignment.State.DECLARED
        assignment.declared_at = now
        assignment.save(update_fields=["state", "declared_at"])
        audit.record(
            actor=actor,
            action="assignment.declare",
            target=assignment,
            rule="V1",
            changes={"state": [Assignment.State.ASSIGNED, Assignment.State.DECLARED]},
        )
        return assignment
    note = (conflict_note or "").strip() or _("conflict of interest declared by the expert")
    assignment.state = Assignment.State.WITHDRAWN
    assignment.declared_at = now
    assignment.reason = note[:300]
    assignment.save(update_fields=["state", "declared_at", "reason"])
    replacement_expert = _replacement_for(assignment)
    replacement = None
    if replacement_expert is not None:
        replacement = Assignment.objects.create(
            item=assignment.item,
            expert=replacement_expert,
            reason=_("replaces %(expert)s, who declared a conflict") % {"expert": assignment.expert},
        )
    audit.record(
        actor=actor,
        action="assignment.withdraw_conflict",
        target=assignment,
        rule="V1",
        changes={
            "state": [Assignment.State.ASSIGNED, Assignment.State.WITHDRAWN],
            "reason": [None, note],
            "replacement": [None, replacement_expert.pk if replacement_expert else None],
        },
    )
    if replacement is not None and replacement_expert.user_id:
        notify(
            recipients=[replacement_expert.user],
            title=_("%(round)s: you are asked to review an application; declare any conflict first")
            % {"round": review_round.title},
            link=_declare_link(replacement.pk),
        )
    if replacement is None:
        notify(
            recipients=users_with_role(organisation_id=review_round.managing_agency_id, role="agency"),
            title=_("%(round)s: an expert declared a conflict and no eligible expert can replace them")
            % {"round": review_round.title},
            body=_("Application: %(item)s. Choose an expert by hand.") % {"item": assignment.item},
            link=_round_link(review_round),
        )
    return assignment
