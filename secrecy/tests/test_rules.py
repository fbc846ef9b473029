"""The pure rules of classification, each at its edges: S1 maximum periods (SECRETS-LAW §15),
S3 authority tiers (SECRECY §12), S4 extension before expiry (SECRECY §22), S6 written records
(SECRETS-REGS §14), S7 highest claimed level (SECRETS-REGS §20), S8 marks (SECRETS-REGS §15),
S9 patents (SECRECY §39) and S11 the portal's maximum (SECRETS-LAW §24)."""

from __future__ import annotations

import datetime as dt

import pytest

from secrecy import rules
from secrecy.rules import Level, PatentKind, Period, Tier

START = dt.date(2026, 6, 30)


@pytest.mark.parametrize(("level", "maximum"), [(Level.TOP_SECRET, 30), (Level.CONFIDENTIAL, 20), (Level.SECRET, 10)])
def test_s1_each_maximum_period_in_years_at_its_edge(level, maximum):
    assert rules.period_errors(level, Period(start=START, years=maximum)) == {}
    errors = rules.period_errors(level, Period(start=START, years=maximum + 1))
    assert "SECRETS-LAW §15" in errors["period_years"]
    assert str(maximum) in errors["period_years"]


@pytest.mark.parametrize(("level", "maximum"), [(Level.TOP_SECRET, 30), (Level.CONFIDENTIAL, 20), (Level.SECRET, 10)])
def test_s1_a_declassification_date_at_the_maximum_and_one_day_after(level, maximum):
    last = START.replace(year=START.year + maximum)
    assert rules.period_errors(level, Period(start=START, until=last)) == {}
    errors = rules.period_errors(level, Period(start=START, until=last + dt.timedelta(days=1)))
    assert "SECRETS-LAW §15" in errors["declassify_on"]
    assert last.isoformat() in errors["declassify_on"]


def test_s1_a_period_or_a_condition_is_required_and_not_years_and_a_date_together():
    assert "period_years" in rules.period_errors(Level.SECRET, Period(start=START))
    assert rules.period_errors(Level.SECRET, Period(start=START, condition="型号定型后")) == {}
    both = rules.period_errors(Level.SECRET, Period(start=START, years=5, until=START.replace(year=2030)))
    assert "declassify_on" in both
    assert "period_years" in rules.period_errors(Level.SECRET, Period(start=START, years=0))
    assert "declassify_on" in rules.period_errors(Level.SECRET, Period(start=START, until=START))


def test_s1_the_period_ends_on_the_anniversary_and_29_february_becomes_28():
    assert Period(start=START, years=10).expiry() == dt.date(2036, 6, 30)
    assert Period(start=dt.date(2028, 2, 29), years=1).expiry() == dt.date(2029, 2, 28)
    assert Period(start=START, condition="公开发表后").expiry() is None


@pytest.mark.parametrize(
    ("tier", "authorised", "highest"),
    [
        (Tier.CENTRAL, "", Level.TOP_SECRET),
        (Tier.PROVINCIAL, "", Level.TOP_SECRET),
        (Tier.MUNICIPAL, "", Level.CONFIDENTIAL),
        (Tier.AUTHORISED, Level.SECRET, Level.SECRET),
        (Tier.NONE, "", None),
    ],
)
def test_s3_each_tier_classifies_up_to_its_level_and_not_above(tier, authorised, highest):
    allowed = [
        level
        for level in (Level.SECRET, Level.CONFIDENTIAL, Level.TOP_SECRET)
        if rules.may_classify(tier, level, authorised)
    ]
    expected = (
        []
        if highest is None
        else [
            level
            for level in (Level.SECRET, Level.CONFIDENTIAL, Level.TOP_SECRET)
            if rules.rank(level) <= rules.rank(highest)
        ]
    )
    assert allowed == expected


def test_s3_a_city_level_organ_may_not_decide_top_secret():
    assert rules.may_classify(Tier.MUNICIPAL, Level.CONFIDENTIAL)
    assert not rules.may_classify(Tier.MUNICIPAL, Level.TOP_SECRET)


@pytest.mark.parametrize(
    ("level", "period", "expected"),
    [
        (Level.SECRET, Period(start=START, years=10), "秘密★10年"),
        (Level.CONFIDENTIAL, Period(start=START, until=dt.date(2031, 6, 30)), "机密★2031年6月30日"),
        (Level.TOP_SECRET, Period(start=START, condition="装备定型"), "绝密★解密条件：装备定型"),
    ],
)
def test_s8_marks(level, period, expected):
    assert rules.mark(level, period) == expected


def test_s7_an_open_objection_raises_handling_to_the_highest_level_claimed():
    assert rules.effective_level(Level.SECRET, [Level.TOP_SECRET, Level.CONFIDENTIAL]) == Level.TOP_SECRET
    assert rules.effective_level(Level.CONFIDENTIAL, [Level.SECRET]) == Level.CONFIDENTIAL
    assert rules.effective_level(Level.SECRET, []) == Level.SECRET


def test_s4_an_extension_is_decided_before_the_last_day_ends():
    expiry = dt.date(2030, 1, 1)
    assert rules.extension_allowed(today=expiry - dt.timedelta(days=1), expiry=expiry)
    assert not rules.extension_allowed(today=expiry, expiry=expiry)
    assert not rules.extension_allowed(today=START, expiry=None)


def test_s6_a_written_record_from_confidential_up():
    assert not rules.written_record_required(Level.SECRET)
    assert rules.written_record_required(Level.CONFIDENTIAL)
    assert rules.written_record_required(Level.TOP_SECRET)


@pytest.mark.parametrize(
    ("level", "kind", "allowed"),
    [
        (Level.TOP_SECRET, PatentKind.SECRET, False),
        (Level.TOP_SECRET, PatentKind.ORDINARY, False),
        (Level.CONFIDENTIAL, PatentKind.SECRET, True),
        (Level.CONFIDENTIAL, PatentKind.ORDINARY, False),
        (Level.SECRET, PatentKind.SECRET, True),
        (Level.SECRET, PatentKind.ORDINARY, False),
        (rules.NONE, PatentKind.ORDINARY, True),
    ],
)
def test_s9_patents_by_level(level, kind, allowed):
    refusal = rules.patent_refusal(level, kind)
    assert (refusal == "") is allowed
    if not allowed:
        assert "SECRECY §39" in refusal


@pytest.mark.parametrize(
    ("portal_max", "level", "accepted"),
    [
        ("none", "none", True),
        ("none", Level.SECRET, False),
        (Level.SECRET, Level.SECRET, True),
        (Level.SECRET, Level.CONFIDENTIAL, False),
        ("", Level.SECRET, False),
    ],
)
def test_s11_the_portal_holds_nothing_above_its_maximum(portal_max, level, accepted):
    assert rules.portal_accepts(level, portal_max) is accepted


def test_s5_central_and_provincial_authorities_file_annually_others_each_time():
    assert rules.files_annually(Tier.CENTRAL) and rules.files_annually(Tier.PROVINCIAL)
    assert not rules.files_annually(Tier.MUNICIPAL) and not rules.files_annually(Tier.AUTHORISED)
