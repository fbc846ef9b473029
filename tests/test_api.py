"""Token auth and /api/v1/me/ for every role; errors in the format of design §5."""

import pytest

from accounts.roles import Role
from accounts.tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", Role.values)
def test_token_then_me_for_every_role(api_client, role_users, role):
    user = role_users[role]
    response = api_client.post(
        "/api/v1/auth/token/", {"username": user.username, "password": DEFAULT_PASSWORD}, format="json"
    )
    assert response.status_code == 200
    token = response.json()["token"]

    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = api_client.get("/api/v1/me/")
    assert me.status_code == 200
    assert me.json() == {
        "username": user.username,
        "real_name": user.real_name,
        "organisation": {
            "id": user.organisation.id,
            "name": user.organisation.name,
            "credit_code": user.organisation.credit_code,
            "kind": user.organisation.kind,
        },
        "roles": [role],
    }


def test_me_without_token_is_401_in_the_error_format(api_client):
    response = api_client.get("/api/v1/me/")
    assert response.status_code == 401
    body = response.json()
    assert set(body) == {"code", "detail", "fields"}
    assert body["code"] == "not_authenticated"
    assert body["detail"]
    assert response.headers["WWW-Authenticate"].startswith("Token")


def test_me_with_a_bad_token_is_401(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    response = api_client.get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_wrong_password_is_400_with_fields(api_client, make_user):
    user = make_user("applicant")
    response = api_client.post("/api/v1/auth/token/", {"username": user.username, "password": "wrong"}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert "non_field_errors" in body["fields"]
    assert "token" not in body


def test_missing_fields_name_the_fields(api_client):
    response = api_client.post("/api/v1/auth/token/", {}, format="json")
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"username", "password"}


def test_unknown_api_route_is_404_in_the_error_format(api_client, make_user):
    api_client.force_authenticate(make_user("applicant"))
    response = api_client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404


def test_schema_is_valid_openapi(client):
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/me/" in schema["paths"]
    assert "/api/v1/auth/token/" in schema["paths"]


def test_schema_generation_has_no_warnings():
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null")


def test_api_docs_page_loads(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert b"swagger" in response.content.lower()
