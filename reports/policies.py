"""Who may do what with a tech report (T1–T7): one function per question (design §2), each on
``core.policies``' one superuser rule and, where the question is about the project,
``projects.policies``. Services refuse with these, selectors scope with them and pages decide
what to show with them.

The parties of REPORTS §9–§18: the project leader files (负责人), the lead unit checks and
submits (完成单位), the managing agency confirms the level and the delay (专业机构), and the
managers — the agency within its remit, the ministry — read full texts and statistics."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import Role
from core.policies import has_role
from projects.policies import is_leader_of, is_unit_admin_of, manages_project
from reports.models import AccessRequest, TechReport
from reports.rules import Access

# The managers of every report (REPORTS §18): the ministry and the portal's administrators.
MANAGER_ROLES = (Role.MINISTRY.value, Role.ADMIN.value)


def _project(report_or_project):
    return getattr(report_or_project, "project", report_or_project)


# ---- The parties ---------------------------------------------------------------------------------


def may_file(user, report_or_project) -> bool:
    """The project leader drafts, edits and files the project's reports (REPORTS §9)."""
    return is_leader_of(user, _project(report_or_project))


def may_check_for_unit(user, report_or_project) -> bool:
    """An administrator of the lead unit checks and submits the reports (T5 — REPORTS §13)."""
    return is_unit_admin_of(user, organisation_id=_project(report_or_project).lead_unit_id)


def may_confirm_as_agency(user, report_or_project) -> bool:
    """The agency managing the project confirms level and delay (T5 — REPORTS §14) and adds
    topical reports (T1 — REPORTS §10(3))."""
    return manages_project(user, _project(report_or_project))


def may_speak_for_report(user, report: TechReport) -> bool:
    """The leader or the lead unit record a publication (T3) and ask for an extension (T7)."""
    return may_file(user, report) or may_check_for_unit(user, report)


def may_return(user, report: TechReport) -> bool:
    """The unit returns a filed report, the agency a submitted one (any other state is not
    returned at all: the service says so)."""
    if report.state == TechReport.State.FILED:
        return may_check_for_unit(user, report)
    if report.state == TechReport.State.SUBMITTED:
        return may_confirm_as_agency(user, report)
    return may_speak_for_report(user, report) or may_confirm_as_agency(user, report)


def may_decide_access(user, report: TechReport) -> bool:
    """T6 — REPORTS §18: the managing agency or the lead unit (完成单位) authorise a delayed full
    text."""
    return may_confirm_as_agency(user, report) or may_check_for_unit(user, report)


# ---- Readers (T6 — REPORTS §18) ------------------------------------------------------------------


def is_report_manager(user) -> bool:
    """The managers of every report: the ministry and administrators."""
    return has_role(user, *MANAGER_ROLES)


def may_manage_report(user, report: TechReport) -> bool:
    """The managers of REPORTS §18 for ``report``: the agency managing the project, the
    ministry."""
    return is_report_manager(user) or may_confirm_as_agency(user, report)


def is_own_report(user, report: TechReport) -> bool:
    """The project's own people: its leader, the report's author and the lead unit."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return may_file(user, report) or report.created_by_id == user.pk or may_check_for_unit(user, report)


def has_authorisation(user, report: TechReport, *, today: dt.date | None = None) -> bool:
    """A granted full-text authorisation of ``report`` for ``user``, not expired."""
    today = today or timezone.localdate()
    return AccessRequest.objects.filter(
        report=report, requester_id=user.pk, state=AccessRequest.State.GRANTED, expires_on__gte=today
    ).exists()


def full_text_refusal(user, report: TechReport) -> str:
    """T6 — why ``user`` may not read the full text (empty when they may). The caller has
    already checked that the user may know the report exists."""
    if not report.file:
        return _("The full text is not held by the portal.")
    if user is None or not getattr(user, "is_authenticated", False):
        return _("Log in with a registered real-name account to read full texts (REPORTS §18).")
    if is_own_report(user, report) or may_manage_report(user, report):
        return ""
    if not getattr(user, "is_real_name_verified", False):
        return _("Full texts are for registered real-name users (REPORTS §18).")
    if report.is_public:
        return ""
    if report.access == Access.CLASSIFIED and report.state == TechReport.State.CONFIRMED:
        return ""  # T6 with S6: whoever may know of a classified report is on its list
    if (
        report.access == Access.DELAYED
        and report.state == TechReport.State.CONFIRMED
        and has_authorisation(user, report)
    ):
        return ""
    if report.access == Access.DELAYED:
        return _(
            "The full text of a delayed report needs an authorisation from the agency or the filing unit until %(day)s "
            "(REPORTS §18)."
        ) % {"day": report.release_on}
    return _("The full text is not open to you.")


def may_read_full_text(user, report: TechReport) -> bool:
    """T6 — REPORTS §18: the full text of a report the user may know exists."""
    return not full_text_refusal(user, report)
