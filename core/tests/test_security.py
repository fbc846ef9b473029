"""Security defaults: deploy checks, CSP, CSRF, lockout, uploads without a public URL."""

import io
import os
import subprocess
import sys

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db


def test_check_deploy_is_clean_with_production_settings():
    environment = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "p" * 20 + "-production-secret-of-sufficient-length-and-entropy-9f8e7d6c5b4a",
        "ALLOWED_HOSTS": "portal.example.cn",
        "SECURE_SSL_REDIRECT": "1",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_pages_carry_a_content_security_policy(client):
    response = client.get("/accounts/login/")
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert response.headers["X-Frame-Options"] == "DENY"


def test_csrf_is_enforced_on_login(make_user):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    user = make_user("applicant")
    response = client.post("/accounts/login/", {"username": user.username, "password": "x"})
    assert response.status_code == 403


def test_five_failures_lock_the_account(client, make_user):
    from accounts.tests.factories import DEFAULT_PASSWORD

    user = make_user("applicant")
    for _attempt in range(4):
        response = client.post("/accounts/login/", {"username": user.username, "password": "wrong"})
        assert response.status_code == 200
        assert 'data-testid="login-error"' in response.content.decode()
    response = client.post("/accounts/login/", {"username": user.username, "password": "wrong"})
    assert response.status_code == 429
    assert 'data-testid="lockout"' in response.content.decode()
    response = client.post("/accounts/login/", {"username": user.username, "password": DEFAULT_PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_uploads_have_no_public_url(client, make_user, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "secret.pdf").write_bytes(b"%PDF-1.4")
    client.force_login(make_user("admin"))
    assert client.get(f"{settings.MEDIA_URL}secret.pdf").status_code == 404
    static_root = settings.BASE_DIR / "static"
    assert not str(settings.MEDIA_ROOT).startswith(str(static_root))


def test_protected_file_response_serves_only_what_a_view_hands_it(tmp_path, settings):
    from django.core.files.storage import FileSystemStorage
    from django.db.models.fields.files import FieldFile, FileField
    from django.http import Http404

    from core.files import protected_file_response

    storage = FileSystemStorage(location=tmp_path)
    storage.save("a.pdf", io.BytesIO(b"%PDF-1.4 demo"))
    field = FileField(storage=storage)
    field.name = "file"
    response = protected_file_response(FieldFile(None, field, "a.pdf"), filename="申报书.pdf")
    assert response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content) == b"%PDF-1.4 demo"
    response.close()
    with pytest.raises(Http404):
        protected_file_response(FieldFile(None, field, "missing.pdf"), filename="x.pdf")


def test_migrations_are_up_to_date():
    from django.core.management import call_command

    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
