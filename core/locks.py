"""The one way the portal locks rows.

Every service that changes a row it has read locks it here first. Two habits keep locks
narrow and deadlock-free:

- ``FOR UPDATE OF`` the queried table only (``of=("self",)``). A plain ``FOR UPDATE`` on a
  query with ``select_related`` also locks every joined row: locking one proposal with its
  call's programme would lock the programme row, and every other proposal of that programme
  would queue behind it.
- Primary-key order. Two transactions that lock the same rows lock them in the same order, so
  neither waits for a row the other holds while holding one it wants.

On SQLite (the embedded default of ``make run``) ``select_for_update`` has no effect; the
database serialises writers itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from django.db import models

M = TypeVar("M", bound=models.Model)


def _queryset(source: type[M] | models.QuerySet[M]) -> models.QuerySet[M]:
    if isinstance(source, models.QuerySet):
        return source
    return source._default_manager.all()


def locked(
    source: type[M] | models.QuerySet[M],
    *,
    skip_locked: bool = False,
    order_by: Iterable[str] = ("pk",),
) -> models.QuerySet[M]:
    """The rows of ``source``, to be locked ``FOR UPDATE OF`` their own table when evaluated.

    Rows are taken in primary-key order unless ``order_by`` says otherwise (a counter that
    wants its highest row, say). ``skip_locked`` lets a queue worker pass over rows another
    worker holds.
    """
    return _queryset(source).select_for_update(of=("self",), skip_locked=skip_locked).order_by(*order_by)


def lock(source: type[M] | models.QuerySet[M], pk, *, related: Iterable[str] = ()) -> M:
    """One row, locked, with ``related`` joined for reading (those rows stay unlocked).

    Raises the model's ``DoesNotExist`` when the row is gone (or outside ``source``).
    """
    queryset = locked(source)
    related = tuple(related)
    if related:
        queryset = queryset.select_related(*related)
    return queryset.get(pk=pk)


def lock_first(source: type[M] | models.QuerySet[M], *, order_by: Iterable[str] = ("pk",)) -> M | None:
    """The first row of ``source`` in ``order_by``, locked; ``None`` when there is none."""
    return locked(source, order_by=order_by).first()


def lock_all(source: type[M] | models.QuerySet[M], *, related: Iterable[str] = ()) -> list[M]:
    """Every row of ``source``, locked in primary-key order."""
    queryset = locked(source)
    related = tuple(related)
    if related:
        queryset = queryset.select_related(*related)
    return list(queryset)
