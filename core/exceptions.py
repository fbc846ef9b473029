"""Exceptions services raise; views and the API turn them into messages naming the rule."""

from __future__ import annotations


class RuleViolation(Exception):
    """A regulation rule refused an action. ``rule`` is the catalogue ID (design §4), e.g. "P1";
    ``message`` names the article in words a user understands."""

    def __init__(
        self,
        rule: str,
        message: str,
        *,
        fields: dict[str, list[str]] | None = None,
        code: str = "",
        findings: list[dict] | None = None,
    ):
        super().__init__(message)
        self.rule = rule
        self.message = message
        self.fields = fields or {}
        self.code = code or f"rule_{rule.lower()}"
        # Several failed checks at once (e.g. eligibility at submission): rule, code, message, item.
        self.findings = findings or []

    def __str__(self) -> str:
        return f"{self.rule}: {self.message}"


class StateConflict(Exception):
    """The object is not in a state that allows the action (answers 409)."""

    def __init__(self, message: str, *, code: str = "conflict"):
        super().__init__(message)
        self.message = message
        self.code = code
