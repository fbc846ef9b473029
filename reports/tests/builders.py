"""Reports made through the services, for tests: the leader drafts and files, the lead unit
submits, the agency confirms."""

from __future__ import annotations

import datetime as dt
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfWriter

from accounts.tests.factories import UserFactory
from reports import services
from reports.models import TechReport
from reports.rules import Access


def pdf_upload(pages: int = 2, name: str = "report.pdf") -> SimpleUploadedFile:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    data = io.BytesIO()
    writer.write(data)
    return SimpleUploadedFile(name, data.getvalue(), content_type="application/pdf")


def people(project) -> dict:
    """The project's leader, an administrator of its lead unit and a user of its agency."""
    return {
        "leader": project.leader,
        "unit": UserFactory(organisation=project.lead_unit, roles=["unit_admin"]),
        "agency": UserFactory(organisation=project.managing_agency, roles=["agency"]),
    }


def draft(project, **values) -> TechReport:
    fields = {
        "kind": "final",
        "title": "合成酶定向进化最终报告",
        "title_en": "Final report on directed evolution of synthetic enzymes",
        "abstract": "本报告总结了项目的研究过程、主要成果与结论。",
        "abstract_en": "This report summarises the research, its results and conclusions.",
        "keywords": "合成生物学；定向进化；酶工程",
        "authors": "张三；李四",
        "compiled_on": dt.date(2026, 3, 1),
        "access": Access.PUBLIC,
        **values,
    }
    file = fields.pop("file", pdf_upload())
    return services.report_create(actor=project.leader, project=project, file=file, **fields)


def confirmed(project, *, who: dict | None = None, release_on: dt.date | None = None, **values) -> TechReport:
    who = who or people(project)
    if release_on is not None:
        values["release_on"] = release_on
    report = draft(project, **values)
    report = services.report_file(actor=who["leader"], report=report)
    report = services.report_submit(actor=who["unit"], report=report)
    return services.report_confirm(actor=who["agency"], report=report)
