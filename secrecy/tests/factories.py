"""factory_boy factories for the secrecy records. They write the rows directly (no audit, no
filing, no notification): tests of the flows go through the services or the pages."""

import datetime as dt

import factory
from django.utils import timezone

from accounts.models import Organisation
from accounts.tests.factories import OrganisationFactory, UserFactory
from projects.tests.factories import ProjectFactory
from secrecy import rules
from secrecy.models import Authority, Classification, Dispute, Filing, KnowledgeGrant, LeakReport, SecrecyReview
from secrecy.rules import Level, Stage, Tier


class AuthorityFactory(factory.django.DjangoModelFactory):
    """A central organ (classifies up to top secret) with its head, a user of the organisation."""

    class Meta:
        model = Authority

    organisation = factory.SubFactory(OrganisationFactory, kind=Organisation.Kind.MINISTRY)
    tier = Tier.CENTRAL
    head = factory.SubFactory(UserFactory, organisation=factory.SelfAttribute("..organisation"), roles=["ministry"])


def officer_of(authority: Authority, **fields):
    """A responsible classifier (secrecy officer) of ``authority``."""
    return UserFactory(organisation=authority.organisation, roles=["secrecy_officer"], **fields)


class ClassificationFactory(factory.django.DjangoModelFactory):
    """A secret decision in force on a project, 10 years from today, by an officer of a
    central authority."""

    class Meta:
        model = Classification

    target = factory.SubFactory(ProjectFactory)
    name = factory.Sequence(lambda n: f"某型装置关键参数{n:04d}")
    level = Level.SECRET
    period_years = 10
    declassify_on = None
    start_date = factory.LazyFunction(timezone.localdate)
    expires_on = factory.LazyAttribute(
        lambda decision: rules.Period(
            start=decision.start_date, years=decision.period_years, until=decision.declassify_on
        ).expiry()
    )
    key_points = "关键参数与工艺路线"
    stage = Stage.ESTABLISHMENT
    authority = factory.SubFactory(AuthorityFactory)
    classifier = factory.LazyAttribute(lambda decision: officer_of(decision.authority))
    confirmed_classifiable = True


class KnowledgeGrantFactory(factory.django.DjangoModelFactory):
    """An approved need-to-know entry naming a person (pass ``user=None, organisation=...`` for
    an organisation)."""

    class Meta:
        model = KnowledgeGrant

    classification = factory.SubFactory(ClassificationFactory)
    user = factory.SubFactory(UserFactory, roles=["applicant"])
    organisation = None
    reason = "项目研究需要"
    granted_by = factory.SelfAttribute("classification.classifier")


class DisputeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Dispute

    classification = factory.SubFactory(ClassificationFactory)
    claimed_level = Level.CONFIDENTIAL
    reason = "涉及核心工艺"
    raised_by = factory.SelfAttribute("classification.classifier")


class FilingFactory(factory.django.DjangoModelFactory):
    """A determination to file within 20 working days (a city-level authority's way, §23(2))."""

    class Meta:
        model = Filing

    classification = factory.SubFactory(ClassificationFactory)
    authority = factory.SelfAttribute("classification.authority")
    event = Filing.Event.DETERMINATION
    year = factory.LazyFunction(lambda: timezone.localdate().year)
    due_on = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=28))


class SecrecyReviewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SecrecyReview

    classification = factory.SubFactory(ClassificationFactory)
    kind = SecrecyReview.Kind.PAPER
    title = factory.Sequence(lambda n: f"拟发表论文{n:04d}")
    requested_by = factory.SelfAttribute("classification.classifier")


class LeakReportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LeakReport

    organisation = factory.SubFactory(OrganisationFactory)
    description = "会议材料疑似遗失"
    reported_by = factory.SubFactory(UserFactory, organisation=factory.SelfAttribute("..organisation"))
