"""Scoped reads owned by core."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet
from django.http import Http404

from core.models import AuditEvent, Notification, WorkerHeartbeat

AUDIT_READER_ROLES = frozenset({"admin", "ministry"})


def audit_events_for_user(user) -> QuerySet[AuditEvent]:
    """Audit events the user may browse: the whole trail for administrators and the ministry
    (O1 supervision, KRD-MGMT §71); nothing for others."""
    events = AuditEvent.objects.select_related("actor", "content_type")
    if user.is_superuser or user.role_codes & AUDIT_READER_ROLES:
        return events
    return events.none()


def audit_events_for_object(user, *, content_type_key: str, object_id: str) -> tuple[ContentType, QuerySet[AuditEvent]]:
    try:
        app_label, model = content_type_key.split(".", 1)
        content_type = ContentType.objects.get_by_natural_key(app_label, model)
    except (ValueError, ContentType.DoesNotExist) as error:
        raise Http404 from error
    events = audit_events_for_user(user).filter(content_type=content_type, object_id=object_id)
    return content_type, events


def notifications_for_user(user) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user)


def unread_notification_count(user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def latest_worker_heartbeat() -> WorkerHeartbeat | None:
    return WorkerHeartbeat.objects.order_by("-seen_at").first()
