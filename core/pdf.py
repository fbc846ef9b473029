"""Render a template to PDF with WeasyPrint: embedded CJK font, page header and footer with
page numbers, and a classification mark on every page where one applies (S8)."""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration

PDF_BASE_TEMPLATE = "pdf/base.html"


def render_pdf(
    template_name: str,
    context: dict | None = None,
    *,
    title: str = "",
    classification_mark: str = "",
    header: str = "",
    request=None,
) -> bytes:
    """Render ``template_name`` (which extends ``pdf/base.html``) to PDF bytes.

    ``classification_mark`` (e.g. "秘密★10年", S8 SECRETS-REGS §15) is printed at the top of
    every page; ``header`` is the running header text (defaults to the portal's name).
    """
    context = {
        **(context or {}),
        "pdf_title": title,
        "classification_mark": classification_mark,
        "running_header": header or str(settings.PORTAL_NAME),
        "generated_at": timezone.localtime(),
    }
    html = render_to_string(template_name, context, request=request)
    font_config = FontConfiguration()
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf(font_config=font_config)
