"""Project rules as pure functions (no ORM, no clock)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

from django.utils.translation import gettext as _

from core.deadlines.rules import add_months
from core.findings import Finding


def annual_report_due_date(year: int) -> dt.date:
    """P6 — KRD-MGMT §42: the annual report is filed by the end of November (11月底前)."""
    return dt.date(year, 11, 30)


def annual_report_required(*, start_date: dt.date, end_date: dt.date, year: int) -> bool:
    """P6 — KRD-MGMT §42: a project executing for less than 3 months by the end of November may
    report together with the next year; none is due for a year after the project ended.
    A project started on 1 September has executed 3 full months when November ends."""
    period_end = annual_report_due_date(year) + dt.timedelta(days=1)
    if start_date.year > year or end_date.year < year:
        return False
    return add_months(start_date, 3) <= period_end


def final_accounts_due_date(accounts_year: int) -> dt.date:
    """B7 — KRD-FUNDS §37: the final accounts of a year are filed by 20 April of the next."""
    return dt.date(accounts_year + 1, 4, 20)


def final_accounts_required(*, funds_received_on: dt.date, end_date: dt.date, accounts_year: int) -> bool:
    """B7 — KRD-FUNDS §37: funds received less than three months before the year ends may be
    reported in the next year's accounts. Funds received on 1 October have been held three full
    months when the year ends."""
    if funds_received_on.year > accounts_year or end_date.year < accounts_year:
        return False
    return add_months(funds_received_on, 3) <= dt.date(accounts_year + 1, 1, 1)


# P1 — KRD-MGMT §21: from the guide's publication to the closing of applications, at least 50 days.
MINIMUM_CALL_WINDOW_DAYS = 50


def call_window_days(*, published_on: dt.date, closes_on: dt.date) -> int:
    """Calendar days from the publication date to the closing date."""
    return (closes_on - published_on).days


def call_window_is_long_enough(*, published_on: dt.date, closes_on: dt.date) -> bool:
    """P1 — KRD-MGMT §21: 自指南发布日到项目申报受理截止日，原则上不少于50天."""
    return call_window_days(published_on=published_on, closes_on=closes_on) >= MINIMUM_CALL_WINDOW_DAYS


def earliest_birth_date(*, guide_year: int, max_age: int) -> dt.date:
    """P2 — KRD-MGMT §24: leaders "born on or after 1 January of (guide year − max age)"."""
    return dt.date(guide_year - max_age, 1, 1)


def leader_age_is_allowed(*, birth_date: dt.date, guide_year: int, max_age: int) -> bool:
    """P2 — KRD-MGMT §24: a leader's age meets the guide's cut-off."""
    return birth_date >= earliest_birth_date(guide_year=guide_year, max_age=max_age)


def shortlist_size(*, planned_projects: int, factor) -> int:
    """P3 — KRD-MGMT §28: the first round keeps factor × planned projects (3–4×), rounded up."""
    return int((Decimal(planned_projects) * Decimal(str(factor))).to_integral_value(rounding=ROUND_CEILING))


def first_round_is_skipped(*, pre_applications: int, planned_projects: int, factor) -> bool:
    """P3 — KRD-MGMT §29: with fewer pre-applications than the shortlist, no first round."""
    return pre_applications < shortlist_size(planned_projects=planned_projects, factor=factor)


FUNDING_LABELS = {
    # P11 — KRD-MGMT §57, INTL §39, MAJOR-IP §31: the funding label every result carries.
    "key_rd": ("国家重点研发计划资助", "National Key R&D Program of China"),
    "intl": ("国家国际科技合作专项资助", "International Science & Technology Cooperation Program of China"),
    "major": ("国家科技重大专项资助", ""),
}


def funding_label(*, program_code: str, project_number: str) -> str:
    """P11 — the label with the project number, e.g. 国家重点研发计划资助（2026YFA0900100）."""
    chinese, english = FUNDING_LABELS[program_code]
    label = f"{chinese}（{project_number}）"
    if english:
        label += f"\n{english} ({project_number})"
    return label


# ---- Eligibility at submission (P2 — KRD-MGMT §23–§24, KRD-FUNDS §5, INTL §18) ----------------


@dataclass(frozen=True)
class UnitFacts:
    name: str
    is_registered_in_mainland: bool
    is_independent_legal_entity: bool
    registration_date: dt.date | None


@dataclass(frozen=True)
class LeaderFacts:
    name: str
    role: str  # "project_leader" or "subject_leader"
    birth_date: dt.date | None


@dataclass(frozen=True)
class Engagement:
    """Someone's place in another open application or an in-progress project (限项 counting)."""

    reference: str  # e.g. "proposal:12" or "project:2026YFA0900100"
    is_project: bool
    is_leader: bool
    program_code: str
    call_id: int | None = None


def check_units(units: list[UnitFacts], *, registered_before: dt.date | None) -> list[Finding]:
    """P2 — KRD-MGMT §23: units registered in mainland China, independent legal entities,
    registered before the guide's cut-off."""
    findings = []
    for unit in units:
        if not unit.is_registered_in_mainland:
            findings.append(
                Finding(
                    "P2",
                    "unit_not_mainland",
                    _("KRD-MGMT §23: the unit must be registered in mainland China."),
                    unit.name,
                )
            )
        if not unit.is_independent_legal_entity:
            findings.append(
                Finding(
                    "P2",
                    "unit_not_legal_entity",
                    _("KRD-MGMT §23: the unit must be an independent legal entity."),
                    unit.name,
                )
            )
        if registered_before and (unit.registration_date is None or unit.registration_date >= registered_before):
            findings.append(
                Finding(
                    "P2",
                    "unit_registered_too_late",
                    _("Guide requirement (KRD-MGMT §23): units registered before %(date)s.")
                    % {"date": registered_before.isoformat()},
                    unit.name,
                )
            )
    return findings


def check_leader_ages(leaders: list[LeaderFacts], *, guide_year: int, max_age: int | None) -> list[Finding]:
    """P2 — KRD-MGMT §24: project and subject leaders meet the guide's age limit."""
    if not max_age:
        return []
    earliest = earliest_birth_date(guide_year=guide_year, max_age=max_age)
    findings = []
    for leader in leaders:
        if leader.birth_date is None:
            findings.append(
                Finding(
                    "P2",
                    "leader_birth_date_missing",
                    _("KRD-MGMT §24: the leader's birth date is needed to check the age limit."),
                    leader.name,
                )
            )
        elif leader.birth_date < earliest:
            findings.append(
                Finding(
                    "P2",
                    "leader_too_old",
                    _("KRD-MGMT §24 and the guide: leaders must be born on or after %(date)s.")
                    % {"date": earliest.isoformat()},
                    leader.name,
                )
            )
    return findings


def check_concurrent_limits(
    *,
    person: str,
    leads_this: bool,
    call_id: int,
    elsewhere: list[Engagement],
    max_participations: int | None,
    excluded_leader_programs: list[str],
) -> list[Finding]:
    """P2 — KRD-MGMT §24 (限项): a person leads one application per call; appears in at most N
    applications and in-progress projects together (this one included; several roles in one
    application count once); leaders of in-progress projects of the listed programs may not
    lead or join."""
    findings = []
    if leads_this and any(e.is_leader and not e.is_project and e.call_id == call_id for e in elsewhere):
        findings.append(
            Finding(
                "P2",
                "leads_twice_in_call",
                _("限项 (KRD-MGMT §24): a person may lead only one application per call."),
                person,
            )
        )
    distinct = {e.reference for e in elsewhere}
    if max_participations and len(distinct) + 1 > max_participations:
        findings.append(
            Finding(
                "P2",
                "too_many_participations",
                _(
                    "限项 (KRD-MGMT §24): at most %(limit)d applications and in-progress projects together; this would be %(count)d."
                )
                % {"limit": max_participations, "count": len(distinct) + 1},
                person,
            )
        )
    if any(e.is_project and e.is_leader and e.program_code in excluded_leader_programs for e in elsewhere):
        findings.append(
            Finding(
                "P2",
                "leads_excluded_project",
                _(
                    "限项 (KRD-MGMT §24): leaders of in-progress projects of this program may not lead or join a new application."
                ),
                person,
            )
        )
    return findings


def check_counts(
    *, subjects: int, units_per_subject: dict[str, int], max_subjects: int | None, max_units_per_subject: int | None
) -> list[Finding]:
    """P2 — the guide's limits on subjects per project and units per subject."""
    findings = []
    if subjects == 0:
        findings.append(
            Finding("P2", "no_subject", _("KRD-MGMT §23: a project names at least one subject and its unit."))
        )
    if max_subjects and subjects > max_subjects:
        findings.append(
            Finding(
                "P2",
                "too_many_subjects",
                _("Guide requirement: at most %(limit)d subjects; %(count)d given.")
                % {"limit": max_subjects, "count": subjects},
            )
        )
    for subject, count in units_per_subject.items():
        if max_units_per_subject and count > max_units_per_subject:
            findings.append(
                Finding(
                    "P2",
                    "too_many_units",
                    _("Guide requirement: at most %(limit)d units per subject; %(count)d given.")
                    % {"limit": max_units_per_subject, "count": count},
                    subject,
                )
            )
    return findings


def check_required_items(
    *,
    program_code: str,
    has_ip_analysis: bool,
    has_foreign_partner: bool,
    agreement_has_ip_clause: bool,
    attachment_kinds: set[str],
    participant_units: int,
    missing_pledges: list[str],
) -> list[Finding]:
    """What must be in the application before it can be submitted: the IP analysis for major
    projects (MAJOR-IP §11), the foreign partner and an agreement with an IP clause for the
    international program (INTL §38), the joint application agreement when several units apply
    (KRD-MGMT §23), and every integrity pledge (KRD-MGMT §62)."""
    findings = []
    if program_code == "major" and not has_ip_analysis:
        findings.append(
            Finding(
                "P2",
                "ip_analysis_missing",
                _("MAJOR-IP §11: the application includes an analysis of the field's core IP."),
            )
        )
    if program_code == "intl":
        if not has_foreign_partner:
            findings.append(Finding("P12", "foreign_partner_missing", _("INTL §38: name the foreign partner.")))
        if "cooperation_agreement" not in attachment_kinds or not agreement_has_ip_clause:
            findings.append(
                Finding(
                    "P12",
                    "agreement_missing",
                    _("INTL §38: attach the cooperation agreement; it must have an IP clause."),
                )
            )
    if participant_units and "joint_agreement" not in attachment_kinds:
        findings.append(
            Finding(
                "P2",
                "joint_agreement_missing",
                _("KRD-MGMT §23: several units applying together attach their joint application agreement."),
            )
        )
    for party in missing_pledges:
        findings.append(Finding("P2", "pledge_missing", _("KRD-MGMT §62: the integrity pledge is missing."), party))
    return findings


def check_credit(*, serious_records: list[str]) -> list[Finding]:
    """P2 — KRD-MGMT §24: leaders and units have a good research-credit record; a serious
    dishonesty record blocks the application."""
    return [
        Finding(
            "P2",
            "serious_dishonesty",
            _("KRD-MGMT §24: a serious research-dishonesty record blocks this application."),
            name,
        )
        for name in serious_records
    ]


# ---- Task books (任务书): P5 — KRD-MGMT §33 ------------------------------------------------

_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?")


def indicator_number(target_value: str) -> Decimal | None:
    """The figure of a target such as "≥ 3 条" or "误差不高于0.5%": its first number, if any."""
    match = _NUMBER.search(target_value.replace(",", "").replace("，", ""))
    return Decimal(match.group()) if match else None


def indicator_is_weakened(*, applied: str, proposed: str, lower_is_better: bool = False) -> bool:
    """P5 — KRD-MGMT §33: the task book's indicators may not be weaker than the application's.
    A figure may not go down (or up, for an indicator where lower is better); a target without
    a figure may not change at all."""
    before, after = indicator_number(applied), indicator_number(proposed)
    if before is None or after is None:
        return applied.strip() != proposed.strip()
    return after > before if lower_is_better else after < before
