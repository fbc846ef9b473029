"""Pure rules of classification (定密), S1–S11 of design.md §4. No database, no clock: every
function takes the facts and the day it is asked about.

Sources: SECRETS-LAW (保守国家秘密法, 2010) §10, §13, §15–§20; SECRETS-REGS (实施条例, 2014)
§13–§15, §19–§20, §34; SECRECY (科学技术保密规定, 2015) §12, §15, §17–§23, §34, §39."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _


class Level(models.TextChoices):
    """S1 — SECRETS-LAW §10: the three levels of a state secret."""

    SECRET = "secret", _("Secret (秘密)")
    CONFIDENTIAL = "confidential", _("Confidential (机密)")
    TOP_SECRET = "top_secret", _("Top secret (绝密)")


NONE = "none"
RANK = {NONE: 0, Level.SECRET: 1, Level.CONFIDENTIAL: 2, Level.TOP_SECRET: 3}
CHINESE = {Level.SECRET: "秘密", Level.CONFIDENTIAL: "机密", Level.TOP_SECRET: "绝密"}
# S1 — SECRETS-LAW §15: unless otherwise provided, at most 30 / 20 / 10 years.
MAX_YEARS = {Level.TOP_SECRET: 30, Level.CONFIDENTIAL: 20, Level.SECRET: 10}


class Tier(models.TextChoices):
    """S3 — SECRECY §12 (SECRETS-LAW §13): whose organs may classify which levels."""

    CENTRAL = "central", _("Central state organ (中央国家机关)")
    PROVINCIAL = "provincial", _("Provincial organ (省级机关)")
    MUNICIPAL = "municipal", _("City-level organ (设区的市、自治州级机关)")
    AUTHORISED = "authorised", _("Unit authorised to classify (被授权单位)")
    NONE = "none", _("No classification authority")


class Stage(models.TextChoices):
    """S2 — SECRECY §17: the stages of science and technology management where classification
    is decided."""

    PLANNING = "planning", _("Planning (编制规划)")
    CALL = "call", _("Programme and call (制定计划)")
    ESTABLISHMENT = "establishment", _("Project establishment (项目立项)")
    EVALUATION = "evaluation", _("Evaluation of results (成果评价)")
    ACCEPTANCE = "acceptance", _("Acceptance (项目验收)")


def rank(level: str) -> int:
    return RANK.get(level or NONE, 0)


def highest(levels: Iterable[str]) -> str:
    """The highest of some levels (``none`` when there are none)."""
    return max((level or NONE for level in levels), key=rank, default=NONE)


def max_level_for(tier: str, authorised_level: str = "") -> str:
    """S3 — SECRECY §12: central and provincial organs classify up to top secret; city-level
    organs up to confidential; an authorised unit up to the level of its written authorisation;
    a unit without authority classifies nothing and requests it from one that has (§15(2))."""
    if tier in (Tier.CENTRAL, Tier.PROVINCIAL):
        return Level.TOP_SECRET
    if tier == Tier.MUNICIPAL:
        return Level.CONFIDENTIAL
    if tier == Tier.AUTHORISED:
        return authorised_level or NONE
    return NONE


def may_classify(tier: str, level: str, authorised_level: str = "") -> bool:
    """S3 — SECRECY §12: the authority's tier allows the level."""
    return rank(level) > 0 and rank(level) <= rank(max_level_for(tier, authorised_level))


def add_years(day: dt.date, years: int) -> dt.date:
    """``years`` after ``day``; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


@dataclass(frozen=True)
class Period:
    """How long a secret is kept (S1 — SECRETS-LAW §15, SECRETS-REGS §13): a number of years
    from the start date (the date of issue), a declassification date, or — when no period can
    be set — a declassification condition."""

    start: dt.date
    years: int | None = None
    until: dt.date | None = None
    condition: str = ""

    def expiry(self) -> dt.date | None:
        """The day the secret ends on its own (SECRETS-LAW §19), if it is known."""
        if self.years is not None:
            return add_years(self.start, self.years)
        return self.until


def period_errors(level: str, period: Period) -> dict[str, str]:
    """S1 — SECRETS-LAW §15: a period in years, a declassification date or a condition (not
    all empty; years and a date not both), and never past the level's maximum of 30/20/10
    years from the start. Field → message naming the article."""
    errors: dict[str, str] = {}
    maximum = MAX_YEARS.get(level)
    if maximum is None:
        return {"level": str(_("Choose secret, confidential or top secret (SECRETS-LAW §10)."))}
    if period.years is None and period.until is None and not period.condition.strip():
        errors["period_years"] = str(
            _("Give a period in years, a declassification date or a declassification condition (SECRETS-LAW §15).")
        )
    if period.years is not None and period.until is not None:
        errors["declassify_on"] = str(_("Give a period in years or a declassification date, not both."))
    if period.years is not None and not 1 <= period.years <= maximum:
        errors["period_years"] = str(
            _("A %(level)s secret is kept at most %(max)d years (SECRETS-LAW §15); %(years)d is not allowed.")
            % {"level": CHINESE[level], "max": maximum, "years": period.years}
        )
    if period.until is not None:
        latest = add_years(period.start, maximum)
        if period.until <= period.start:
            errors["declassify_on"] = str(_("The declassification date must be after the start date."))
        elif period.until > latest:
            errors["declassify_on"] = str(
                _(
                    "A %(level)s secret is kept at most %(max)d years (SECRETS-LAW §15): "
                    "declassify on %(latest)s at the latest."
                )
                % {"level": CHINESE[level], "max": maximum, "latest": latest.isoformat()}
            )
    return errors


def mark(level: str, period: Period) -> str:
    """S8 — SECRETS-REGS §15: the mark of a carrier, level and period: 秘密★10年,
    机密★2031年6月30日, or 绝密★解密条件：… for a condition."""
    name = CHINESE.get(level)
    if not name:
        return ""
    if period.years is not None:
        return f"{name}★{period.years}年"
    if period.until is not None:
        return f"{name}★{period.until.year}年{period.until.month}月{period.until.day}日"
    if period.condition.strip():
        return f"{name}★解密条件：{period.condition.strip()}"
    return f"{name}★"


def effective_level(level: str, claimed: Iterable[str] = ()) -> str:
    """S7 — SECRETS-REGS §20: until an objection is decided, the item is handled at the highest
    level claimed."""
    return highest([level, *claimed])


def extension_allowed(*, today: dt.date, expiry: dt.date | None) -> bool:
    """S4 — SECRECY §22 (SECRETS-LAW §19): an extension is decided before the period ends."""
    return expiry is not None and today < expiry


def new_period_errors(level: str, start: dt.date, years: int | None, until: dt.date | None) -> dict[str, str]:
    """S4 with S1: an extended or changed period still counts from the start and stays within the
    level's maximum."""
    return period_errors(level, Period(start=start, years=years, until=until))


def written_record_required(level: str) -> bool:
    """S6 — SECRETS-REGS §14: who knows a confidential or top secret item is put on a written
    record (with the date and who granted it)."""
    return rank(level) >= rank(Level.CONFIDENTIAL)


def portal_accepts(level: str, portal_max: str) -> bool:
    """S11 — SECRETS-LAW §24 (SECRECY §31(2)): a non-classified system holds no classified
    content; an attachment may carry a level only up to the portal's configured maximum
    (``none`` by default: none at all)."""
    return rank(level) <= rank(portal_max or NONE)


class PatentKind(models.TextChoices):
    ORDINARY = "ordinary", _("Ordinary patent (普通专利)")
    SECRET = "secret", _("Secret patent (保密专利)")


def patent_refusal(level: str, patent_kind: str) -> str:
    """S9 — SECRECY §39: a top secret item may not be patented at all; a confidential or secret
    item only as a secret patent approved by the original authority, or as an ordinary patent
    after declassification. Empty when allowed."""
    if rank(level) == 0:
        return ""
    if level == Level.TOP_SECRET:
        return str(_("A top secret item may not be the subject of any patent application (SECRECY §39(1))."))
    if patent_kind != PatentKind.SECRET:
        return str(
            _(
                "A confidential or secret item may only be filed as a secret patent; an ordinary patent needs "
                "declassification first (SECRECY §39(2)–(3))."
            )
        )
    return ""


FILING_WORKING_DAYS = 20  # S5 — SECRECY §23(2)
PROVISIONAL_REPORT_DAYS = 10  # S7 — SECRETS-REGS §19
LEAK_REPORT_HOURS = 24  # S10 — SECRETS-REGS §34


def files_annually(tier: str) -> bool:
    """S5 — SECRECY §23(1): provincial S&T departments and central organs report the year's
    determinations, changes and declassifications by 31 December; every other organ or unit
    files each one within 20 working days (§23(2))."""
    return tier in (Tier.CENTRAL, Tier.PROVINCIAL)
