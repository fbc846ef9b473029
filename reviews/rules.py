"""The review rules as pure functions: recusal (V1), rotation, aggregation, spread, ranking,
and the assignment plan of groups and items. No database: services pass plain facts in."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

from core.identity import normal_id

TWO = Decimal("0.01")


# ---- Recusal (V1 — KRD-MGMT §26, INTL §12, EVAL §32) -------------------------------------------


@dataclass(frozen=True)
class ExpertFacts:
    id: int
    name: str
    id_number: str
    organisation_id: int | None
    disciplines: tuple[str, ...] = ()  # primary first
    conflict_organisations: frozenset[int] = frozenset()
    conflict_people: frozenset[str] = frozenset()  # normalised ID numbers or names
    collaborations: tuple[tuple[str, int], ...] = ()  # (normalised ID number or name, year)
    rounds_this_year: int = 0  # rounds served for the special project this year (rotation)
    is_available: bool = True
    expertise: str = "technical"

    @property
    def primary(self) -> str:
        return self.disciplines[0] if self.disciplines else ""


@dataclass(frozen=True)
class ItemFacts:
    id: int
    group: str  # the direction or group key
    discipline: str = ""
    unit_ids: frozenset[int] = frozenset()  # lead and participant units
    people: frozenset[str] = frozenset()  # normalised ID numbers and names of everyone named
    leaders: frozenset[str] = frozenset()  # normalised ID numbers and names of the leaders


def recusal_reasons(expert: ExpertFacts, item: ItemFacts, *, year: int, collaboration_years: int) -> list[str]:
    """V1 — why ``expert`` may not review ``item`` (empty: they may). An expert is recused when
    they share an organisation with the lead or any participant unit, are named in the item,
    declared a conflict with one of its units or people, or collaborated with its leader within
    ``collaboration_years`` years before ``year`` (KRD-MGMT §26, INTL §12, EVAL §32)."""
    reasons = []
    if expert.organisation_id is not None and expert.organisation_id in item.unit_ids:
        reasons.append(_("works at a unit of the application"))
    own = {normal_id(expert.id_number), expert.name} - {""}
    if own & item.people:
        reasons.append(_("is named in the application"))
    if expert.conflict_organisations & item.unit_ids or expert.conflict_people & item.people:
        reasons.append(_("declared a conflict with it"))
    earliest = year - collaboration_years
    if any(person in item.leaders and collaborated >= earliest for person, collaborated in expert.collaborations):
        reasons.append(_("collaborated with its leader within %(years)d years") % {"years": collaboration_years})
    return reasons


def rotation_allows(*, rounds_this_year: int, max_rounds_per_year: int) -> bool:
    """Rotation (KRD-MGMT §26 轮换机制): an expert serves at most ``max_rounds_per_year`` rounds
    of one special project in a year; one more is refused."""
    return rounds_this_year < max_rounds_per_year


# ---- The assignment plan -----------------------------------------------------------------------


def discipline_match(expert: ExpertFacts, discipline: str) -> int:
    """How well the expert fits a discipline code: 3 primary exact, 2 any exact, 1 same first
    level (the code before the dot), 0 none."""
    if not discipline:
        return 1
    if expert.primary == discipline:
        return 3
    if discipline in expert.disciplines:
        return 2
    head = discipline.split(".")[0]
    if any(code.split(".")[0] == head for code in expert.disciplines):
        return 1
    return 0


@dataclass
class ConflictIndex:
    """The items of a group by unit, by person named and by leader, so that an expert's
    conflicts are found by looking up what they are tied to rather than by checking every
    item (the same grounds as ``recusal_reasons``)."""

    by_unit: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    by_person: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    by_leader: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))

    @classmethod
    def of(cls, items: list[ItemFacts]) -> ConflictIndex:
        index = cls()
        for item in items:
            for unit in item.unit_ids:
                index.by_unit[unit].add(item.id)
            for person in item.people - {""}:
                index.by_person[person].add(item.id)
            for leader in item.leaders - {""}:
                index.by_leader[leader].add(item.id)
        return index

    def conflicted(self, expert: ExpertFacts, *, year: int, collaboration_years: int) -> set[int]:
        """V1 — the items of the index ``expert`` is recused from."""
        hits: set[int] = set()
        for unit in {expert.organisation_id, *expert.conflict_organisations} - {None}:
            hits |= self.by_unit.get(unit, set())
        for person in ({normal_id(expert.id_number), expert.name} | expert.conflict_people) - {""}:
            hits |= self.by_person.get(person, set())
        earliest = year - collaboration_years
        for person, collaborated in expert.collaborations:
            if collaborated >= earliest:
                hits |= self.by_leader.get(person, set())
        return hits


@dataclass
class Plan:
    """Groups of experts and each item's experts; items left under the minimum, with why."""

    groups: dict[str, list[int]] = field(default_factory=dict)
    items: dict[int, list[int]] = field(default_factory=dict)
    short: dict[int, str] = field(default_factory=dict)
    load: dict[int, int] = field(default_factory=lambda: defaultdict(int))


def plan_assignments(
    items: list[ItemFacts],
    experts: list[ExpertFacts],
    *,
    group_size: int,
    min_experts: int,
    year: int,
    collaboration_years: int,
    max_rounds_per_year: int,
    group_disciplines: dict[str, str] | None = None,
) -> Plan:
    """V1 — a group of ``group_size`` experts per group (direction), chosen by discipline match
    and then by the lightest load; each item is reviewed by the group's members who are not
    recused, topped up from outside the group when fewer than ``min_experts`` remain. Experts
    unavailable or past their rotation limit are never chosen. An item that cannot reach the
    minimum is reported in ``short`` with the reason, never silently left short."""
    plan = Plan()
    eligible = [
        expert
        for expert in experts
        if expert.is_available
        and rotation_allows(rounds_this_year=expert.rounds_this_year, max_rounds_per_year=max_rounds_per_year)
    ]
    by_group: dict[str, list[ItemFacts]] = defaultdict(list)
    for item in items:
        by_group[item.group].append(item)
    group_disciplines = group_disciplines or {}
    for group, group_items in sorted(by_group.items()):
        discipline = group_disciplines.get(group) or _most_common(item.discipline for item in group_items)
        # Members conflicted with the fewest items of the group first, then the best fit, the
        # lightest load, and a stable order.
        index = ConflictIndex.of(group_items)
        recused = {
            expert.id: index.conflicted(expert, year=year, collaboration_years=collaboration_years)
            for expert in eligible
        }
        conflicts = {
            expert.id: len(recused[expert.id]) for expert in eligible if discipline_match(expert, discipline) > 0
        }
        ranked = sorted(
            (expert for expert in eligible if expert.id in conflicts),
            key=lambda e: (
                conflicts[e.id] == len(group_items),
                -discipline_match(e, discipline),
                plan.load[e.id],
                conflicts[e.id],
                e.id,
            ),
        )
        members = [expert for expert in ranked if conflicts[expert.id] < len(group_items)][:group_size]
        plan.groups[group] = [expert.id for expert in members]
        for expert in members:
            plan.load[expert.id] += 1
        for item in group_items:
            chosen = [expert.id for expert in members if item.id not in recused[expert.id]]
            if len(chosen) < min_experts:
                extra = sorted(
                    (
                        expert
                        for expert in eligible
                        if expert.id not in chosen
                        and discipline_match(expert, item.discipline or discipline) > 0
                        and item.id not in recused[expert.id]
                    ),
                    key=lambda e: (-discipline_match(e, item.discipline or discipline), plan.load[e.id], e.id),
                )
                for expert in extra[: min_experts - len(chosen)]:
                    chosen.append(expert.id)
                    plan.load[expert.id] += 1
            plan.items[item.id] = chosen
            if len(chosen) < min_experts:
                plan.short[item.id] = _(
                    "only %(found)d experts of the discipline are free of conflicts and within their rotation; "
                    "%(needed)d are needed"
                ) % {"found": len(chosen), "needed": min_experts}
    return plan


def _most_common(codes) -> str:
    counts: dict[str, int] = defaultdict(int)
    for code in codes:
        if code:
            counts[code] += 1
    return max(sorted(counts), key=counts.__getitem__) if counts else ""


# ---- Scores, aggregation, spread, ranking ------------------------------------------------------


@dataclass(frozen=True)
class CriterionFacts:
    id: int
    weight: Decimal
    scale_max: int


def expert_total(scores: dict[int, Decimal], criteria: list[CriterionFacts], *, weighted: bool = True) -> Decimal:
    """One expert's total on 100: each criterion's score as a share of its scale, weighted by
    the criterion's weight (or equally when ``weighted`` is False)."""
    weights = [criterion.weight if weighted else Decimal(1) for criterion in criteria]
    total_weight = sum(weights, Decimal(0))
    value = sum(
        (
            Decimal(scores.get(criterion.id, 0)) / Decimal(criterion.scale_max) * weight
            for criterion, weight in zip(criteria, weights, strict=True)
        ),
        Decimal(0),
    )
    return (value * 100 / total_weight).quantize(TWO, rounding=ROUND_HALF_UP)


def aggregate(totals: list[Decimal], *, method: str) -> Decimal | None:
    """The item's score from the experts' totals: the mean; or the trimmed mean, which drops
    one highest and one lowest total (with fewer than three totals it is the plain mean). The
    ``weighted`` method differs only in how each expert's total is computed."""
    if not totals:
        return None
    values = sorted(Decimal(total) for total in totals)
    if method == "trimmed" and len(values) >= 3:
        values = values[1:-1]
    return (sum(values, Decimal(0)) / len(values)).quantize(TWO, rounding=ROUND_HALF_UP)


def spread(totals: list[Decimal]) -> Decimal | None:
    """The distance between the highest and the lowest total (experts' disagreement)."""
    if not totals:
        return None
    return (max(totals) - min(totals)).quantize(TWO)


def rank(scores: dict[int, Decimal | None]) -> dict[int, tuple[int, bool]]:
    """Competition ranking ("1224") of items by score, highest first: each item's rank and
    whether it shares it (ties are made visible, never broken silently). Unscored items are
    left out."""
    ordered = sorted(
        ((score, item) for item, score in scores.items() if score is not None), key=lambda p: (-p[0], p[1])
    )
    counts: dict[Decimal, int] = defaultdict(int)
    for score, _item in ordered:
        counts[score] += 1
    result = {}
    previous = None
    current_rank = 0
    for position, (score, item) in enumerate(ordered, start=1):
        if score != previous:
            current_rank = position
            previous = score
        result[item] = (current_rank, counts[score] > 1)
    return result


# ---- INTL two-level review (P12 — INTL §22) -----------------------------------------------------

INTL_STAGES = {"technical": "strategic", "budget": "technical"}
SUPPORTING = frozenset({"support", "support_if"})


def intl_stage_before(kind: str) -> str | None:
    """P12 — INTL §22: strategic review decides whether to do a project at all, then technical
    review examines the plan, then (above an amount) budget review. The stage that must be
    finished before ``kind`` (None for the first)."""
    return INTL_STAGES.get(kind)


def is_supported(recommendations: list[str]) -> bool:
    """More than half of the submitted recommendations support the item (with or without changes)."""
    return bool(recommendations) and sum(1 for r in recommendations if r in SUPPORTING) * 2 > len(recommendations)


def needs_budget_review(*, requested: Decimal | None, threshold: Decimal | None) -> bool:
    """P12 — INTL §22: budget review (概算评议) for support above the configured amount
    (exactly the amount does not need it)."""
    return threshold is not None and requested is not None and Decimal(requested) > Decimal(threshold)


# ---- Panels of later stages (V3 — KRD-MGMT §53) -------------------------------------------------


def plan_panel(
    item: ItemFacts,
    experts: list[ExpertFacts],
    *,
    composition: dict[str, int],
    year: int,
    collaboration_years: int,
    max_rounds_per_year: int,
    load: dict[int, int] | None = None,
) -> tuple[list[int], dict[str, int]]:
    """V3 — a panel for a mid-term check or an acceptance: ``composition`` experts of each kind
    (technical, management, industry, finance), each free of conflicts with the project,
    available, within rotation, technical experts by discipline fit; returns the chosen expert
    ids and, per kind, how many are missing."""
    load = load or {}
    chosen: list[int] = []
    missing: dict[str, int] = {}
    for kind, wanted in composition.items():
        if wanted <= 0:
            continue
        candidates = sorted(
            (
                expert
                for expert in experts
                if expert.expertise == kind
                and expert.id not in chosen
                and expert.is_available
                and rotation_allows(rounds_this_year=expert.rounds_this_year, max_rounds_per_year=max_rounds_per_year)
                and not recusal_reasons(expert, item, year=year, collaboration_years=collaboration_years)
                and (kind != "technical" or discipline_match(expert, item.discipline) > 0)
            ),
            key=lambda e: (-discipline_match(e, item.discipline), load.get(e.id, 0), e.id),
        )
        picked = [expert.id for expert in candidates[:wanted]]
        chosen += picked
        if len(picked) < wanted:
            missing[kind] = wanted - len(picked)
    return chosen, missing
