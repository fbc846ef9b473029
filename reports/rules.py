"""Pure rules of science and technology reports (科技报告), T1–T7 of design.md §4, from REPORTS
(国科发创〔2016〕419号) §10–§19 and the standards it names (GB/T 15416-2014 numbering,
GB/T 30534-2014 secrecy codes, GB/T 7713.3-2014 content). No database, no clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.deadlines.rules import add_months, nth_working_day_after


class Kind(models.TextChoices):
    """T1 — REPORTS §10: the final report, progress reports, topical reports."""

    FINAL = "final", _("Final report (最终报告)")
    ANNUAL = "annual", _("Annual progress report (年度技术进展报告)")
    MIDTERM = "midterm", _("Mid-term progress report (中期技术进展报告)")
    EXPERIMENT = "experiment", _("Experiment (test) report (实验/试验报告)")
    SURVEY = "survey", _("Survey report (调研报告)")
    INSPECTION = "inspection", _("Technical inspection report (技术考察报告)")
    DESIGN = "design", _("Design report (设计报告)")
    TEST = "test", _("Test report (测试报告)")


TOPICAL = (Kind.EXPERIMENT, Kind.SURVEY, Kind.INSPECTION, Kind.DESIGN, Kind.TEST)


class Access(models.TextChoices):
    """T3/T4 — REPORTS §12: public, delayed release (延期公开) or classified (涉密, secret only)."""

    PUBLIC = "public", _("Public (公开)")
    DELAYED = "delayed", _("Delayed release (延期公开)")
    CLASSIFIED = "classified", _("Classified (涉密)")


class DelayReason(models.TextChoices):
    """T3 — REPORTS §12(1): why the release waits, each with its longest delay."""

    PAPER = "paper", _("A paper is to be published (≤ 2 years)")
    PATENT = "patent", _("A patent is to be applied for (≤ 3 years)")
    MONOGRAPH = "monograph", _("A monograph is to be published (≤ 3 years)")
    KNOW_HOW = "know_how", _("Technical know-how (≤ 5 years)")


MAX_DELAY_MONTHS = {
    DelayReason.PAPER: 24,
    DelayReason.PATENT: 36,
    DelayReason.MONOGRAPH: 36,
    DelayReason.KNOW_HOW: 60,
}
EXTENSION_WORKING_DAYS = 15  # T7 — REPORTS §19
KEYWORDS_MIN, KEYWORDS_MAX = 3, 8
ALLOWED_LEVEL = "secret"  # T4 — REPORTS §12(2)
CHINESE_LEVEL = {"secret": "秘密", "confidential": "机密", "top_secret": "绝密"}


def latest_release(submitted_on: dt.date, reason: str) -> dt.date:
    """T3 — REPORTS §12(1): the latest release date the reason allows, counted from the
    submission date (2 years for a paper, 3 for a patent or monograph, 5 for know-how)."""
    return add_months(submitted_on, MAX_DELAY_MONTHS[reason])


def release_errors(*, submitted_on: dt.date, reason: str, release_on: dt.date | None) -> dict[str, str]:
    """T3 — a delayed report needs a reason and a release date after submission and no later than
    the reason's maximum; field → message naming the article."""
    if reason not in MAX_DELAY_MONTHS:
        return {"delay_reason": str(_("Choose why the release is delayed (REPORTS §12(1))."))}
    latest = latest_release(submitted_on, reason)
    if release_on is None:
        return {
            "release_on": str(_("Give the release date (REPORTS §12(1)); at the latest %(day)s.") % {"day": latest})
        }
    if release_on <= submitted_on:
        return {"release_on": str(_("The release date must be after the submission date."))}
    if release_on > latest:
        months = MAX_DELAY_MONTHS[reason]
        return {
            "release_on": str(
                _(
                    "For this reason the release may be delayed at most %(years)s years (REPORTS §12(1)): "
                    "release on %(day)s at the latest."
                )
                % {"years": months // 12, "day": latest}
            )
        }
    return {}


def level_error(level: str) -> str:
    """T4 — REPORTS §12(2): a classified report may only be secret; a confidential or top secret
    project's report is downgraded or desensitised before it is filed. Empty when allowed."""
    if not level or level == ALLOWED_LEVEL:
        return ""
    return str(
        _(
            "A classified report may only be secret (秘密); a %(level)s report must be downgraded or "
            "desensitised before it is filed (REPORTS §12(2))."
        )
        % {"level": CHINESE_LEVEL.get(level, level)}
    )


def keyword_error(keywords: list[str]) -> str:
    """GB/T 7713.3-2014 (REPORTS §12): 3 to 8 keywords."""
    if KEYWORDS_MIN <= len(keywords) <= KEYWORDS_MAX:
        return ""
    return str(_("Give 3 to 8 keywords (GB/T 7713.3-2014); %(count)d given.") % {"count": len(keywords)})


def split_keywords(text: str) -> list[str]:
    """Keywords as typed: separated by semicolons, commas (either width) or new lines."""
    for separator in ("；", "，", ",", "、", "\n"):
        text = text.replace(separator, ";")
    return list(dict.fromkeys(part.strip() for part in text.split(";") if part.strip()))


@dataclass(frozen=True)
class PlannedReport:
    kind: str
    due_on: dt.date
    sequence: int = 0


def report_plan(start: dt.date, end: dt.date) -> list[PlannedReport]:
    """T1 — REPORTS §10–§11: what a task book requires: the final report, due by the end of the
    project (before acceptance); for projects of 2 years or more an annual progress report at
    the end of each project year but the last. Topical reports are added by the agency."""
    plan = []
    if add_months(start, 24) <= end + dt.timedelta(days=1):
        year = 1
        while add_months(start, 12 * year) < end:
            plan.append(PlannedReport(Kind.ANNUAL, add_months(start, 12 * year) - dt.timedelta(days=1), year))
            year += 1
    plan.append(PlannedReport(Kind.FINAL, end))
    return plan


def extension_deadline(release_on: dt.date, is_working_day: Callable[[dt.date], bool]) -> dt.date:
    """T7 — REPORTS §19: an extension is lodged no later than 15 working days before the release."""
    return nth_working_day_after(release_on, -EXTENSION_WORKING_DAYS, is_working_day)


def report_number(organisation_code: str, project_code: str, sequence: int) -> str:
    """T2 — GB/T 15416-2014: the responsible unit's code, the programme project (or subject) code
    and a sequence number, joined by hyphens (e.g. 12100000400000624D-2027YFA0100100-01-003)."""
    return f"{organisation_code}-{project_code}-{sequence:03d}"


def access_code(access: str, *, release_on: dt.date | None = None, mark: str = "") -> str:
    """T2 — GB/T 30534-2014: the access mark on the cover and every page: 公开, 延期公开 with its
    date, or the secrecy mark (秘密★N年)."""
    if access == Access.PUBLIC:
        return "公开"
    if access == Access.DELAYED:
        if release_on is None:
            return "延期公开"
        return f"延期公开（{release_on.year}年{release_on.month}月{release_on.day}日公开）"
    return mark or "秘密"


def citation(*, authors: list[str], title: str, unit: str, year: int, number: str) -> str:
    """REPORTS §21: how to cite the report (GB/T 7714 style for a report, [R])."""
    names = ", ".join(authors[:3]) + (", 等" if len(authors) > 3 else "")
    return f"{names}. {title}[R]. {unit}, {year}. 报告编号: {number}."
