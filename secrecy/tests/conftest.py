import pytest
from django.conf import settings
from django.utils import translation


@pytest.fixture(autouse=True)
def english_messages():
    """The secrecy tests read rule messages in the source language; the Chinese catalogue is
    checked for completeness by core/tests/test_i18n.py."""
    with translation.override("en"):
        yield


@pytest.fixture
def english_client(client):
    """The test client with the language cookie set to English (pages are Chinese by default)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def english_api_client(api_client):
    api_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return api_client
