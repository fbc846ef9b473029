"""Browser journey of a delayed tech report (T2, T3, T5, T6, T7): the leader writes it in the
form with its PDF and files it, the lead unit submits it, the agency confirms it; the public
finds it and reads only the abstract; on its release date it opens by itself, the anonymous
visitor is told to log in, and a registered real-name user opens the stamped full text."""

import datetime as dt
import io
import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from pypdf import PdfReader

from accounts import demo
from accounts.models import User
from projects.tests.factories import ProjectFactory
from reports import services
from reports.models import Download, TechReport
from reports.tests.factories import small_pdf
from tests.browser import browser_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "demo-pass-2026"
TITLE = "合成基因组设计软件调研报告（浏览器）"


def log_in(page, base, username):
    page.context.clear_cookies()
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("[data-testid=login-submit]")
    page.wait_for_url(re.compile(r".*/dashboard/$"))


def test_delayed_report_journey(live_server, settings, tmp_path):
    settings.DEMO_PASSWORD = PASSWORD
    settings.MEDIA_ROOT = tmp_path / "uploads"
    demo.load()
    leader = User.objects.get(username="applicant")
    agency = User.objects.get(username="agency")
    project = ProjectFactory(leader=leader, lead_unit=leader.organisation, managing_agency=agency.organisation)
    services.plan_ensure(project=project)
    full_text = tmp_path / "调研报告全文.pdf"
    full_text.write_bytes(small_pdf())
    release_on = timezone.localdate() + dt.timedelta(days=200)
    base = live_server.url

    with browser_page() as (page, errors):
        # The leader writes the report with its PDF, saves the draft and files it.
        log_in(page, base, "applicant")
        page.goto(f"{base}/projects/{project.pk}/tech-reports/")
        page.click("[data-testid=report-new]")
        page.select_option("#id_kind", "survey")
        page.fill("#id_title", TITLE)
        page.fill("#id_title_en", "Survey of genome design software")
        page.fill("#id_abstract", "本报告调研了国内外合成基因组设计软件的功能与算法。")
        page.fill("#id_abstract_en", "A survey of genome design software, its functions and algorithms.")
        page.fill("#id_keywords", "基因组设计；软件；调研")
        page.fill("#id_authors", "张明\n赵一鸣")
        page.select_option("#id_access", "delayed")
        page.select_option("#id_delay_reason", "paper")
        page.fill("#id_release_on", release_on.isoformat())
        page.set_input_files("#id_file", str(full_text))
        page.click("[data-testid=report-save]")
        page.wait_for_url(re.compile(r".*/reports/\d+/$"))
        report = TechReport.objects.get(title=TITLE)
        assert report.state == "draft" and report.keywords == ["基因组设计", "软件", "调研"]
        with page.expect_navigation():
            page.click("[data-testid=action-file]")
        expect(page.locator("[data-testid=report-state]")).to_have_text(re.compile("."))
        report.refresh_from_db()
        assert report.state == "filed" and report.number

        # The lead unit checks and submits it; the agency confirms the release terms.
        log_in(page, base, "unit_admin")
        page.goto(f"{base}/reports/{report.pk}/")
        with page.expect_navigation():
            page.click("[data-testid=action-submit]")
        report.refresh_from_db()
        assert report.state == "submitted"
        log_in(page, base, "agency")
        page.goto(f"{base}/reports/{report.pk}/")
        expect(page.locator("[data-testid=confirm-release-on]")).to_have_value(release_on.isoformat())
        with page.expect_navigation():
            page.click("[data-testid=action-confirm]")
        report.refresh_from_db()
        assert report.state == "confirmed" and report.release_on == release_on

        # The public finds it and reads the abstract, never the full text.
        page.context.clear_cookies()
        page.goto(f"{base}/tech-reports/")
        page.fill("#id_q", "设计软件")
        with page.expect_navigation():
            page.click("[data-testid=search-submit]")
        row = page.locator(f"[data-testid=report-{report.pk}]")
        expect(row).to_contain_text(report.number)
        with page.expect_navigation():
            row.locator("a").click()
        expect(page.locator("[data-testid=abstract]")).to_contain_text("合成基因组设计软件")
        expect(page.locator("[data-testid=citation]")).to_have_value(re.compile(re.escape(f"{report.number}.")))
        expect(page.locator("[data-testid=full-text-link]")).to_have_count(0)

        # On its release date the report opens by itself (the timer's path).
        assert services.release_due(report=report, today=release_on)
        page.reload()
        expect(page.locator("[data-testid=full-text-link]")).to_have_count(0)
        expect(page.locator("[data-testid=full-text-refusal]")).to_be_visible()
        expect(page.locator("[data-testid=login-link]")).to_be_visible()

        # A registered real-name user opens the full text, stamped with their name.
        log_in(page, base, "expert")
        page.goto(f"{base}/tech-reports/{report.pk}/")
        with page.expect_download() as download:
            page.click("[data-testid=full-text-link]")
        pdf = PdfReader(io.BytesIO(Path(download.value.path()).read_bytes()))
        assert len(pdf.pages) == 3
        for pdf_page in pdf.pages:
            content = pdf_page.extract_text()
            assert "刘洋" in content and report.number in content
        assert Download.objects.filter(report=report, user__username="expert").count() == 1
        assert errors == []
