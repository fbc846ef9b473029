"""Identity numbers and standard codes as the portal compares them."""

import re

from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

# GB/T 13745 discipline codes: 3 digits, then optionally 2 and 2 more (080, 080.10, 520.2010).
DISCIPLINE_CODE = re.compile(r"^\d{3}(?:\.\d{2}(?:\d{2})?)?$")
validate_discipline_code = RegexValidator(
    DISCIPLINE_CODE, _("A discipline code is written like 080, 080.10 or 520.2010 (GB/T 13745).")
)


def normal_id(number: str) -> str:
    """An ID number as compared (限项 P2, recusal V1, expert fees B4): trimmed, upper case — a
    resident ID's final X is often typed in lower case."""
    return (number or "").strip().upper()
