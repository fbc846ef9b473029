"""Browser journey of a budget book (B1–B3): the applicant edits a subject's table, sees the
subject roll-up and the indirect-cost cap follow what is typed before saving, saves an indirect
line over the cap and gets the B2 error, corrects it and the checks pass."""

import re

import pytest
from playwright.sync_api import expect

from accounts import demo
from accounts.models import User
from budgets.models import BudgetLine
from budgets.tests.builders import call_for
from projects.tests.builders import complete_proposal
from tests.browser import browser_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "demo-pass-2026"


def log_in(page, base, username):
    page.context.clear_cookies()
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("[data-testid=login-submit]")
    page.wait_for_url(re.compile(r".*/dashboard/$"))


def test_budget_cap_follows_typing(live_server, settings):
    settings.DEMO_PASSWORD = PASSWORD
    demo.load()
    applicant = User.objects.get(username="applicant")
    proposal = complete_proposal(call_for("key_rd", "krd-2016"), applicant=applicant)
    version = proposal.budget.working_version
    subject = proposal.subjects.order_by("number").first()
    base = live_server.url

    with browser_page() as (page, errors):
        log_in(page, base, "applicant")
        page.goto(f"{base}/proposals/{proposal.pk}/")
        page.click("[data-testid=open-budget]")
        page.wait_for_url(re.compile(rf".*/budgets/versions/{version.pk}/$"))
        # The passing budget: 4 300 000 direct, no equipment → cap 860 000.00 (B2, KRD-FUNDS §20).
        expect(page.locator("[data-testid=cap-s1]")).to_have_text(re.compile(r"^860,?000\.00$"))
        assert page.locator("[data-testid=checks-pass]").is_visible()

        # Typing 6 000 000 of materials (direct 7 800 000) raises the cap live, before saving:
        # 1 000 000 + 15 % × 2 800 000 = 1 420 000.00.
        table = page.locator("[data-testid=lines-s1-u1]")
        table.locator("[name=materials-central]").fill("6000000")
        expect(page.locator("[data-testid=cap-s1]")).to_have_text(re.compile(r"^1,?420,?000\.00$"))
        assert "1420000.00" in page.locator("[data-testid=cap-beside-s1-u1]").inner_text().replace(",", "")
        assert BudgetLine.objects.get(version=version, subject=subject, category="materials").central == 2500000

        # Back to 2 500 000, with an indirect line above the cap: the cap beside it turns red live…
        table.locator("[name=materials-central]").fill("2500000")
        table.locator("[name=indirect-central]").fill("900000")
        expect(page.locator("[data-testid=cap-beside-s1-u1]")).to_have_class(re.compile(r"\bover\b"))
        # …and saved, the B2 check blocks submission, naming the article.
        page.click("[data-testid=save-s1-u1]")
        page.wait_for_load_state()
        assert "KRD-FUNDS §20" in page.locator("[data-testid=issue-B2]").inner_text()

        # Corrected within the cap (and the yearly schedule), every check passes again.
        table = page.locator("[data-testid=lines-s1-u1]")
        table.locator("[name=indirect-central]").fill("700000")
        page.click("[data-testid=save-s1-u1]")
        page.wait_for_load_state()
        assert page.locator("[data-testid=checks-pass]").is_visible(), page.locator("#checks").inner_text()
        assert BudgetLine.objects.get(version=version, subject=subject, category="indirect").central == 700000
        assert errors == []
