"""Documents of the report depository: the cover page the portal generates (number, access
code, metadata, abstract, citation — T2, REPORTS §12, §21) and the full text as served, with the
access code and the reader's name on every page (T6 — REPORTS §18)."""

from __future__ import annotations

import io

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from pypdf import PdfReader, PdfWriter, Transformation
from weasyprint import HTML

from core.pdf import render_pdf
from reports import rules
from reports.models import TechReport
from reports.services import access_code

A4 = (595.28, 841.89)


def citation(report: TechReport) -> str:
    """REPORTS §21: the text to cite the report with."""
    year = (report.submitted_on or report.compiled_on).year
    return rules.citation(
        authors=list(report.authors),
        title=report.title,
        unit=report.project.lead_unit.name,
        year=year,
        number=report.number or "—",
    )


def cover_pdf(report: TechReport) -> bytes:
    code = access_code(report)
    return render_pdf(
        "reports/pdf/cover.html",
        {
            "report": report,
            "access_code": code,
            "authors": "、".join(report.authors),
            "units": "、".join(unit.name for unit in report.units.all()),
            "keywords": "；".join(report.keywords),
            "citation": citation(report),
        },
        title=report.title,
        header=report.number or report.title,
        classification_mark=code,
    )


def _stamp(report: TechReport, reader_name: str) -> PdfReader:
    now = timezone.localtime()
    html = render_to_string(
        "reports/pdf/stamp.html",
        {
            "access_code": access_code(report),
            "number": report.number or "",
            "reader": reader_name,
            "reader_line": _("Copy for %(reader)s, %(when)s — do not pass on")
            % {"reader": reader_name, "when": now.strftime("%Y-%m-%d %H:%M")},
        },
    )
    return PdfReader(io.BytesIO(HTML(string=html).write_pdf()))


def full_text_pdf(report: TechReport, *, reader_name: str) -> bytes:
    """The cover page, then the filed full text; every page carries the access code, the report
    number and the reader's name (scaled onto pages of any size)."""
    stamp_page = _stamp(report, reader_name).pages[0]
    writer = PdfWriter()
    for source in (io.BytesIO(cover_pdf(report)), report.file.open("rb")):
        try:
            for page in PdfReader(source).pages:
                width, height = float(page.mediabox.width), float(page.mediabox.height)
                attached = writer.add_page(page)  # pypdf merges only onto a page of a writer
                attached.merge_transformed_page(stamp_page, Transformation().scale(width / A4[0], height / A4[1]))
        finally:
            source.close()
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
