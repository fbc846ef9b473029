import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def english_messages():
    """The review tests read rule messages in the source language; the Chinese catalogue is
    checked for completeness by core/tests/test_i18n.py."""
    with translation.override("en"):
        yield
