"""V1 — recusal and rotation as pure rules (KRD-MGMT §26, INTL §12, EVAL §32): each ground of
recusal one case at a time, the collaboration window at its edge, rotation at its limit."""

from __future__ import annotations

import pytest

from reviews.rules import ExpertFacts, ItemFacts, normal_id, recusal_reasons, rotation_allows

YEAR = 2027
WINDOW = 3  # collaboration_years
LEAD_UNIT, PARTICIPANT_UNIT, SUBJECT_PARTICIPANT, OTHER_UNIT = 10, 11, 12, 99
LEADER_ID = "11010119660101001X"
MEMBER_ID = "110101198001010022"

# The item as the services build it: units of the lead, every ProposalUnit and every subject
# participant; people by normalised ID and name; leaders the same for the leaders only.
ITEM = ItemFacts(
    id=1,
    group="1",
    discipline="080.10",
    unit_ids=frozenset({LEAD_UNIT, PARTICIPANT_UNIT, SUBJECT_PARTICIPANT}),
    people=frozenset({normal_id(LEADER_ID), "张三", normal_id(MEMBER_ID), "李四"}),
    leaders=frozenset({normal_id(LEADER_ID), "张三"}),
)


def expert(**fields) -> ExpertFacts:
    defaults = {
        "id": 7,
        "name": "王五",
        "id_number": "310101197001010033",
        "organisation_id": OTHER_UNIT,
        "disciplines": ("080.10",),
    }
    return ExpertFacts(**{**defaults, **fields})


def reasons(facts: ExpertFacts) -> list[str]:
    return recusal_reasons(facts, ITEM, year=YEAR, collaboration_years=WINDOW)


CASES = [
    ("unrelated expert", expert(), None),
    ("same organisation as the lead unit", expert(organisation_id=LEAD_UNIT), "works at a unit"),
    ("organisation of a participant unit (ProposalUnit)", expert(organisation_id=PARTICIPANT_UNIT), "works at a unit"),
    ("organisation of a subject's participant", expert(organisation_id=SUBJECT_PARTICIPANT), "works at a unit"),
    ("named in the application by ID number", expert(id_number=MEMBER_ID), "is named"),
    ("named by an ID typed with a lower-case x", expert(id_number=LEADER_ID.lower()), "is named"),
    ("named in the application by name", expert(name="李四"), "is named"),
    ("declared a conflict with the lead unit", expert(conflict_organisations=frozenset({LEAD_UNIT})), "declared"),
    ("declared a conflict with an unrelated unit", expert(conflict_organisations=frozenset({OTHER_UNIT})), None),
    ("declared a conflict with a person (ID)", expert(conflict_people=frozenset({normal_id(MEMBER_ID)})), "declared"),
    ("declared a conflict with a person (name)", expert(conflict_people=frozenset({"李四"})), "declared"),
    (
        "collaborated with the leader in year − N (inside the window)",
        expert(collaborations=((normal_id(LEADER_ID), YEAR - WINDOW),)),
        "collaborated",
    ),
    (
        "collaborated with the leader in year − N − 1 (just outside)",
        expert(collaborations=((normal_id(LEADER_ID), YEAR - WINDOW - 1),)),
        None,
    ),
    ("collaborated with the leader (by name) this year", expert(collaborations=(("张三", YEAR),)), "collaborated"),
    (
        "collaborated with a key member, not a leader",
        expert(collaborations=((normal_id(MEMBER_ID), YEAR),)),
        None,
    ),
]


@pytest.mark.parametrize(("case", "facts", "expected"), CASES, ids=[case for case, _f, _e in CASES])
def test_v1_recusal_ground(case, facts, expected):
    found = reasons(facts)
    if expected is None:
        assert found == [], case
    else:
        assert len(found) == 1, (case, found)
        assert expected in found[0], (case, found)


def test_v1_several_grounds_are_all_named():
    facts = expert(organisation_id=LEAD_UNIT, name="张三", collaborations=(("张三", YEAR),))
    assert len(reasons(facts)) == 3


def test_v1_window_follows_the_round_setting():
    facts = expert(collaborations=((normal_id(LEADER_ID), YEAR - 5),))
    assert recusal_reasons(facts, ITEM, year=YEAR, collaboration_years=5)
    assert not recusal_reasons(facts, ITEM, year=YEAR, collaboration_years=4)


@pytest.mark.parametrize(
    ("served", "limit", "allowed"),
    [(0, 2, True), (1, 2, True), (2, 2, False), (3, 2, False), (0, 1, True), (1, 1, False)],
    ids=["none served", "one below the limit", "at the limit", "over the limit", "limit 1, none", "limit 1, at it"],
)
def test_v1_rotation(served, limit, allowed):
    assert rotation_allows(rounds_this_year=served, max_rounds_per_year=limit) is allowed


def test_v1_the_conflict_index_finds_exactly_what_recusal_reasons_finds():
    """The assignment looks conflicts up in an index; on 60 experts × 40 items with every kind
    of tie it must agree with ``recusal_reasons`` item by item."""
    import random

    from reviews.rules import ConflictIndex

    rng = random.Random(7)
    people = [f"ID{n}" for n in range(30)] + [f"名{n}" for n in range(30)]
    items = [
        ItemFacts(
            id=n,
            group="g",
            unit_ids=frozenset(rng.sample(range(20), 3)),
            people=frozenset(rng.sample(people, 4)),
            leaders=frozenset(rng.sample(people, 1)),
        )
        for n in range(40)
    ]
    experts = [
        ExpertFacts(
            id=n,
            name=rng.choice(people),
            id_number=rng.choice(people),
            organisation_id=rng.choice([None, *range(20)]),
            conflict_organisations=frozenset(rng.sample(range(20), 1)),
            conflict_people=frozenset(rng.sample(people, 1)),
            collaborations=((rng.choice(people), rng.choice([2022, 2023, 2024, 2025])),),
        )
        for n in range(60)
    ]
    index = ConflictIndex.of(items)
    for expert in experts:
        found = index.conflicted(expert, year=2027, collaboration_years=3)
        expected = {item.id for item in items if recusal_reasons(expert, item, year=2027, collaboration_years=3)}
        assert found == expected, expert
