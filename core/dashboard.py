"""The "my tasks" (我的待办) dashboard: apps register providers of to-do items."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class TodoItem:
    title: str
    link: str
    due: dt.datetime | None = None
    rule: str = ""


_PROVIDERS: list[Callable] = []


def register(provider: Callable) -> Callable:
    """Register ``provider(user) -> Iterable[TodoItem]``; usable as a decorator."""
    _PROVIDERS.append(provider)
    return provider


def todo_items_for_user(user) -> list[TodoItem]:
    items = [item for provider in _PROVIDERS for item in provider(user)]
    far_future = dt.datetime.max.replace(tzinfo=dt.UTC)
    return sorted(items, key=lambda item: item.due or far_future)
