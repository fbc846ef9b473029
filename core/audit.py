"""The audit trail (O1, KRD-MGMT §71): every service writes one event per state change."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from core.middleware import client_ip, current_request
from core.models import AuditEvent


def _plain(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(item) for item in value]
    return value


def snapshot(instance: models.Model, *, exclude: set[str] | frozenset[str] = frozenset()) -> dict[str, list]:
    """``{field: [None, value]}`` for a newly created object's concrete fields that hold a
    value (empty strings and None say nothing and are left out)."""
    values = {
        field.name: _plain(getattr(instance, field.attname))
        for field in instance._meta.concrete_fields
        if field.name not in exclude and not field.primary_key
    }
    return {name: [None, value] for name, value in values.items() if value not in (None, "")}


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list]:
    """``{field: [before, after]}`` for the fields whose values differ."""
    return {
        key: [_plain(before.get(key)), _plain(after.get(key))]
        for key in sorted(set(before) | set(after))
        if _plain(before.get(key)) != _plain(after.get(key))
    }


def field_values(instance: models.Model, fields: list[str]) -> dict[str, Any]:
    return {name: getattr(instance, name) for name in fields}


def record(
    *,
    actor,
    action: str,
    target: models.Model | None = None,
    changes: dict[str, list] | None = None,
    rule: str = "",
    ip_address: str | None = None,
) -> AuditEvent:
    """Append one audit event. Call inside the service's transaction.

    ``actor`` None means the system (a timer or a sweep). The client address is taken from
    the current request when not given.
    """
    request = current_request.get()
    if ip_address is None and request is not None:
        ip_address = client_ip(request)
    if actor is not None and not actor.is_authenticated:
        actor = None
    event = AuditEvent(
        actor=actor,
        actor_username=actor.get_username() if actor is not None else "",
        action=action,
        rule=rule,
        changes={key: [_plain(old), _plain(new)] for key, (old, new) in (changes or {}).items()},
        ip_address=ip_address,
    )
    if target is not None:
        event.content_type = ContentType.objects.get_for_model(target, for_concrete_model=False)
        event.object_id = str(target.pk)
        event.object_repr = str(target)[:200]
    event.save()
    return event


def save_changes(
    instance: models.Model, *, actor, action: str, fields: dict[str, Any], rule: str = "", validate: bool = False
) -> dict[str, list]:
    """Set ``fields`` on ``instance``, save just those, and record what changed (nothing is
    recorded when nothing changed). Call inside the service's transaction."""
    before = field_values(instance, list(fields))
    for name, value in fields.items():
        setattr(instance, name, value)
    if validate:
        instance.full_clean()
    update_fields = list(fields)
    if any(getattr(field, "auto_now", False) for field in instance._meta.concrete_fields):
        update_fields += [field.name for field in instance._meta.concrete_fields if getattr(field, "auto_now", False)]
    instance.save(update_fields=update_fields)
    changes = diff(before, field_values(instance, list(fields)))
    if changes:
        record(actor=actor, action=action, target=instance, changes=changes, rule=rule)
    return changes
