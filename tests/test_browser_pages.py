"""Every page each role can open renders in chromium without a JavaScript or CSP error."""

import pytest
from django.urls import reverse

from accounts import demo
from accounts.models import User
from accounts.roles import Role
from core.access import declared_routes
from tests.browser import browser_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "demo-pass-2026"
EXTRA_PAGES = {"admin": ["/admin/accounts/user/", "/admin/accounts/organisation/", "/admin/core/auditevent/"]}
# Pages that build themselves with JavaScript after loading.
SCRIPTED_PAGES = {"/api/docs/"}


def _pages_for(user) -> list[str]:
    urls = []
    for route in declared_routes():
        if route.full_name is None or route.is_parameterised or route.policy is None:
            continue
        if route.namespaces[:1] == ("admin",) and route.full_name != "admin:index":
            continue
        if route.policy.admits(user):
            urls.append(reverse(route.full_name))
    return urls


def test_pages_have_no_javascript_errors_for_any_role(live_server, settings):
    settings.DEMO_PASSWORD = PASSWORD
    demo.load()
    with browser_page() as (page, errors):
        for role in Role.values:
            page.context.clear_cookies()
            page.goto(f"{live_server.url}/accounts/login/")
            page.fill("#id_username", role)
            page.fill("#id_password", PASSWORD)
            page.click("[data-testid=login-submit]")
            page.wait_for_url(f"{live_server.url}/dashboard/")
            visited = []
            for url in [*_pages_for(User.objects.get(username=role)), *EXTRA_PAGES.get(role, [])]:
                # Only pages: not POST-only actions (405), JSON endpoints or redirects.
                probe = page.request.get(f"{live_server.url}{url}", max_redirects=0)
                if probe.status != 200 or "text/html" not in probe.headers.get("content-type", ""):
                    continue
                page.goto(f"{live_server.url}{url}")
                if url in SCRIPTED_PAGES:
                    page.wait_for_load_state("networkidle")
                visited.append(url)
                assert errors == [], f"{role} {url}: {errors}"
            assert {"/dashboard/", "/notifications/", "/api/docs/"} <= set(visited), role
