"""Browser journey: log in as applicant, see the dashboard in Chinese, switch to English, log
out; five wrong passwords lock the account with a message."""

import re

import pytest

from accounts import demo
from tests.browser import browser_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "demo-pass-2026"


@pytest.fixture
def demo_users(settings):
    settings.DEMO_PASSWORD = PASSWORD
    demo.load()


def _log_in(page, base_url: str, username: str, password: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("[data-testid=login-submit]")


def test_applicant_logs_in_switches_language_and_logs_out(live_server, demo_users):
    with browser_page() as (page, errors):
        page.goto(f"{live_server.url}/")
        assert page.url.startswith(f"{live_server.url}/accounts/login/")
        assert page.locator("h1").inner_text() == "登录"

        _log_in(page, live_server.url, "applicant", PASSWORD)
        page.wait_for_url(re.compile(r".*/dashboard/$"))
        assert page.locator("h1.page-title").inner_text() == "我的待办"
        assert page.locator("html").get_attribute("lang") == "zh-hans"
        assert "张明" in page.locator("[data-testid=who]").inner_text()
        assert page.locator("[data-testid=no-tasks]").is_visible()

        page.click("[data-testid=language-en]")
        page.wait_for_load_state()
        assert page.locator("h1.page-title").inner_text() == "My tasks"
        assert page.locator("html").get_attribute("lang") == "en"

        page.click("[data-testid=logout]")
        page.wait_for_url(re.compile(r".*/accounts/login/$"))
        assert page.locator("h1").inner_text() == "Log in"
        page.goto(f"{live_server.url}/dashboard/")
        assert "/accounts/login/" in page.url
        # The lockout page answers 429 Too Many Requests, which chromium logs; nothing else may.
        assert [error for error in errors if "status of 429" not in error] == []


def test_five_wrong_passwords_lock_the_account(live_server, demo_users):
    with browser_page() as (page, errors):
        for _attempt in range(4):
            _log_in(page, live_server.url, "expert", "not-the-password")
            assert page.locator("[data-testid=login-error]").is_visible()
            assert "5" in page.locator("[data-testid=login-error]").inner_text()
        _log_in(page, live_server.url, "expert", "not-the-password")
        lockout = page.locator("[data-testid=lockout]")
        assert lockout.is_visible()
        assert "锁定" in lockout.inner_text()
        # Even the right password is refused while the lock lasts.
        _log_in(page, live_server.url, "expert", PASSWORD)
        assert page.locator("[data-testid=lockout]").is_visible()
        assert "/accounts/login/" in page.url
        # The lockout page answers 429 Too Many Requests, which chromium logs; nothing else may.
        assert [error for error in errors if "status of 429" not in error] == []
