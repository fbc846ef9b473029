"""API: ``/api/v1/calls/`` — call guides (P1)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.access import Access, roles
from core.api import ErrorSerializer
from projects import policies, selectors, services
from projects.models import Call, CallDirection, SpecialProject


class CallDirectionSerializer(serializers.ModelSerializer):
    class Meta:
        model = CallDirection
        fields = ["code", "title", "discipline_code", "planned_projects", "budget_outline"]


class CallSerializer(serializers.ModelSerializer):
    program = serializers.CharField(source="special_project.program.code", read_only=True)
    special_project = serializers.PrimaryKeyRelatedField(queryset=SpecialProject.objects.all())
    directions = CallDirectionSerializer(many=True, required=False)

    class Meta:
        model = Call
        fields = [
            "id",
            "program",
            "special_project",
            "title",
            "year",
            "summary",
            "state",
            "published_at",
            "closes_at",
            "mode",
            "shortlist_factor",
            "formal_window_days",
            "budget_outline",
            "is_budget_published",
            "is_secret",
            "requires_recommendation",
            "leader_max_age",
            "unit_registered_before",
            "max_subjects",
            "max_units_per_subject",
            "max_participations",
            "directions",
        ]
        read_only_fields = ["state", "published_at"]

    def to_representation(self, call):
        data = super().to_representation(call)
        request = self.context.get("request")
        manages = request is not None and policies.manages_call(request.user, call)
        if not (call.is_budget_published or manages):
            data["budget_outline"] = None
            for direction in data["directions"]:
                direction["budget_outline"] = None
        return data


class CallViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Call guides: anyone reads the published, non-secret ones (secret ones only invited
    organisations); the managing agency creates drafts and publishes them (P1)."""

    access = Access(anonymous=True, object_scoped=True)
    action_access = {"create": roles("agency"), "publish": roles("agency", object_scoped=True)}
    serializer_class = CallSerializer
    queryset = Call.objects.none()  # for the schema; get_queryset scopes to the caller

    def get_queryset(self):
        return (
            selectors.calls_for_user(self.request.user).prefetch_related("directions").order_by("-published_at", "-id")
        )

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        directions = data.pop("directions", [])
        serializer.instance = services.call_create(actor=self.request.user, directions=directions, **data)

    @extend_schema(request=None, responses={200: CallSerializer, 400: ErrorSerializer, 409: ErrorSerializer})
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        """Publish a draft call guide (P1: at least 50 days to the closing moment)."""
        call = services.call_publish(actor=request.user, call=self.get_object())
        return Response(self.get_serializer(call).data)


ROUTES = [("calls", CallViewSet, "call")]
PATHS: list = []
