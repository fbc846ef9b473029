"""Obligation kinds and timer actions, registered by the apps that own them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.functional import Promise

from core.deadlines.rules import DEFAULT_REMINDER_DAYS


@dataclass(frozen=True)
class ObligationKind:
    """A kind of obligation: its label, the rule and article it comes from, its reminders and
    (for timers) the action run when it falls due."""

    code: str
    label: str | Promise
    rule: str
    article: str
    reminder_days: tuple[int, ...] = DEFAULT_REMINDER_DAYS
    action: str = ""


_KINDS: dict[str, ObligationKind] = {}
_ACTIONS: dict[str, Callable] = {}


def register_kind(kind: ObligationKind) -> ObligationKind:
    _KINDS[kind.code] = kind
    return kind


def kind(code: str) -> ObligationKind:
    try:
        return _KINDS[code]
    except KeyError as error:
        raise LookupError(
            f"Unknown obligation kind {code!r}: register it with core.deadlines.registry.register_kind"
        ) from error


def kinds() -> dict[str, ObligationKind]:
    return dict(_KINDS)


def register_action(name: str) -> Callable[[Callable], Callable]:
    """Register ``function(obligation)`` as the timer action ``name``. It runs inside the
    dispatch's transaction and must change state through its app's service."""

    def decorator(function: Callable) -> Callable:
        _ACTIONS[name] = function
        return function

    return decorator


def action(name: str) -> Callable:
    try:
        return _ACTIONS[name]
    except KeyError as error:
        raise LookupError(f"Unknown deadline action {name!r}") from error
