import datetime as dt

import factory

from accounts.models import Organisation
from accounts.tests.factories import OrganisationFactory, UserFactory
from projects.models import Call, Program, Project, SpecialProject


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


class SpecialProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SpecialProject

    program = factory.SubFactory(ProgramFactory)
    name = factory.Sequence(lambda n: f"示范重点专项{n}")
    managing_agency = factory.SubFactory(OrganisationFactory, kind=Organisation.Kind.AGENCY)


class CallFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Call

    special_project = factory.SubFactory(SpecialProjectFactory)
    title = factory.Sequence(lambda n: f"2027年度示范重点专项项目申报指南{n}")
    year = 2027
    closes_at = dt.datetime(2027, 3, 31, 16, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
