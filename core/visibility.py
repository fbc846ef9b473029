"""Need-to-know as a hook (S6 — SECRETS-LAW §16; S8 — SECRETS-REGS §15).

Core hides rows and marks pages without knowing who decides what is secret: the app that keeps
the classification decisions registers a ``Visibility`` from its ``AppConfig.ready()`` (the
secrecy app does), and core's readers — the audit trail, obligations and the dashboard, the
admin site, PDFs and the page mark — ask the registered one through ``core.selectors``.
Until one is registered everything is visible and nothing carries a mark."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db.models import Model, QuerySet


def _every_row(queryset: QuerySet, user, *, via: Iterable[str]) -> QuerySet:
    return queryset


def _every_target(queryset: QuerySet, user, *, content_type_field: str = "content_type") -> QuerySet:
    return queryset


def _never_hidden(user, model: type[Model], object_id) -> bool:
    return False


def _no_mark(*objects: Model | None) -> str:
    return ""


@dataclass(frozen=True)
class Visibility:
    """What a user may know of, and the mark a carrier takes.

    ``known(queryset, user, via=paths)``: ``queryset`` without the rows hidden from ``user``
    through any of ``paths`` ("" the row itself). ``known_targets(queryset, user,
    content_type_field=...)``: the same for rows naming their object by content type and text
    object id. ``target_is_hidden(user, model, object_id)``: one such object. ``carrier_mark(*objects)``:
    the mark a page or document about ``objects`` carries, empty when none."""

    known: Callable[..., QuerySet] = _every_row
    known_targets: Callable[..., QuerySet] = _every_target
    target_is_hidden: Callable[..., bool] = _never_hidden
    carrier_mark: Callable[..., str] = _no_mark


EVERYTHING_VISIBLE = Visibility()

_current = EVERYTHING_VISIBLE


def register(visibility: Visibility) -> None:
    """Make ``visibility`` the portal's (called once, from an ``AppConfig.ready()``)."""
    global _current
    _current = visibility


def current() -> Visibility:
    return _current
