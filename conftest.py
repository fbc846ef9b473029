import pytest
from rest_framework.test import APIClient

from accounts.roles import Role
from accounts.tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _uploads_in_a_temporary_folder(settings, tmp_path):
    """Uploads made by a test go to its own folder, never to the project's var/uploads."""
    settings.MEDIA_ROOT = tmp_path / "uploads"


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def make_user(db):
    def make(*roles: str, **fields):
        return UserFactory(roles=list(roles), **fields)

    return make


@pytest.fixture
def role_users(db) -> dict[str, object]:
    """One user per role of design §1, keyed by role code."""
    return {code: UserFactory(username=f"{code}-user", roles=[code]) for code in Role.values}
