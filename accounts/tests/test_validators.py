"""统一社会信用代码 — GB 32100-2015 check character."""

import pytest
from django.core.exceptions import ValidationError

from accounts.validators import credit_code_check_character, validate_credit_code

# Codes of real, registered organisations (published on their own sites).
VALID_CODES = [
    "91350100M000100Y43",
    "91440300708461136T",
    "12100000400000624D",
    "91110000600037341L",
]


@pytest.mark.parametrize("code", VALID_CODES)
def test_valid_codes_pass(code):
    validate_credit_code(code)
    assert credit_code_check_character(code[:17]) == code[17]


@pytest.mark.parametrize(
    ("code", "expected"),
    [("91350100M000100Y44", "3"), ("91440300708461136A", "T"), ("12100000400000624C", "D")],
)
def test_wrong_check_character_fails_naming_the_expected_one(code, expected):
    with pytest.raises(ValidationError) as raised:
        validate_credit_code(code)
    error = raised.value.error_list[0]
    assert error.code == "credit_code_check"
    message = error.message % error.params
    assert expected in message
    assert "GB 32100-2015" in message


@pytest.mark.parametrize(
    ("code", "error_code"),
    [
        ("91350100M000100Y4", "credit_code_length"),
        ("91350100M000100Y433", "credit_code_length"),
        ("", "credit_code_length"),
        ("91350100M000100I43", "credit_code_characters"),
        ("91350100m000100Y43", "credit_code_characters"),
        ("913501O0M000100Y43", "credit_code_characters"),
        ("91AB0100M000100Y43", "credit_code_region"),
    ],
)
def test_malformed_codes_fail_with_their_reason(code, error_code):
    with pytest.raises(ValidationError) as raised:
        validate_credit_code(code)
    assert raised.value.error_list[0].code == error_code


def test_check_character_zero_case():
    """When the weighted sum is a multiple of 31 the check character is 0, not 31."""
    body = next(
        f"9111000000000{n:04d}" for n in range(10000) if credit_code_check_character(f"9111000000000{n:04d}") == "0"
    )
    validate_credit_code(body + "0")
