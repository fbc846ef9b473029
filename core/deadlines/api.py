"""API: ``/api/v1/obligations/`` and ``/api/v1/notifications/``."""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core import selectors as core_selectors
from core import services as core_services
from core.access import AUTHENTICATED, authenticated
from core.deadlines import registry, selectors
from core.models import Notification, Obligation


class ObligationFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=Obligation.State.choices)
    kind = django_filters.CharFilter()

    class Meta:
        model = Obligation
        fields = ["state", "kind"]


class ObligationSerializer(serializers.ModelSerializer):
    kind_label = serializers.SerializerMethodField()
    object = serializers.SerializerMethodField()

    class Meta:
        model = Obligation
        fields = ["id", "kind", "kind_label", "period", "title", "rule", "article", "due_at", "state", "object", "link"]

    def get_kind_label(self, obligation: Obligation) -> str:
        try:
            return str(registry.kind(obligation.kind).label)
        except LookupError:
            return obligation.kind

    @extend_schema(
        responses=inline_serializer(
            "ObligationObject", {"type": serializers.CharField(), "id": serializers.CharField()}
        )
    )
    def get_object(self, obligation: Obligation) -> dict:
        return {
            "type": f"{obligation.content_type.app_label}.{obligation.content_type.model}",
            "id": obligation.object_id,
        }


class ObligationViewSet(viewsets.ReadOnlyModelViewSet):
    """The caller's obligations; for an agency also those of the projects it manages."""

    access = authenticated(object_scoped=True)
    queryset = Obligation.objects.none()  # for the schema; get_queryset scopes to the caller
    serializer_class = ObligationSerializer
    filterset_class = ObligationFilter

    def get_queryset(self):
        return selectors.obligations_for_user(self.request.user).order_by("due_at", "id")


class NotificationSerializer(serializers.ModelSerializer):
    is_read = serializers.BooleanField(read_only=True)

    class Meta:
        model = Notification
        fields = ["id", "title", "body", "link", "created_at", "read_at", "is_read"]


class NotificationViewSet(viewsets.ReadOnlyModelViewSet):
    """The caller's notifications (the bell)."""

    access = AUTHENTICATED
    queryset = Notification.objects.none()  # for the schema; get_queryset scopes to the caller
    serializer_class = NotificationSerializer

    def get_queryset(self):
        return core_selectors.notifications_for_user(self.request.user)

    @extend_schema(
        request=inline_serializer(
            "NotificationsRead", {"ids": serializers.ListField(child=serializers.IntegerField(), required=False)}
        ),
        responses=inline_serializer("NotificationsReadResult", {"marked": serializers.IntegerField()}),
    )
    @action(detail=False, methods=["post"], url_path="read")
    def read(self, request):
        """Mark the given notifications (or all) as read."""
        ids = request.data.get("ids")
        if ids is not None and (not isinstance(ids, list) or not all(isinstance(item, int) for item in ids)):
            raise serializers.ValidationError({"ids": ["A list of notification ids is expected."]})
        marked = core_services.notifications_mark_read(user=request.user, ids=ids)
        return Response({"marked": marked})
