"""B6 — who approves a budget adjustment, for each policy edition, case by case; what an
adjustment changes; and the blanket-cut test of the budget review (no database)."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest

from budgets import rules
from budgets.rules import INDIRECT, Approver, Category, Change, ChangeScope

D = Decimal
KRD = rules.EDITIONS["krd-2016"]
MAJOR = rules.EDITIONS["major-2017"]
REFORM = rules.EDITIONS["reform-2021"]

# KRD-FUNDS §36(二): adjusted by the subject unit, the lead unit told.
KRD_FLEXIBLE = (Category.MATERIALS, Category.TESTING, Category.FUEL_POWER, Category.PUBLICATION, Category.OTHER)
# KRD-FUNDS §36(二): not increased except by the agency; decreases follow the flexible path.
KRD_FIXED = (
    Category.EQUIPMENT_PURCHASE,
    Category.EQUIPMENT_TRIAL,
    Category.EQUIPMENT_UPGRADE,
    Category.EQUIPMENT_RENTAL,
    Category.MEETING_TRAVEL,
    Category.LABOUR,
    Category.EXPERT,
)
# MAJOR-FUNDS §41(四): meeting/travel is flexible; capital construction is fixed.
MAJOR_FLEXIBLE = (*KRD_FLEXIBLE, Category.MEETING_TRAVEL)
MAJOR_FIXED = (
    Category.EQUIPMENT_PURCHASE,
    Category.EQUIPMENT_TRIAL,
    Category.EQUIPMENT_UPGRADE,
    Category.EQUIPMENT_RENTAL,
    Category.LABOUR,
    Category.EXPERT,
    Category.CAPITAL_CONSTRUCTION,
)


def within(edition, category, increase):
    return rules.adjustment_approver(
        edition=edition, scope=ChangeScope.WITHIN_SUBJECT, category=category, increase=increase
    )


def test_the_matrices_cover_every_category_of_their_edition():
    """B1/B6 — KRD-FUNDS §18, §36; MAJOR-FUNDS §18, §41: every category is either flexible or fixed."""
    assert set(KRD_FLEXIBLE) | set(KRD_FIXED) == set(KRD.categories)
    assert set(MAJOR_FLEXIBLE) | set(MAJOR_FIXED) == set(MAJOR.categories)
    assert set(KRD.flexible_categories) == set(KRD_FLEXIBLE)
    assert set(MAJOR.flexible_categories) == set(MAJOR_FLEXIBLE)


@pytest.mark.parametrize("increase", [True, False], ids=["increase", "decrease"])
@pytest.mark.parametrize("category", KRD_FLEXIBLE, ids=str)
def test_b6_krd_flexible_categories_within_a_subject_go_to_the_subject_unit(category, increase):
    """B6 — KRD-FUNDS §36(二): materials, testing, fuel, publication, other: the subject unit
    approves and the lead unit is told, both ways."""
    assert within(KRD, category, increase) == Approver.SUBJECT_UNIT


@pytest.mark.parametrize(("increase", "approver"), [(True, Approver.AGENCY), (False, Approver.SUBJECT_UNIT)])
@pytest.mark.parametrize("category", KRD_FIXED, ids=str)
def test_b6_krd_fixed_categories_are_increased_only_by_the_agency(category, increase, approver):
    """B6 — KRD-FUNDS §36(二): equipment, meeting/travel, labour, expert fees: an increase
    needs the agency; a decrease follows the subject unit's path."""
    assert within(KRD, category, increase) == approver


@pytest.mark.parametrize("increase", [True, False], ids=["increase", "decrease"])
@pytest.mark.parametrize("category", MAJOR_FLEXIBLE, ids=str)
def test_b6_major_flexible_categories_within_a_subject_go_to_the_lead_unit(category, increase):
    """B6 — MAJOR-FUNDS §41(四): materials … meeting/travel … other: the lead unit approves."""
    assert within(MAJOR, category, increase) == Approver.LEAD_UNIT


@pytest.mark.parametrize(("increase", "approver"), [(True, Approver.AGENCY), (False, Approver.LEAD_UNIT)])
@pytest.mark.parametrize("category", MAJOR_FIXED, ids=str)
def test_b6_major_fixed_categories_are_increased_only_by_the_agency(category, increase, approver):
    """B6 — MAJOR-FUNDS §41(四): equipment, labour, expert fees, capital construction: an
    increase goes through the lead unit to the agency; a decrease the lead unit approves."""
    assert within(MAJOR, category, increase) == approver


@pytest.mark.parametrize("increase", [True, False], ids=["increase", "decrease"])
@pytest.mark.parametrize("category", [Category.BUSINESS, Category.LABOUR], ids=str)
def test_b6_reform_2021_business_and_labour_are_the_leaders_to_adjust(category, increase):
    """B6 — 国办发〔2021〕32号 二(二): apart from equipment, the adjustment authority is
    delegated to the project leader (the units are told)."""
    assert within(REFORM, category, increase) == Approver.LEADER


@pytest.mark.parametrize("increase", [True, False], ids=["increase", "decrease"])
@pytest.mark.parametrize("category", [c for c in rules.EQUIPMENT], ids=str)
def test_b6_reform_2021_equipment_is_the_units_to_adjust(category, increase):
    """B6 — 国办发〔2021〕32号 二(二): equipment adjustments are delegated to the unit, up or down."""
    assert within(REFORM, category, increase) == Approver.SUBJECT_UNIT


@pytest.mark.parametrize(
    ("edition", "approver"),
    [(KRD, Approver.AGENCY), (MAJOR, Approver.ORGANISER), (REFORM, Approver.AGENCY)],
    ids=["krd-2016", "major-2017", "reform-2021"],
)
@pytest.mark.parametrize("increase", [True, False], ids=["increase", "decrease"])
def test_b6_project_total_goes_to_the_agency_or_for_major_the_organiser(edition, approver, increase):
    """B6 — KRD-FUNDS §36(一): the agency; MAJOR-FUNDS §41(二): the agency reviews, the
    organiser approves."""
    assert rules.adjustment_approver(edition=edition, scope=ChangeScope.PROJECT_TOTAL, increase=increase) == approver


@pytest.mark.parametrize("edition", [KRD, MAJOR, REFORM], ids=lambda edition: edition.code)
@pytest.mark.parametrize("increase", [True, False], ids=["increase", "decrease"])
@pytest.mark.parametrize(
    "scope",
    [ChangeScope.BETWEEN_SUBJECTS, ChangeScope.BETWEEN_PARTICIPANTS, ChangeScope.PARTICIPANTS_ADDED_OR_REMOVED],
    ids=str,
)
def test_b6_between_subjects_or_participants_and_changes_of_participants_go_to_the_agency(edition, increase, scope):
    """B6 — KRD-FUNDS §36(一), MAJOR-FUNDS §41(三): the agency approves, whatever the category."""
    for category in (None, Category.MATERIALS, Category.LABOUR):
        assert (
            rules.adjustment_approver(edition=edition, scope=scope, category=category, increase=increase)
            == Approver.AGENCY
        )


@pytest.mark.parametrize(
    ("edition", "decrease_approver"),
    [(KRD, Approver.SUBJECT_UNIT), (MAJOR, Approver.LEAD_UNIT), (REFORM, Approver.SUBJECT_UNIT)],
    ids=["krd-2016", "major-2017", "reform-2021"],
)
def test_b6_indirect_costs_only_go_down(edition, decrease_approver):
    """B6 — KRD-FUNDS §36(三), MAJOR-FUNDS §41(五): never increased; decreased into direct
    costs with the unit's agreement."""
    approve = rules.adjustment_approver
    assert approve(edition=edition, scope=ChangeScope.WITHIN_SUBJECT, increase=True, indirect=True) == Approver.REFUSED
    assert approve(edition=edition, scope=ChangeScope.WITHIN_SUBJECT, increase=False, indirect=True) == (
        decrease_approver
    )
    up = Change(ChangeScope.WITHIN_SUBJECT, 1, 10, INDIRECT, D(100), D("100.01"))
    down = Change(ChangeScope.WITHIN_SUBJECT, 1, 10, INDIRECT, D(100), D("99.99"))
    assert rules.change_approver(edition=edition, change=up) == Approver.REFUSED
    assert rules.change_approver(edition=edition, change=down) == decrease_approver


# ---- What an adjustment changes ----------------------------------------------------------------


def amounts(**lines) -> dict[tuple[int, int, str], Decimal]:
    """``s1_u10_materials="100"`` → {(1, 10, "materials"): Decimal("100")}."""
    result = {}
    for key, value in lines.items():
        subject, unit, category = key.split("_", 2)
        result[(int(subject[1:]), int(unit[1:]), category)] = D(value)
    return result


def scopes(changes: list[Change]) -> Counter:
    return Counter(change.scope for change in changes)


def test_nothing_changed_needs_no_one():
    """B6 — KRD-FUNDS §36: no difference, no adjustment."""
    before = amounts(s1_u10_materials="100", s1_u10_indirect="20")
    assert rules.classify_changes(before, dict(before)) == []
    assert rules.required_approver(edition=KRD, changes=[]) is None


def test_a_move_between_categories_of_one_subject_unit_is_within_the_subject():
    """B6 — KRD-FUNDS §36(二): materials → testing in one unit."""
    before = amounts(s1_u10_materials="100", s1_u10_testing="50")
    after = amounts(s1_u10_materials="80", s1_u10_testing="70")
    changes = rules.classify_changes(before, after)
    assert changes == [
        Change(ChangeScope.WITHIN_SUBJECT, 1, 10, "materials", D(100), D(80)),
        Change(ChangeScope.WITHIN_SUBJECT, 1, 10, "testing", D(50), D(70)),
    ]
    assert rules.required_approver(edition=KRD, changes=changes) == Approver.SUBJECT_UNIT
    assert rules.required_approver(edition=MAJOR, changes=changes) == Approver.LEAD_UNIT


def test_a_move_between_two_units_of_one_subject_is_between_participants():
    """B6 — KRD-FUNDS §36(一): each unit's total changed; each unit's line changed."""
    before = amounts(s1_u10_materials="100", s1_u20_materials="100")
    after = amounts(s1_u10_materials="80", s1_u20_materials="120")
    changes = rules.classify_changes(before, after)
    assert changes == [
        Change(ChangeScope.BETWEEN_PARTICIPANTS, 1, 10, before=D(100), after=D(80)),
        Change(ChangeScope.BETWEEN_PARTICIPANTS, 1, 20, before=D(100), after=D(120)),
        Change(ChangeScope.WITHIN_SUBJECT, 1, 10, "materials", D(100), D(80)),
        Change(ChangeScope.WITHIN_SUBJECT, 1, 20, "materials", D(100), D(120)),
    ]
    # Flexible categories both, yet the move between units needs the agency.
    assert rules.required_approver(edition=KRD, changes=changes) == Approver.AGENCY
    assert rules.required_approver(edition=MAJOR, changes=changes) == Approver.AGENCY


def test_a_move_between_subjects_keeps_the_project_total():
    """B6 — KRD-FUNDS §36(一): the agency approves a move between subjects."""
    before = amounts(s1_u10_materials="100", s2_u20_materials="100")
    after = amounts(s1_u10_materials="50", s2_u20_materials="150")
    changes = rules.classify_changes(before, after)
    counted = scopes(changes)
    assert counted[ChangeScope.PROJECT_TOTAL] == 0
    assert counted[ChangeScope.BETWEEN_SUBJECTS] == 2
    assert counted[ChangeScope.WITHIN_SUBJECT] == 2
    assert [(c.subject, c.before, c.after) for c in changes if c.scope == ChangeScope.BETWEEN_SUBJECTS] == [
        (1, D(100), D(50)),
        (2, D(100), D(150)),
    ]
    assert rules.required_approver(edition=KRD, changes=changes) == Approver.AGENCY
    assert rules.required_approver(edition=MAJOR, changes=changes) == Approver.AGENCY


@pytest.mark.parametrize(
    ("edition", "approver"), [(KRD, Approver.AGENCY), (MAJOR, Approver.ORGANISER), (REFORM, Approver.AGENCY)]
)
def test_a_change_of_the_project_total(edition, approver):
    """B6 — KRD-FUNDS §36(一), MAJOR-FUNDS §41(二)."""
    before = amounts(s1_u10_materials="100", s2_u20_materials="100")
    after = amounts(s1_u10_materials="100.01", s2_u20_materials="100")
    changes = rules.classify_changes(before, after)
    assert changes[0] == Change(ChangeScope.PROJECT_TOTAL, before=D(200), after=D("200.01"))
    assert rules.required_approver(edition=edition, changes=changes) == approver


@pytest.mark.parametrize(
    ("before", "after", "unit", "old", "new"),
    [
        # A participant added, taking part of the subject unit's money.
        (amounts(s1_u10_materials="100"), amounts(s1_u10_materials="60", s1_u30_materials="40"), 30, 0, 40),
        # A participant removed, its money back to the subject unit.
        (
            amounts(s1_u10_materials="60", s1_u30_testing="40"),
            amounts(s1_u10_materials="100", s1_u30_testing="0"),
            30,
            40,
            0,
        ),
    ],
    ids=["added", "removed"],
)
def test_participants_added_or_removed(before, after, unit, old, new):
    """B6 — KRD-FUNDS §36(一): 增减参与单位 goes to the agency."""
    changes = rules.classify_changes(before, after)
    [added] = [c for c in changes if c.scope == ChangeScope.PARTICIPANTS_ADDED_OR_REMOVED]
    assert (added.subject, added.unit, added.before, added.after) == (1, unit, D(old), D(new))
    assert rules.required_approver(edition=KRD, changes=changes) == Approver.AGENCY


@pytest.mark.parametrize(
    ("after", "krd", "major"),
    [
        # Indirect down into materials: the unit's decision.
        (
            amounts(s1_u10_indirect="80", s1_u10_materials="120", s1_u10_labour="100"),
            Approver.SUBJECT_UNIT,
            Approver.LEAD_UNIT,
        ),
        # Indirect down into labour: labour goes up, so the agency.
        (amounts(s1_u10_indirect="80", s1_u10_materials="100", s1_u10_labour="120"), Approver.AGENCY, Approver.AGENCY),
        # Materials into labour.
        (amounts(s1_u10_indirect="100", s1_u10_materials="80", s1_u10_labour="120"), Approver.AGENCY, Approver.AGENCY),
        # Labour down into materials.
        (
            amounts(s1_u10_indirect="100", s1_u10_materials="120", s1_u10_labour="80"),
            Approver.SUBJECT_UNIT,
            Approver.LEAD_UNIT,
        ),
        # Indirect up, whatever else: refused.
        (
            amounts(s1_u10_indirect="120", s1_u10_materials="80", s1_u10_labour="100"),
            Approver.REFUSED,
            Approver.REFUSED,
        ),
    ],
    ids=["indirect-to-materials", "indirect-to-labour", "materials-to-labour", "labour-to-materials", "indirect-up"],
)
def test_moves_within_one_subject_unit(after, krd, major):
    """B6 — KRD-FUNDS §36(二)–(三), MAJOR-FUNDS §41(四)–(五)."""
    before = amounts(s1_u10_indirect="100", s1_u10_materials="100", s1_u10_labour="100")
    changes = rules.classify_changes(before, after)
    assert set(scopes(changes)) == {ChangeScope.WITHIN_SUBJECT}
    assert rules.required_approver(edition=KRD, changes=changes) == krd
    assert rules.required_approver(edition=MAJOR, changes=changes) == major


def test_required_approver_is_the_highest_any_change_needs():
    """B6 — the highest authority wins: leader < subject unit < lead unit < agency < organiser < refused."""
    materials = Change(ChangeScope.WITHIN_SUBJECT, 1, 10, "materials", D(100), D(120))
    labour = Change(ChangeScope.WITHIN_SUBJECT, 1, 10, "labour", D(100), D(120))
    total = Change(ChangeScope.PROJECT_TOTAL, before=D(200), after=D(240))
    indirect_up = Change(ChangeScope.WITHIN_SUBJECT, 1, 10, INDIRECT, D(100), D(101))
    assert rules.required_approver(edition=KRD, changes=[materials]) == Approver.SUBJECT_UNIT
    assert rules.required_approver(edition=KRD, changes=[materials, labour]) == Approver.AGENCY
    assert rules.required_approver(edition=KRD, changes=[labour, materials]) == Approver.AGENCY
    assert rules.required_approver(edition=MAJOR, changes=[materials, labour, total]) == Approver.ORGANISER
    assert rules.required_approver(edition=MAJOR, changes=[total, indirect_up, materials]) == Approver.REFUSED
    ranked = sorted(rules.APPROVER_RANK, key=rules.APPROVER_RANK.__getitem__)
    assert ranked == [
        Approver.LEADER,
        Approver.SUBJECT_UNIT,
        Approver.LEAD_UNIT,
        Approver.AGENCY,
        Approver.ORGANISER,
        Approver.REFUSED,
    ]


# ---- KRD-FUNDS §26: no blanket cut in the budget review ---------------------------------------


@pytest.mark.parametrize(
    ("pairs", "ratio"),
    [
        ([("100", "90"), ("200", "180"), ("300", "270")], D("0.1000")),  # three lines, each −10 %
        ([("100", "90"), ("200", "180"), ("300", "264")], None),  # −10, −10, −12 %
        ([("100", "90"), ("200", "180")], None),  # two lines are not a pattern
        ([("100", "90"), ("200", "180"), ("300", "270"), ("50", "50"), ("40", "60")], D("0.1000")),
        ([("100", "90"), ("200", "180"), ("0", "0"), ("300", "300")], None),  # only two cut
        ([("100", "90"), ("200", "179.2"), ("300", "270")], D("0.1013")),  # within half a point
        # Lines removed outright are decisions on those lines: they neither make a blanket cut …
        ([("100", "0"), ("200", "0"), ("300", "0")], None),
        # … nor hide one.
        ([("100", "90"), ("200", "180"), ("300", "270"), ("40", "0")], D("0.1000")),
    ],
)
def test_uniform_cut_ratio(pairs, ratio):
    """KRD-FUNDS §26: 不得简单按比例核减直接费用预算."""
    assert rules.uniform_cut_ratio([(D(before), D(after)) for before, after in pairs]) == ratio
