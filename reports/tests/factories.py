"""Factories and builders of the report tests: a small real PDF, the people of a project
(leader, lead unit administrator, managing agency user), a classification authority, and
confirmed reports of each access kind made through the services as in life (the leader
creates and files, the unit submits, the agency confirms)."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from weasyprint import HTML

from accounts.models import Organisation, User
from accounts.tests.factories import OrganisationFactory, UserFactory
from projects.models import Project
from projects.tests.factories import ProjectFactory
from reports import services
from reports.models import PlanItem, TechReport
from reports.rules import Access, DelayReason, Kind
from secrecy import services as secrecy
from secrecy.models import Authority
from secrecy.rules import Level, Stage, Tier

PDF_PAGES = 2


@functools.cache
def small_pdf() -> bytes:
    """A real two-page PDF with CJK text (the filed full text)."""
    html = (
        '<html><head><meta charset="utf-8"><style>body { font-family: "Noto Serif CJK SC", serif; } '
        ".page { break-after: page; }</style></head><body>"
        '<div class="page"><h1>第一章 引言</h1><p>研究背景与意义。</p></div>'
        "<div><h1>第二章 方法</h1><p>实验方法与数据。</p></div></body></html>"
    )
    return HTML(string=html).write_pdf()


def pdf_upload(name: str = "report.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, small_pdf(), content_type="application/pdf")


class PlanItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PlanItem

    project = factory.SubFactory(ProjectFactory)
    kind = Kind.FINAL
    title = "最终报告"
    due_on = dt.date(2029, 12, 31)


class TechReportFactory(factory.django.DjangoModelFactory):
    """A confirmed public report written straight to the table (for lists and counts; the
    journeys go through the services)."""

    class Meta:
        model = TechReport
        skip_postgeneration_save = True

    project = factory.SubFactory(ProjectFactory)
    kind = Kind.EXPERIMENT
    title = factory.Sequence(lambda n: f"示范实验报告{n}")
    title_en = factory.Sequence(lambda n: f"Demonstration experiment report {n}")
    abstract = "本报告记录了示范实验的设计、过程与数据。"
    abstract_en = "This report records the design, course and data of a demonstration experiment."
    keywords = factory.LazyFunction(lambda: ["示范", "实验", "数据"])
    authors = factory.LazyFunction(lambda: ["张三", "李四"])
    compiled_on = dt.date(2026, 6, 1)
    access = Access.PUBLIC
    number = factory.Sequence(lambda n: f"91110000MA0000000X-2026YFA{n:07d}-001")
    state = TechReport.State.CONFIRMED
    created_by = factory.LazyAttribute(lambda report: report.project.leader)
    submitted_on = dt.date(2026, 6, 10)
    submitted_at = factory.LazyFunction(timezone.now)
    confirmed_at = factory.LazyFunction(timezone.now)
    released_at = factory.LazyFunction(timezone.now)
    release_basis = "public"

    @factory.post_generation
    def units(self, create, extracted, **kwargs):
        if create:
            self.units.set(extracted or [self.project.lead_unit])


@dataclass
class People:
    project: Project
    leader: User
    unit_admin: User
    agency: User


def project_people(**project_fields) -> People:
    """A project with its leader, an administrator of its lead unit and a user of its
    managing agency."""
    project = ProjectFactory(**project_fields)
    return People(
        project=project,
        leader=project.leader,
        unit_admin=UserFactory(roles=["unit_admin"], organisation=project.lead_unit),
        agency=UserFactory(roles=["agency"], organisation=project.managing_agency),
    )


def report_values(access: str = Access.PUBLIC, **overrides) -> dict:
    """Everything a report needs to be filed."""
    values = {
        "kind": Kind.FINAL,
        "title": "人工合成酵母基因组的设计与构建最终报告",
        "title_en": "Final report on the design and construction of a synthetic yeast genome",
        "abstract": "本报告总结了人工合成酵母基因组的设计方法、合成与组装技术及主要结果。",
        "abstract_en": "The design methods, synthesis and assembly techniques and main results.",
        "keywords": "合成生物学；人工基因组；酵母",
        "authors": "张明；李华",
        "access": access,
    }
    if access == Access.DELAYED:
        values.update(delay_reason=DelayReason.PAPER, release_on=timezone.localdate() + dt.timedelta(days=180))
    if access == Access.CLASSIFIED:
        values.update(secret_level="secret", secret_years=5)
    values.update(overrides)
    return values


def filed_report(people: People, access: str = Access.PUBLIC, *, with_file: bool = True, **overrides) -> TechReport:
    report = services.report_create(
        actor=people.leader,
        project=people.project,
        file=pdf_upload() if with_file else None,
        **report_values(access, **overrides),
    )
    return services.report_file(actor=people.leader, report=report)


def submitted_report(people: People, access: str = Access.PUBLIC, **overrides) -> TechReport:
    return services.report_submit(actor=people.unit_admin, report=filed_report(people, access, **overrides))


def authority():
    """A central classification authority with its head and a responsible classifier."""
    organisation = OrganisationFactory(kind=Organisation.Kind.MINISTRY)
    made = Authority.objects.create(
        organisation=organisation, tier=Tier.CENTRAL, head=UserFactory(organisation=organisation)
    )
    made.officer = UserFactory(organisation=organisation, roles=["secrecy_officer"])
    return made


def classify(target, *, users=()):
    """A secret classification decision on ``target`` naming ``users`` (S2, S6)."""
    by = authority()
    return secrecy.classify(
        actor=by.officer,
        target=target,
        authority=by,
        name="合成基因组关键工艺",
        level=Level.SECRET,
        period_years=5,
        key_points="工艺参数",
        stage=Stage.ACCEPTANCE,
        confirmed_classifiable=True,
        users=list(users),
    )


def confirmed_report(
    people: People, access: str = Access.PUBLIC, *, need_to_know=(), release_on=None, **overrides
) -> TechReport:
    """A report of ``access`` kind taken the whole way: created with a PDF and filed by the
    leader, submitted by the unit, confirmed by the agency. A classified one is classified
    first, naming the leader, the unit administrator, the agency user and ``need_to_know``
    (the full text needs ``PORTAL_MAX_CLASSIFICATION`` at secret or above)."""
    if release_on is not None:
        overrides["release_on"] = release_on
    report = submitted_report(people, access, **overrides)
    if access == Access.CLASSIFIED:
        classify(report, users=[people.leader, people.unit_admin, people.agency, *need_to_know])
    return services.report_confirm(actor=people.agency, report=report)
