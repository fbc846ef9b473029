"""Extension points: how an app lets the apps above it contribute without importing them.

An app declares its hooks in its ``extensions.py`` (a ``Hook`` answers with one provider, a
``HookList`` collects from every provider); the contributing app registers its functions from
its ``AppConfig.ready()``. The declaring app calls the hook and never names the contributor, so
the import graph keeps one direction (``tests/test_architecture.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class Hook:
    """One provider, or a default when none is registered (the contributing app is not installed)."""

    def __init__(self, name: str, *, default: Callable[..., Any]):
        self.name = name
        self.default = default
        self.provider: Callable[..., Any] | None = None

    def register(self, provider: Callable[..., Any]) -> Callable[..., Any]:
        """Register ``provider`` (usable as a decorator); a second registration replaces the first."""
        self.provider = provider
        return provider

    def __call__(self, *args, **kwargs) -> Any:
        return (self.provider or self.default)(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<Hook {self.name}: {getattr(self.provider, '__qualname__', None)}>"


class HookList:
    """Every registered provider, in the order of their ``order`` (then registration)."""

    def __init__(self, name: str):
        self.name = name
        self.providers: list[tuple[int, Callable[..., Any]]] = []

    def register(self, provider: Callable[..., Any] | None = None, *, order: int = 100):
        """Register ``provider``; ``@hooks.register(order=10)`` as a decorator. Registering the same
        function again does nothing (``ready()`` may run more than once in tests)."""

        def add(function: Callable[..., Any]) -> Callable[..., Any]:
            if all(existing is not function for _order, existing in self.providers):
                self.providers.append((order, function))
                self.providers.sort(key=lambda pair: pair[0])
            return function

        return add(provider) if provider is not None else add

    def __iter__(self):
        return iter([function for _order, function in self.providers])

    def call_each(self, *args, **kwargs) -> list[Any]:
        """Call every provider; the list of what they returned."""
        return [function(*args, **kwargs) for function in self]

    def __repr__(self) -> str:
        return f"<HookList {self.name}: {len(self.providers)}>"
