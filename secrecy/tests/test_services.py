"""Classification services on the database: determination (S1–S3 — SECRETS-LAW §15, SECRECY
§12, §18), need-to-know and the head's approval (S6 — SECRETS-LAW §16), changes, extension and
declassification by the original authority or its superior (S4 — SECRECY §20–§22), filings
within 20 working days (S5 — SECRECY §23), objections and provisional levels (S7 — SECRETS-REGS
§19–§20), secrecy reviews (S9 — SECRECY §34, §39), leak reports (S10 — SECRETS-REGS §34) and the
portal's maximum level for attachments (S11 — SECRETS-LAW §24)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from accounts.models import Organisation
from accounts.tests.factories import OrganisationFactory, UserFactory
from core.exceptions import RuleViolation, StateConflict
from core.models import AuditEvent, Notification, Obligation
from projects.models import Project
from projects.tests.factories import ProjectFactory
from secrecy import selectors, services
from secrecy.models import Authority, Classification, Dispute, Filing, KnowledgeGrant, SecrecyReview
from secrecy.rules import Level, PatentKind, Stage, Tier

pytestmark = pytest.mark.django_db


def authority(tier=Tier.CENTRAL, *, superior=None, authorised_level=""):
    """An authority with its head and one responsible classifier (secrecy officer)."""
    organisation = OrganisationFactory(kind=Organisation.Kind.MINISTRY)
    head = UserFactory(organisation=organisation, roles=["secrecy_officer"])
    made = Authority.objects.create(
        organisation=organisation, tier=tier, head=head, superior=superior, authorised_level=authorised_level
    )
    made.officer = UserFactory(organisation=organisation, roles=["secrecy_officer"])
    return made


def decide(by: Authority, target=None, *, users=(), **fields):
    values = {
        "name": "某型材料配方",
        "level": Level.SECRET,
        "period_years": 10,
        "key_points": "配方比例与工艺参数",
        "stage": Stage.ESTABLISHMENT,
        "confirmed_classifiable": True,
        **fields,
    }
    return services.classify(
        actor=by.officer, target=target or ProjectFactory(), authority=by, users=list(users), **values
    )


def visible(user) -> set[int]:
    return set(selectors.need_to_know(Project.objects.all(), user).values_list("pk", flat=True))


# ---- Determination --------------------------------------------------------------------------------


def test_s2_a_decision_records_everything_and_hides_the_object_from_everyone_off_the_list():
    central = authority()
    project = ProjectFactory()
    reader = UserFactory(roles=["agency"])
    outsider = UserFactory(roles=["agency"])
    classification = decide(central, project, users=[reader])
    assert classification.mark == "秘密★10年"
    assert classification.expires_on == timezone.localdate().replace(year=timezone.localdate().year + 10)
    assert project.pk in visible(reader)
    assert project.pk in visible(central.officer) and project.pk in visible(central.head)
    assert project.pk not in visible(outsider)
    assert AuditEvent.objects.filter(action="classification.determine", rule="S2").count() == 1
    assert Notification.objects.filter(recipient=reader, link__contains=str(classification.pk)).exists()


def test_s2_key_points_and_the_section_11_confirmation_are_required():
    central = authority()
    with pytest.raises(RuleViolation) as raised:
        decide(central, key_points=" ", confirmed_classifiable=False)
    assert raised.value.rule == "S2"
    assert set(raised.value.fields) == {"key_points", "confirmed_classifiable"}
    assert "SECRECY §11" in raised.value.fields["confirmed_classifiable"][0]
    assert not Classification.objects.exists()


@pytest.mark.parametrize(("level", "maximum"), [(Level.TOP_SECRET, 30), (Level.CONFIDENTIAL, 20), (Level.SECRET, 10)])
def test_s1_a_period_over_the_levels_maximum_is_refused(level, maximum):
    central = authority()
    assert decide(central, level=level, period_years=maximum).period_years == maximum
    with pytest.raises(RuleViolation) as raised:
        decide(central, level=level, period_years=maximum + 1)
    assert raised.value.rule == "S1" and "SECRETS-LAW §15" in raised.value.message


def test_s3_a_city_level_organ_may_not_decide_top_secret_and_a_unit_without_authority_requests_it():
    city = authority(Tier.MUNICIPAL)
    assert decide(city, level=Level.CONFIDENTIAL).level == Level.CONFIDENTIAL
    with pytest.raises(RuleViolation) as raised:
        decide(city, level=Level.TOP_SECRET, period_years=30)
    assert raised.value.rule == "S3" and "SECRECY §12" in raised.value.message
    unit = authority(Tier.NONE)
    with pytest.raises(RuleViolation) as raised:
        decide(unit)
    assert raised.value.rule == "S3" and "SECRECY §15(2)" in raised.value.message
    authorised = authority(Tier.AUTHORISED, authorised_level=Level.SECRET)
    assert decide(authorised).level == Level.SECRET
    with pytest.raises(RuleViolation):
        decide(authorised, level=Level.CONFIDENTIAL)


def test_only_a_responsible_classifier_of_the_authority_decides():
    central = authority()
    with pytest.raises(PermissionDenied):
        services.classify(
            actor=UserFactory(roles=["secrecy_officer"]),
            target=ProjectFactory(),
            authority=central,
            name="x",
            level=Level.SECRET,
            period_years=1,
            key_points="x",
            stage=Stage.CALL,
            confirmed_classifiable=True,
        )


def test_an_object_is_classified_once_at_a_time():
    central = authority()
    project = ProjectFactory()
    decide(central, project)
    with pytest.raises(StateConflict):
        decide(central, project)


# ---- Filings (S5) ------------------------------------------------------------------------------------


def test_s5_a_city_level_decision_is_filed_within_20_working_days_across_national_day():
    """SECRECY §23(2): decided on Tuesday 29 September 2026; the Mid-autumn and National Day
    holidays (1–7 October) do not count and Saturday 10 October is a working day, so the 20th
    working day is Monday 2 November (20 weekdays would end on 27 October)."""
    city = authority(Tier.MUNICIPAL)
    with time_machine.travel(dt.datetime(2026, 9, 29, 10, 0, tzinfo=dt.UTC), tick=False):
        classification = decide(city)
    filing = Filing.objects.get(classification=classification)
    assert filing.event == Filing.Event.DETERMINATION
    assert filing.due_on == dt.date(2026, 11, 2)
    obligation = Obligation.objects.get(kind=services.FILING_KIND, object_id=str(filing.pk))
    assert timezone.localtime(obligation.due_at).date() == dt.date(2026, 11, 2)
    services.filing_submit(actor=city.officer, filing=filing)
    obligation.refresh_from_db()
    assert obligation.state == Obligation.State.DONE
    with pytest.raises(StateConflict):
        services.filing_submit(actor=city.officer, filing=filing)


def test_s5_central_organs_collect_the_years_events_in_one_annual_filing_due_31_december():
    central = authority(Tier.CENTRAL)
    first, second = decide(central), decide(central)
    services.classification_declassify(
        actor=central.officer, classification=first, ending=Classification.Ending.HARMLESS
    )
    (annual,) = Filing.objects.filter(authority=central)
    assert annual.event == Filing.Event.ANNUAL
    assert annual.due_on == dt.date(timezone.localdate().year, 12, 31)
    events = [(entry["classification"], entry["event"]) for entry in annual.summary["entries"]]
    assert events == [(first.pk, "determination"), (second.pk, "determination"), (first.pk, "declassification")]
    assert Obligation.objects.filter(kind=services.ANNUAL_FILING_KIND).count() == 1


# ---- Need-to-know (S6) ------------------------------------------------------------------------------


def test_s6_an_addition_by_the_classifier_waits_for_the_heads_approval():
    central = authority()
    project = ProjectFactory()
    classification = decide(central, project)
    newcomer = UserFactory(roles=["agency"])
    grant = services.grant_add(actor=central.officer, classification=classification, user=newcomer, reason="参与验收")
    assert grant.is_pending and project.pk not in visible(newcomer)
    with pytest.raises(PermissionDenied):
        services.grant_approve(actor=central.officer, grant=grant)
    services.grant_approve(actor=central.head, grant=grant)
    assert project.pk in visible(newcomer)
    grant.refresh_from_db()
    assert grant.approved_by == central.head and grant.granted_by == central.officer and grant.granted_at
    services.grant_revoke(actor=central.officer, grant=grant)
    assert project.pk not in visible(newcomer)


def test_s6_an_addition_needs_a_reason_and_the_heads_own_grant_is_approved_at_once():
    central = authority()
    classification = decide(central)
    reader = UserFactory()
    with pytest.raises(RuleViolation) as raised:
        services.grant_add(actor=central.head, classification=classification, user=reader, reason="")
    assert raised.value.rule == "S6"
    grant = services.grant_add(actor=central.head, classification=classification, user=reader, reason="工作需要")
    assert not grant.is_pending and grant.approved_by == central.head


def test_s6_a_listed_organisation_names_its_people():
    central = authority()
    project = ProjectFactory()
    classification = decide(central, project)
    unit = OrganisationFactory()
    entry = services.grant_add(actor=central.head, classification=classification, organisation=unit, reason="承担单位")
    member = UserFactory(organisation=unit)
    assert project.pk not in visible(member)  # the organisation names its people first
    unit_admin = UserFactory(organisation=unit, roles=["unit_admin"])
    with pytest.raises(RuleViolation):
        services.grant_name_person(actor=unit_admin, grant=entry, user=UserFactory())
    services.grant_name_person(actor=unit_admin, grant=entry, user=member)
    assert project.pk in visible(member)
    services.grant_revoke(actor=central.officer, grant=entry)
    assert project.pk not in visible(member)


def test_s6_for_confidential_the_grants_are_the_written_record():
    central = authority()
    reader = UserFactory()
    classification = decide(central, level=Level.CONFIDENTIAL, period_years=20, users=[reader])
    (record,) = KnowledgeGrant.objects.filter(classification=classification)
    assert (record.user, record.granted_by) == (reader, central.officer)
    assert record.granted_at.date() == timezone.localdate()


# ---- Changes, extension, declassification (S4) ----------------------------------------------------------


def test_s4_the_original_authority_or_its_superior_changes_it_and_the_list_is_told():
    ministry = authority(Tier.CENTRAL)
    province = authority(Tier.PROVINCIAL, superior=ministry)
    reader = UserFactory()
    classification = decide(province, users=[reader])
    with pytest.raises(PermissionDenied):
        services.classification_change(
            actor=authority().officer, classification=classification, level=Level.CONFIDENTIAL, reason="r"
        )
    services.classification_change(
        actor=ministry.officer,
        classification=classification,
        level=Level.CONFIDENTIAL,
        period_years=15,
        reason="范围调整",
    )
    classification.refresh_from_db()
    assert classification.mark == "机密★15年"
    assert Notification.objects.filter(recipient=reader, title__contains="机密★15年").exists()
    assert AuditEvent.objects.filter(action="classification.change", rule="S4").exists()


def test_s4_an_extension_before_expiry_within_the_maximum_and_never_on_or_after_the_last_day():
    central = authority()
    reader = UserFactory()
    with time_machine.travel(dt.datetime(2020, 3, 1, 2, 0, tzinfo=dt.UTC), tick=False):
        classification = decide(central, period_years=5, users=[reader])
    assert classification.expires_on == dt.date(2025, 3, 1)
    with time_machine.travel(dt.datetime(2025, 2, 28, 2, 0, tzinfo=dt.UTC), tick=False):
        with pytest.raises(RuleViolation) as raised:
            services.classification_extend(
                actor=central.officer, classification=classification, period_years=11, reason="r"
            )
        assert raised.value.rule == "S1"
        services.classification_extend(
            actor=central.officer, classification=classification, period_years=10, reason="仍需保密"
        )
    classification.refresh_from_db()
    assert classification.expires_on == dt.date(2030, 3, 1)
    assert Notification.objects.filter(recipient=reader, title__contains="2030-03-01").exists()
    with (
        time_machine.travel(dt.datetime(2030, 3, 1, 2, 0, tzinfo=dt.UTC), tick=False),
        pytest.raises(RuleViolation) as raised,
    ):
        services.classification_extend(
            actor=central.officer, classification=classification, period_years=10, reason="r"
        )
    assert raised.value.code == "extension_too_late" and "SECRECY §22" in raised.value.message


def test_s4_early_declassification_needs_a_ground_and_makes_the_object_ordinary(django_capture_on_commit_callbacks):
    central = authority()
    project = ProjectFactory()
    outsider = UserFactory(roles=["agency"])
    classification = decide(central, project)
    received = []
    services.declassified.connect(lambda **kwargs: received.append(kwargs["target"]), weak=False, dispatch_uid="t")
    try:
        with pytest.raises(RuleViolation):
            services.classification_declassify(actor=central.officer, classification=classification, ending="expired")
        with django_capture_on_commit_callbacks(execute=True):
            services.classification_declassify(
                actor=central.officer, classification=classification, ending=Classification.Ending.SCOPE_CHANGED
            )
    finally:
        services.declassified.disconnect(dispatch_uid="t")
    assert project.pk in visible(outsider)
    assert selectors.mark_of(project) == ""
    assert received == [project]


def test_s4_expiry_declassifies_once_and_only_when_due():
    central = authority()
    with time_machine.travel(dt.datetime(2020, 5, 10, 2, 0, tzinfo=dt.UTC), tick=False):
        classification = decide(central, period_years=1)
    assert not services.declassify_expired(classification=classification, today=dt.date(2021, 5, 9))
    assert services.declassify_expired(classification=classification, today=dt.date(2021, 5, 10))
    assert not services.declassify_expired(classification=classification, today=dt.date(2021, 5, 11))
    classification.refresh_from_db()
    assert classification.state == Classification.State.DECLASSIFIED
    assert classification.ending == Classification.Ending.EXPIRED
    assert AuditEvent.objects.filter(action="classification.declassify", object_id=str(classification.pk)).count() == 1


# ---- Objections and provisional levels (S7) -------------------------------------------------------------


def test_s7_an_objection_raises_the_handling_level_until_decided():
    central = authority()
    reader = UserFactory()
    classification = decide(central, users=[reader])
    with pytest.raises(PermissionDenied):
        services.dispute_raise(
            actor=UserFactory(), classification=classification, claimed_level=Level.TOP_SECRET, reason="r"
        )
    dispute = services.dispute_raise(
        actor=reader, classification=classification, claimed_level=Level.TOP_SECRET, reason="涉及核心参数"
    )
    fresh = Classification.objects.get(pk=classification.pk)
    assert fresh.handled_level == Level.TOP_SECRET and fresh.mark == "绝密★10年"
    assert fresh.level == Level.SECRET
    services.dispute_decide(actor=central.officer, dispute=dispute, level=Level.CONFIDENTIAL)
    fresh = Classification.objects.get(pk=classification.pk)
    assert (fresh.level, fresh.handled_level) == (Level.CONFIDENTIAL, Level.CONFIDENTIAL)
    assert Dispute.objects.get(pk=dispute.pk).state == Dispute.State.DECIDED


def test_s7_a_provisional_level_is_reported_within_10_days_then_decided():
    unit = authority(Tier.NONE, superior=authority(Tier.PROVINCIAL))
    with time_machine.travel(dt.datetime(2026, 4, 1, 2, 0, tzinfo=dt.UTC), tick=False):
        classification = decide(unit, provisional=True)
    assert classification.state == Classification.State.PROVISIONAL
    report = Obligation.objects.get(kind=services.PROVISIONAL_REPORT_KIND, object_id=str(classification.pk))
    assert timezone.localtime(report.due_at).date() == dt.date(2026, 4, 11)
    services.provisional_report(actor=unit.officer, classification=classification)
    report.refresh_from_db()
    assert report.state == Obligation.State.DONE
    decision = Obligation.objects.get(kind=services.PROVISIONAL_DECISION_KIND, object_id=str(classification.pk))
    assert decision.responsible_organisation == unit.superior.organisation
    with pytest.raises(PermissionDenied):
        services.provisional_confirm(actor=authority().officer, classification=classification)
    services.provisional_confirm(actor=unit.superior.officer, classification=classification)
    classification.refresh_from_db()
    assert classification.state == Classification.State.ACTIVE
    assert classification.authority == unit.superior


# ---- Secrecy reviews (S9) --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "years", "patent_kind", "refused"),
    [
        (Level.TOP_SECRET, 30, PatentKind.SECRET, True),
        (Level.CONFIDENTIAL, 20, PatentKind.ORDINARY, True),
        (Level.CONFIDENTIAL, 20, PatentKind.SECRET, False),
        (Level.SECRET, 10, PatentKind.SECRET, False),
    ],
)
def test_s9_patent_reviews_by_level(level, years, patent_kind, refused):
    central = authority()
    project = ProjectFactory()
    leader = UserFactory()
    classification = decide(central, project, level=level, period_years=years, users=[leader])
    if refused:
        with pytest.raises(RuleViolation) as raised:
            services.review_request(
                actor=leader, classification=classification, kind="patent", title="专利", patent_kind=patent_kind
            )
        assert raised.value.rule == "S9" and "SECRECY §39" in raised.value.message
        assert services.disclosure_refusal(project, kind="patent", patent_kind=patent_kind)
        return
    review = services.review_request(
        actor=leader, classification=classification, kind="patent", title="专利", patent_kind=patent_kind
    )
    assert "SECRECY §34" in services.disclosure_refusal(project, kind="patent", patent_kind=patent_kind)
    services.review_decide(actor=central.officer, review=review, approve=True, conditions="保密专利")
    assert services.disclosure_refusal(project, kind="patent", patent_kind=patent_kind) == ""
    assert SecrecyReview.objects.get(pk=review.pk).state == SecrecyReview.State.APPROVED


def test_s9_an_unclassified_project_needs_no_review():
    assert services.disclosure_refusal(ProjectFactory(), kind="paper") == ""


# ---- Leak reports (S10) and attachments (S11) --------------------------------------------------------------


def test_s10_a_leak_report_is_due_to_the_authority_24_hours_later():
    central = authority()
    reporter = UserFactory(roles=["applicant"])
    classification = decide(central)
    leak = services.leak_report(actor=reporter, description="发现涉密资料被拍照", classification=classification)
    obligation = Obligation.objects.get(kind=services.LEAK_KIND, object_id=str(leak.pk))
    assert obligation.due_at == leak.reported_at + dt.timedelta(hours=24)
    assert Notification.objects.filter(recipient=central.officer, title__contains="24").exists()
    with pytest.raises(PermissionDenied):
        services.leak_act(actor=reporter, leak=leak, measures="x")
    with pytest.raises(StateConflict):
        services.leak_escalate(actor=central.officer, leak=leak)
    services.leak_act(actor=central.officer, leak=leak, measures="收回资料，封存设备")
    services.leak_escalate(actor=central.officer, leak=leak)
    obligation.refresh_from_db()
    assert obligation.state == Obligation.State.DONE


@pytest.mark.parametrize(
    ("portal_max", "level", "refused"),
    [("none", "secret", True), ("none", "none", False), ("secret", "secret", False), ("secret", "confidential", True)],
)
def test_s11_attachments_above_the_portals_maximum_are_refused(settings, portal_max, level, refused):
    settings.PORTAL_MAX_CLASSIFICATION = portal_max
    if refused:
        with pytest.raises(RuleViolation) as raised:
            services.check_attachment_level(level)
        assert raised.value.rule == "S11" and "SECRETS-LAW §24" in raised.value.message
    else:
        services.check_attachment_level(level)


def test_the_filter_is_one_query_whatever_the_number_of_classified_objects(django_assert_num_queries):
    central = authority()
    outsider = UserFactory(roles=["agency"])
    projects = [ProjectFactory() for _ in range(3)]
    for project in projects[:2]:
        decide(central, project)
    ContentType.objects.get_for_model(Project)  # cached like in a running server
    outsider.has_role("agency")  # roles are read once per request
    with django_assert_num_queries(1):
        assert visible(outsider) == {projects[2].pk}
