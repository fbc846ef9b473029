"""统一社会信用代码 (unified social credit code) — GB 32100-2015."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# GB 32100-2015 §4: the 31 characters used (digits and capitals without I, O, Z, S, V).
CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
# GB 32100-2015 §5.2: weights of positions 1–17 (3**(i-1) mod 31).
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code_check_character(first_seventeen: str) -> str:
    """The check character (position 18) of a credit code, GB 32100-2015 §5.2."""
    total = sum(
        CREDIT_CODE_ALPHABET.index(character) * weight
        for character, weight in zip(first_seventeen, CREDIT_CODE_WEIGHTS, strict=True)
    )
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def validate_credit_code(value: str) -> None:
    """Validate a 统一社会信用代码: 18 characters of the GB 32100-2015 alphabet, region code
    digits, and the check character."""
    code = (value or "").strip()
    if len(code) != 18:
        raise ValidationError(
            _("The unified social credit code must have 18 characters (GB 32100-2015); %(count)d given."),
            code="credit_code_length",
            params={"count": len(code)},
        )
    invalid = sorted({c for c in code if c not in CREDIT_CODE_ALPHABET})
    if invalid:
        raise ValidationError(
            _(
                "The unified social credit code contains characters not allowed by GB 32100-2015: "
                "%(characters)s (letters I, O, Z, S, V and lower case are never used)."
            ),
            code="credit_code_characters",
            params={"characters": " ".join(invalid)},
        )
    if not code[2:8].isdigit():
        raise ValidationError(
            _(
                "Positions 3–8 of the unified social credit code are the administrative region code and must be digits (GB 32100-2015)."
            ),
            code="credit_code_region",
        )
    expected = credit_code_check_character(code[:17])
    if code[17] != expected:
        raise ValidationError(
            _(
                "The check character of the unified social credit code is wrong: "
                "the 18th character should be %(expected)s, not %(given)s (GB 32100-2015 §5.2)."
            ),
            code="credit_code_check",
            params={"expected": expected, "given": code[17]},
        )
