"""The Celery beat schedule registry. Apps register their periodic sweeps in ``ready()``."""

from __future__ import annotations

from typing import Any

_SCHEDULE: dict[str, dict[str, Any]] = {}


def register(name: str, task: str, every_seconds: float, *, kwargs: dict | None = None) -> None:
    """Run ``task`` every ``every_seconds`` seconds under beat. Registering a name twice
    replaces the earlier entry."""
    _SCHEDULE[name] = {"task": task, "schedule": every_seconds, "kwargs": kwargs or {}}


def schedule() -> dict[str, dict[str, Any]]:
    return dict(_SCHEDULE)
