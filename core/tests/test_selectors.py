"""Need-to-know on rows that name their object generically, and the shared helpers (S6 —
SECRETS-LAW §16): obligations (my deadlines, the agency's overdue list, the API, the calendar
feed, the dashboard), the audit trail and the admin site; the S8 mark a carrier takes from what
it belongs to (SECRETS-REGS §15)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from core import selectors
from core.dashboard import todo_items_for_user
from core.deadlines import selectors as deadline_selectors
from core.deadlines import services as deadlines
from core.models import AuditEvent, Obligation
from core.tests import deadline_kinds  # noqa: F401 - registers the test kinds
from projects.models import Proposal, Subject
from projects.tests.builders import complete_proposal, open_call
from projects.tests.factories import ProjectFactory
from secrecy.models import KnowledgeGrant
from secrecy.tests.factories import ClassificationFactory, DisputeFactory, KnowledgeGrantFactory

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _obligation(project, user, title):
    return deadlines.obligation_create(
        target=project,
        kind="test_report",
        period=title,
        due_at=dt.datetime.now(tz=SHANGHAI) + dt.timedelta(days=10),
        title=title,
        responsible_users=[user],
        managing_organisation=project.managing_agency,
        link="/deadlines/",
    )


def test_s6_obligations_of_a_classified_project_leave_every_list(client, api_client):
    """S6: the deadline of a hidden project is not the user's business — nor its title."""
    shown, secret = ProjectFactory(), ProjectFactory()
    leader = UserFactory(roles=["applicant"])
    agency = UserFactory(organisation=secret.managing_agency, roles=["agency"])
    _obligation(shown, leader, "公开项目年度报告")
    hidden = _obligation(secret, leader, "保密项目年度报告")
    Obligation.objects.filter(pk=hidden.pk).update(state=Obligation.State.OVERDUE)
    classification = ClassificationFactory(target=secret)

    assert [o.title for o in deadline_selectors.obligations_own(leader)] == ["公开项目年度报告"]
    assert not deadline_selectors.obligations_overdue_managed_by(agency).exists()
    assert "保密项目年度报告" not in [item.title for item in todo_items_for_user(leader)]
    client.force_login(leader)
    assert "保密项目年度报告" not in client.get(reverse("core:deadlines")).content.decode()
    api_client.force_authenticate(leader)
    assert api_client.get(f"/api/v1/obligations/{hidden.pk}/").status_code == 404

    KnowledgeGrantFactory(classification=classification, user=leader)
    assert deadline_selectors.obligations_own(leader).count() == 2


def test_s6_the_audit_trail_leaves_out_events_of_hidden_objects_and_their_obligations(client):
    """S6: the ministry reads the whole trail except what concerns a classified object."""
    from core import audit

    ministry = UserFactory(roles=["ministry"])
    shown, secret = ProjectFactory(), ProjectFactory()
    audit.record(actor=ministry, action="project.touch", target=shown)
    audit.record(actor=ministry, action="project.touch", target=secret)
    obligation = _obligation(secret, secret.leader, "保密项目期限")
    decision = ClassificationFactory(target=secret)
    audit.record(actor=decision.classifier, action="classification.determine", target=decision)

    events = selectors.audit_events_for_user(ministry)
    assert events.filter(object_id=str(shown.pk), action="project.touch").exists()
    assert not events.filter(object_id=str(secret.pk), action="project.touch").exists()
    assert not events.filter(action="obligation.create", object_id=str(obligation.pk)).exists()
    # The decision record names the secret: only those who may know of it read its events.
    assert not events.filter(action="classification.determine").exists()
    assert selectors.audit_events_for_user(decision.classifier).count() == 0  # not an audit reader
    KnowledgeGrantFactory(classification=decision, user=ministry)
    assert selectors.audit_events_for_user(ministry).filter(action="classification.determine").exists()
    assert selectors.audit_events_for_user(ministry).filter(object_id=str(secret.pk), action="project.touch").exists()
    KnowledgeGrant.objects.filter(classification=decision).delete()
    client.force_login(ministry)
    assert client.get(f"/audit/projects.project/{secret.pk}/").status_code == 404
    assert client.get(f"/audit/projects.project/{shown.pk}/").status_code == 200
    assert AuditEvent.objects.filter(object_id=str(secret.pk), action="project.touch").exists()


def test_s6_the_admin_site_leaves_classified_projects_out_for_the_admin_role(client):
    """S6: staff of the admin role (not superusers) see no classified project, obligation or
    audit event of one in the admin site; its change page answers as for a missing object."""
    ProjectFactory(title="普通项目甲")
    secret = ProjectFactory(title="保密项目乙")
    _obligation(secret, secret.leader, "保密项目乙的期限")
    ClassificationFactory(target=secret)
    # A flush by an earlier transactional test may have re-created the permissions after the
    # roles were ensured; make the admin role's model permissions current.
    from accounts.services import role_groups_ensure

    role_groups_ensure()
    client.force_login(UserFactory(roles=["admin"]))

    changelist = client.get("/admin/projects/project/").content.decode()
    assert "普通项目甲" in changelist and "保密项目乙" not in changelist
    assert "保密项目乙" not in client.get("/admin/projects/project/?q=保密").content.decode()
    assert client.get(f"/admin/projects/project/{secret.pk}/change/").status_code == 302
    assert "保密项目乙的期限" not in client.get("/admin/core/obligation/").content.decode()
    assert "保密项目乙" not in client.get("/admin/core/auditevent/").content.decode()

    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    assert "保密项目乙" in client.get("/admin/projects/project/").content.decode()


def test_known_follows_reverse_paths_without_repeating_rows():
    """A path through a reverse relation (a proposal's subjects) hides the row when any one of
    them is hidden, and never duplicates rows."""
    from budgets.models import Budget
    from budgets.selectors import BUDGET_VIA

    proposal = complete_proposal(open_call(), subjects=2)
    budget = Budget.objects.get(proposal=proposal)
    reader = UserFactory(roles=["ministry"])
    books = Budget.objects.filter(pk=budget.pk)
    assert list(selectors.known(books, reader, via=BUDGET_VIA)) == [budget]

    ClassificationFactory(target=Subject.objects.filter(proposal=proposal).last())
    assert list(selectors.known(books, reader, via=BUDGET_VIA)) == []


def test_s8_a_carrier_takes_the_highest_mark_of_what_it_belongs_to():
    """S8 — SECRETS-REGS §15: a subject's task book carries its project's, proposal's, call's
    and subject's marks, the highest one (with an open objection, the level claimed, S7)."""
    from projects.models import TaskBook

    call = open_call()
    proposal = complete_proposal(call, subjects=1)
    project = ProjectFactory(proposal=proposal)
    subject = Subject.objects.get(proposal=proposal)
    book = TaskBook.objects.create(
        project=project, subject=subject, party_a=project.lead_unit, party_b=project.lead_unit
    )
    assert selectors.carrier_mark(book) == ""

    ClassificationFactory(target=call, period_years=5)
    assert selectors.carrier_mark(book) == "秘密★5年"
    on_subject = ClassificationFactory(target=subject, period_years=10)
    DisputeFactory(classification=on_subject)
    assert selectors.carrier_mark(book) == "机密★10年"
    # The proposal itself is marked by its call; its subjects mark the pages that show them.
    assert selectors.carrier_mark(Proposal.objects.get(pk=proposal.pk)) == "秘密★5年"
    assert selectors.carrier_mark(Proposal.objects.get(pk=proposal.pk), subject) == "机密★10年"
    assert selectors.carrier_mark(None) == ""
