"""Scoped reads owned by core, and the shared need-to-know helpers (S6 — SECRETS-LAW §16).

Each app's ``selectors`` module names, in ``NEED_TO_KNOW_VIA``, the paths whose classification
hides a row of each of its models (see ``projects.selectors``). Core collects them here and
asks the registered need-to-know hook (``core.visibility``; the secrecy app registers it) to hide
rows that point at any object generically (obligations, audit events) and to find the mark a
page or a document carries (S8 — SECRETS-REGS §15)."""

from __future__ import annotations

import functools
import importlib
import importlib.util
from collections.abc import Iterable

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db.models import Model, QuerySet
from django.http import Http404

from core import visibility
from core.models import AuditEvent, Notification, WorkerHeartbeat

# ---- Need-to-know (S6 — SECRETS-LAW §16) -------------------------------------------------------


def through(prefix: str, via: Iterable[str]) -> tuple[str, ...]:
    """``via`` seen from a row that reaches the object through ``prefix``."""
    return tuple(f"{prefix}__{path}" if path else prefix for path in via)


@functools.cache
def need_to_know_paths() -> dict[type[Model], tuple[str, ...]]:
    """Every app's ``selectors.NEED_TO_KNOW_VIA``: model → the paths that hide its rows."""
    paths: dict[type[Model], tuple[str, ...]] = {}
    for config in apps.get_app_configs():
        name = f"{config.name}.selectors"
        if importlib.util.find_spec(config.name) is None or importlib.util.find_spec(name) is None:
            continue
        paths.update(getattr(importlib.import_module(name), "NEED_TO_KNOW_VIA", {}))
    return paths


def known(queryset: QuerySet, user, *, via: Iterable[str]) -> QuerySet:
    """``queryset`` without the rows hidden from ``user`` by a classification along any of
    ``via`` ("" the row itself, "proposal__call" what it belongs to, reverse paths such as
    "proposal__subjects" included)."""
    return visibility.current().known(queryset, user, via=via)


def known_targets(queryset: QuerySet, user, *, content_type_field: str = "content_type") -> QuerySet:
    """``queryset`` (of rows naming a target by content type and text object id: obligations,
    audit events) without the rows whose target is hidden from ``user`` (S6)."""
    return visibility.current().known_targets(queryset, user, content_type_field=content_type_field)


def target_is_hidden(user, model: type[Model], object_id) -> bool:
    """True when the object of ``model`` with ``object_id`` is hidden from ``user`` (S6)."""
    return visibility.current().target_is_hidden(user, model, object_id)


# ---- Marks (S8 — SECRETS-REGS §15) ----------------------------------------------------------------


def carrier_mark(*objects: Model | None) -> str:
    """S8 — the mark a page or document about ``objects`` carries: the highest classification in
    force on them and on what they belong to. Empty when none is classified."""
    return visibility.current().carrier_mark(*objects)


# ---- Audit trail, notifications, worker -----------------------------------------------------------

AUDIT_READER_ROLES = frozenset({"admin", "ministry"})


def audit_events_for_user(user) -> QuerySet[AuditEvent]:
    """Audit events the user may browse: the whole trail for administrators and the ministry
    (O1 supervision, KRD-MGMT §71); nothing for others."""
    events = AuditEvent.objects.select_related("actor", "content_type")
    if user.is_superuser or user.role_codes & AUDIT_READER_ROLES:
        return known_targets(events, user)
    return events.none()


def audit_events_for_object(user, *, content_type_key: str, object_id: str) -> tuple[ContentType, QuerySet[AuditEvent]]:
    try:
        app_label, model = content_type_key.split(".", 1)
        content_type = ContentType.objects.get_by_natural_key(app_label, model)
    except (ValueError, ContentType.DoesNotExist) as error:
        raise Http404 from error
    model = content_type.model_class()
    if model is not None and target_is_hidden(user, model, object_id):
        raise Http404
    events = audit_events_for_user(user).filter(content_type=content_type, object_id=object_id)
    return content_type, events


def notifications_for_user(user) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user)


def unread_notification_count(user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def latest_worker_heartbeat() -> WorkerHeartbeat | None:
    return WorkerHeartbeat.objects.order_by("-seen_at").first()
