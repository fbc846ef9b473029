"""Render a template to PDF with WeasyPrint: embedded CJK font, page header and footer with
page numbers, and a classification mark on every page where one applies (S8)."""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext
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
        "page_label_css": _page_label_css(),
        "pdf_title": title,
        "classification_mark": classification_mark,
        "running_header": header or str(settings.PORTAL_NAME),
        # CSS string literals for the page margin boxes (escapejs would print \u002D for "-").
        "classification_mark_css": _css_string(str(classification_mark)),
        "running_header_css": _css_string(str(header or settings.PORTAL_NAME)),
        "generated_at": timezone.localtime(),
    }
    html = render_to_string(template_name, context, request=request)
    font_config = FontConfiguration()
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf(font_config=font_config)


def _css_string(text: str) -> str:
    """``text`` as a CSS string literal, safe inside a <style> element."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3C ").replace(">", "\\3E ")
    return '"' + " ".join(escaped.split("\n")) + '"'


def _page_label_css() -> str:
    """The footer's CSS ``content`` value, e.g. "第 " counter(page) " 页，共 " counter(pages) " 页"."""
    label = gettext("Page %(page)s of %(pages)s") % {"page": "\x00page\x00", "pages": "\x00pages\x00"}
    parts = []
    for index, piece in enumerate(label.split("\x00")):
        if index % 2:
            parts.append(f"counter({piece})")
        elif piece:
            parts.append(_css_string(piece))
    return " ".join(parts)
