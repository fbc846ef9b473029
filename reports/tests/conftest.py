import pytest
from django.conf import settings
from django.utils import translation


@pytest.fixture(autouse=True)
def english_messages():
    """The report tests read rule messages in the source language; the Chinese catalogue is
    checked for completeness by core/tests/test_i18n.py."""
    with translation.override("en"):
        yield


@pytest.fixture
def english(client, api_client):
    """Pages and API answer in English (the language cookie), for asserting their text."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    api_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client
