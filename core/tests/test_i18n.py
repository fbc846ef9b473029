"""Simplified Chinese by default, English on request through the language switch."""

import pytest

pytestmark = pytest.mark.django_db


def test_login_page_is_chinese_whatever_the_browser_asks(client):
    response = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response.status_code == 200
    assert response.headers["Content-Language"] == "zh-hans"
    assert "<h1>登录</h1>" in response.content.decode()


def test_switch_to_english_and_back(client, make_user):
    client.force_login(make_user("applicant"))
    assert "我的待办" in client.get("/dashboard/").content.decode()

    response = client.post("/i18n/setlang/", {"language": "en", "next": "/dashboard/"})
    assert response.status_code == 302
    assert "My tasks" in client.get("/dashboard/").content.decode()

    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/dashboard/"})
    assert "我的待办" in client.get("/dashboard/").content.decode()


def test_every_catalogue_entry_is_translated():
    from pathlib import Path

    from django.conf import settings

    catalogue = Path(settings.BASE_DIR, "locale", "zh_Hans", "LC_MESSAGES", "django.po").read_text(encoding="utf-8")
    entries = catalogue.split("\n\n")[1:]
    untranslated = [entry for entry in entries if entry.rstrip().endswith('msgstr ""') or "#, fuzzy" in entry]
    assert untranslated == []
