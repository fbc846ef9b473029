import datetime as dt

import factory

from accounts.models import Organisation
from accounts.tests.factories import OrganisationFactory, UserFactory
from projects.models import Program, Project


class ProgramFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Program
        django_get_or_create = ("code",)

    code = Program.Code.KEY_RD
    name = "国家重点研发计划"


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project

    program = factory.SubFactory(ProgramFactory)
    number = factory.Sequence(lambda n: f"2026YFA{n:07d}")
    title = factory.Sequence(lambda n: f"示范项目{n}")
    lead_unit = factory.SubFactory(OrganisationFactory)
    leader = factory.SubFactory(UserFactory, organisation=factory.SelfAttribute("..lead_unit"), roles=["applicant"])
    managing_agency = factory.SubFactory(OrganisationFactory, kind=Organisation.Kind.AGENCY)
    start_date = dt.date(2026, 1, 1)
    end_date = dt.date(2029, 12, 31)
    funds_received_on = dt.date(2026, 3, 15)
