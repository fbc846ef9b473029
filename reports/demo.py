"""The demo project's tech reports (idempotent): the plan its task book sets (T1) and two
confirmed reports — a public experiment report and a delayed survey report — filed by the
leader, submitted by the lead unit and confirmed by the agency, so that every role finds
something in the depository: the public its abstracts, real-name users a full text, managers
the statistics and a delayed report to authorise."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation
from weasyprint import HTML

from accounts.models import User
from projects.demo import DEMO_PROJECT_NUMBER
from projects.models import Project
from reports import services
from reports.models import TechReport
from reports.rules import Access, DelayReason, Kind

# Loaded after the demo project and its budget (core.demo_loader).
ORDER = 40

REPORTS = [
    {
        "kind": Kind.EXPERIMENT,
        "title": "酵母人工染色体化学合成与组装实验报告",
        "title_en": "Experiment report on the chemical synthesis and assembly of synthetic yeast chromosomes",
        "abstract": "本报告记录了酵母人工染色体片段的设计、化学合成、分级组装与功能验证实验，给出了合成效率、"
        "组装正确率与表型测试数据，可为合成基因组研究提供实验参考。",
        "abstract_en": "This report records the design, chemical synthesis, hierarchical assembly and functional "
        "validation of synthetic yeast chromosome segments, with synthesis yields, assembly accuracy and "
        "phenotype data.",
        "keywords": "合成生物学；人工染色体；基因组组装；酿酒酵母",
        "authors": "张明；李华；王小燕",
        "access": Access.PUBLIC,
    },
    {
        "kind": Kind.SURVEY,
        "title": "合成基因组设计软件国内外发展调研报告",
        "title_en": "Survey of genome design software in China and abroad",
        "abstract": "本报告调研了国内外合成基因组设计软件的功能、算法与应用情况，分析了关键技术差距，"
        "提出了自主设计平台的研发路线。相关论文待发表，延期公开。",
        "abstract_en": "A survey of genome design software, its functions, algorithms and uses, the key gaps and a "
        "development path for a domestic design platform. Delayed until the related paper is published.",
        "keywords": "基因组设计；软件；调研；合成生物学",
        "authors": "张明；赵一鸣",
        "access": Access.DELAYED,
        "delay_reason": DelayReason.PAPER,
    },
]


def demo_pdf(title: str) -> bytes:
    """A short full text standing in for the real report."""
    html = (
        '<html><head><meta charset="utf-8"><style>body { font-family: "Noto Serif CJK SC", serif; }</style></head>'
        f"<body><h1>{title}</h1><p>第一章 引言</p><p>（示范全文，仅用于演示。）</p></body></html>"
    )
    return HTML(string=html).write_pdf()


def load() -> list[TechReport]:
    with translation.override(settings.LANGUAGE_CODE):
        return _load()


def _load() -> list[TechReport]:
    project = Project.objects.filter(number=DEMO_PROJECT_NUMBER).select_related("leader", "lead_unit").first()
    unit_admin = User.objects.filter(username="unit_admin").first()
    agency = User.objects.filter(username="agency").first()
    if project is None or unit_admin is None or agency is None:
        return []
    if not services.is_unit_admin(unit_admin, project) or not services.is_agency(agency, project):
        return []
    services.plan_ensure(project=project)
    made = []
    for values in REPORTS:
        existing = TechReport.objects.filter(project=project, title=values["title"]).first()
        if existing is not None:
            made.append(existing)
            continue
        fields = dict(values)
        if fields["access"] == Access.DELAYED:
            fields["release_on"] = timezone.localdate() + dt.timedelta(days=365)
        report = services.report_create(
            actor=project.leader,
            project=project,
            file=SimpleUploadedFile("report.pdf", demo_pdf(values["title"]), content_type="application/pdf"),
            **fields,
        )
        services.report_file(actor=project.leader, report=report)
        services.report_submit(actor=unit_admin, report=report)
        made.append(services.report_confirm(actor=agency, report=report))
    return made
