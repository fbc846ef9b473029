"""Browser journey of establishment (P1–P5, P11): the applicant files a formal application with
two subjects and an attachment, the unit submits it, the agency passes formal review and
proposes it, the ministry approves it, it appears on the public notice, the agency issues the
approval notice, and the task book PDF names the project."""

import datetime as dt
import io
import re
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone
from pypdf import PdfReader

from accounts import demo
from projects.models import Call, Project, Proposal
from tests.browser import browser_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "demo-pass-2026"
TITLE = "人工合成酵母基因组的设计与构建（浏览器测试）"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def log_in(page, base, username):
    page.context.clear_cookies()
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("[data-testid=login-submit]")
    page.wait_for_url(re.compile(r".*/dashboard/$"))


def add(page, part, values, selects=None):
    form = page.locator(f"#{part} form.inline-add")
    for name, value in values.items():
        form.locator(f"[name={name}]").fill(value)
    for name, label in (selects or {}).items():
        form.locator(f"select[name={name}]").select_option(label=label)
    form.locator(f"[data-testid=add-{part}]").click()
    page.wait_for_load_state()


def test_establishment_journey(live_server, settings, tmp_path):
    settings.DEMO_PASSWORD = PASSWORD
    demo.load()
    from projects.demo import load as load_projects

    load_projects()
    call = Call.objects.get(year=2027, state=Call.State.PUBLISHED)
    base = live_server.url
    attachment = tmp_path / "联合申报协议.pdf"
    attachment.write_bytes(PDF)

    with time_machine.travel(timezone.now(), tick=True) as clock, browser_page() as (page, errors):
        # The applicant starts and fills the application.
        log_in(page, base, "applicant")
        page.goto(f"{base}/calls/{call.pk}/")
        page.click("[data-testid=apply]")
        page.wait_for_url(re.compile(r".*/proposals/\d+/$"))
        proposal = Proposal.objects.get(applicant__username="applicant", call=call)
        basic = page.locator("#basic form")
        basic.locator("[name=title]").fill(TITLE)
        basic.locator("[name=summary]").fill("设计并化学合成酵母染色体。")
        basic.locator("[name=keywords]").fill("合成生物学；基因组")
        basic.locator("[name=start_date]").fill("2027-07-01")
        basic.locator("[name=end_date]").fill("2030-06-30")
        basic.locator("select[name=direction]").select_option(index=1)
        basic.locator("button[type=submit]").click()
        page.wait_for_load_state()

        page.locator("[data-testid=edit-person-1] summary").click()
        leader_form = page.locator("[data-testid=edit-person-1] form")
        leader_form.locator("[name=id_number]").fill("110101197005010011")
        leader_form.locator("[name=birth_date]").fill("1970-05-01")
        leader_form.locator("button[type=submit]").click()
        page.wait_for_load_state()

        add(page, "unit", {}, {"organisation": "中国示范科学研究院"})
        for number, unit in ((1, "华北示范大学"), (2, "中国示范科学研究院")):
            add(
                page,
                "person",
                {"name": f"课题负责人{number}", "id_number": f"11010119800101000{number}", "birth_date": "1980-01-01"},
                {"role": "课题负责人", "organisation": unit},
            )
            add(
                page,
                "subject",
                {"title": f"课题{number}", "requested_funds": "5000000.00"},
                {"unit": unit, "leader": f"课题负责人{number}"},
            )
        # The budget book (2021 reform edition): each subject's table and yearly schedule.
        page.click("[data-testid=open-budget]")
        page.wait_for_url(re.compile(r".*/budgets/versions/\d+/$"))
        for number in (1, 2):
            table = page.locator(f"[data-testid=lines-s{number}-u1]")
            table.locator("[name=business-central]").fill("3800000")
            table.locator("[name=labour-central]").fill("500000")
            table.locator("[name=labour-basis]").fill("博士后 2 名 × 3 年")
            table.locator("[name=indirect-central]").fill("700000")
            table.locator("[name=indirect-performance_pay]").fill("200000")
            page.click(f"[data-testid=save-s{number}-u1]")
            page.wait_for_load_state()
            for year in (2027, 2028, 2029, 2030):
                page.fill(f"[data-testid=year-{year}-s{number}-u1]", "1250000")
            page.click(f"[data-testid=save-years-s{number}-u1]")
            page.wait_for_load_state()
        assert page.locator("[data-testid=checks-pass]").is_visible(), page.locator("#checks").inner_text()
        assert page.locator("[data-testid=project-central]").inner_text().replace(",", "") == "10000000.00"
        page.goto(f"{base}/proposals/{proposal.pk}/")
        add(page, "indicator", {"name": "合成染色体数", "target_value": "≥3 条", "measurement": "测序验证"})
        add(page, "schedule", {"starts_on": "2027-07-01", "ends_on": "2028-06-30", "work": "设计与合成"})
        form = page.locator("#attachment form.inline-add")
        form.locator("select[name=kind]").select_option(value="joint_agreement")
        form.locator("[name=file]").set_input_files(str(attachment))
        form.locator("[data-testid=add-attachment]").click()
        page.wait_for_load_state()
        while page.locator("[data-testid=pledge]").count():
            page.locator("[data-testid=pledge]").first.click()
            page.wait_for_load_state()
        assert page.locator("[data-testid=complete]").is_visible(), page.locator("#completeness").inner_text()
        page.click("[data-testid=submit]")
        page.wait_for_load_state()
        assert page.locator("[data-testid=proposal-state]").inner_text() == "已提交单位审核"

        # The unit administrator submits for the unit.
        log_in(page, base, "unit_admin")
        page.goto(f"{base}/proposals/{proposal.pk}/")
        page.click("[data-testid=unit-submit]")
        page.wait_for_load_state()
        assert page.locator("[data-testid=proposal-state]").inner_text() == "专业机构已受理"

        # The agency passes the formal review and proposes the project.
        log_in(page, base, "agency")
        page.goto(f"{base}/proposals/{proposal.pk}/")
        page.click("[data-testid=open-formal-review]")
        page.wait_for_load_state()
        for box in page.locator("#formal-review input[type=checkbox]").all():
            box.check()
        page.locator("#formal-review input[name=passed][value='1']").check()
        page.click("[data-testid=decide-formal-review]")
        page.wait_for_load_state()
        page.click("[data-testid=propose]")
        page.wait_for_load_state()

        # The ministry approves; the project goes on public notice.
        log_in(page, base, "ministry")
        page.goto(f"{base}/calls/{call.pk}/compliance/")
        page.click("[data-testid=compliance-approve]")
        page.wait_for_load_state()
        page.context.clear_cookies()
        page.goto(f"{base}/public-notices/")
        page.locator("main a").first.click()
        page.wait_for_load_state()
        assert TITLE in page.locator("[data-testid=notice-entries]").inner_text()

        # After the notice period the agency issues the approval notice.
        clock.shift(dt.timedelta(days=10))
        log_in(page, base, "agency")
        page.goto(f"{base}/proposals/{proposal.pk}/")
        page.click("[data-testid=approve]")
        page.wait_for_url(re.compile(r".*/projects/\d+/$"))
        project = Project.objects.get(proposal=proposal)
        assert project.number in page.locator("[data-testid=funding-label]").input_value()

        # The leader downloads the task book PDF.
        log_in(page, base, "applicant")
        page.goto(f"{base}/projects/{project.pk}/")
        page.locator("[data-testid=task-book-link]").first.click()
        page.wait_for_load_state()
        with page.expect_download() as download:
            page.click("[data-testid=task-book-pdf]")
        pdf = PdfReader(io.BytesIO(Path(download.value.path()).read_bytes()))
        text = "".join(page_of_pdf.extract_text() for page_of_pdf in pdf.pages)
        assert TITLE in text and project.number in text
        assert errors == []
