"""PDF rendering: Chinese text extractable, a CJK font embedded, marks on every page."""

import io

import pytest
from pypdf import PdfReader

from core.pdf import render_pdf

pytestmark = pytest.mark.django_db

TEXT = "国家重点研发计划项目任务书"


def _embedded_fonts(reader: PdfReader) -> set[str]:
    names = set()
    for page in reader.pages:
        fonts = page["/Resources"].get_object().get("/Font", {})
        for reference in fonts.values():
            font = reference.get_object()
            descendants = font.get("/DescendantFonts")
            for candidate in [font, *(item.get_object() for item in (descendants or []))]:
                descriptor = candidate.get("/FontDescriptor")
                if descriptor is None:
                    continue
                descriptor = descriptor.get_object()
                if any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")):
                    names.add(str(candidate["/BaseFont"]))
    return names


@pytest.fixture
def pdf_reader():
    paragraphs = [f"{TEXT}：第{number}段，承担单位应当按照任务书约定开展研究工作。" for number in range(1, 80)]
    data = render_pdf(
        "pdf/notice.html",
        {"paragraphs": paragraphs},
        title="立项通知",
        classification_mark="秘密★10年",
    )
    assert data.startswith(b"%PDF-")
    return PdfReader(io.BytesIO(data))


def test_chinese_text_is_extractable(pdf_reader):
    text = "".join(page.extract_text() for page in pdf_reader.pages)
    assert "立项通知" in text
    assert TEXT in text


def test_a_cjk_font_is_embedded(pdf_reader):
    fonts = _embedded_fonts(pdf_reader)
    assert any("CJK" in name for name in fonts), fonts


def test_classification_mark_and_page_numbers_on_every_page(pdf_reader):
    assert len(pdf_reader.pages) >= 2
    total = len(pdf_reader.pages)
    for number, page in enumerate(pdf_reader.pages, start=1):
        text = page.extract_text()
        assert "秘密★10年" in text
        assert f"第 {number} 页，共 {total} 页" in text


def test_no_mark_when_not_classified():
    data = render_pdf("pdf/notice.html", {"paragraphs": ["公开内容"]}, title="公示")
    text = PdfReader(io.BytesIO(data)).pages[0].extract_text()
    assert "公开内容" in text
    assert "秘密" not in text
