"""factory_boy factories for the expert library (reviews)."""

import datetime

import factory
from django.utils import timezone

from accounts.tests.factories import OrganisationFactory
from reviews.models import Availability, Collaboration, DeclaredConflict, Expert, ExpertDiscipline


class ExpertFactory(factory.django.DjangoModelFactory):
    """An expert with a primary discipline (``disciplines=["080.10", ...]`` — the first is primary)."""

    class Meta:
        model = Expert
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"专家{n:04d}")
    id_number = factory.Sequence(lambda n: f"11010119800101{n:04d}")
    organisation = factory.SubFactory(OrganisationFactory)
    professional_title = "研究员"
    is_senior = True

    @factory.post_generation
    def disciplines(self, create, extracted, **kwargs):
        if not create:
            return
        codes = ["080.10"] if extracted is None else list(extracted)
        ExpertDiscipline.objects.bulk_create(
            [ExpertDiscipline(expert=self, code=code, is_primary=index == 0) for index, code in enumerate(codes)]
        )


class ConflictFactory(factory.django.DjangoModelFactory):
    """A declared conflict with an organisation (pass ``organisation=None, person_name=...`` for a person)."""

    class Meta:
        model = DeclaredConflict

    expert = factory.SubFactory(ExpertFactory)
    organisation = factory.SubFactory(OrganisationFactory)


class CollaborationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Collaboration

    expert = factory.SubFactory(ExpertFactory)
    person_name = factory.Sequence(lambda n: f"合作者{n:04d}")
    person_id_number = factory.Sequence(lambda n: f"32010219750101{n:04d}")
    kind = Collaboration.Kind.CO_AUTHOR
    year = factory.LazyFunction(lambda: timezone.localdate().year - 1)


class AvailabilityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Availability

    expert = factory.SubFactory(ExpertFactory)
    starts_on = factory.LazyFunction(timezone.localdate)
    ends_on = factory.LazyAttribute(lambda a: a.starts_on + datetime.timedelta(days=30))
