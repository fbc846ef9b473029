"""A finding of a check registry: what one failed check says, wherever it was found."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Finding:
    """One failed check: the rule, a code, a message naming the article, the item."""

    rule: str
    code: str
    message: str
    item: str = ""
