"""Review API: ``/api/v1/assignments/`` — an expert's own assignments and their declaration of
conflicts (V1); and ``round_assign_response`` for ``review-rounds/{id}/assign/``."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.access import roles
from core.api import ErrorSerializer
from reviews import selectors
from reviews.models import Assignment
from reviews.services import assignment as services
from reviews.services import scoring


class AssignmentSerializer(serializers.ModelSerializer):
    review_round = serializers.IntegerField(source="item.review_round_id", read_only=True)
    proposal = serializers.IntegerField(source="item.proposal_id", read_only=True, allow_null=True)
    project = serializers.IntegerField(source="item.project_id", read_only=True, allow_null=True)
    title = serializers.SerializerMethodField()

    class Meta:
        model = Assignment
        fields = ["id", "item", "review_round", "proposal", "project", "title", "state", "declared_at", "submitted_at"]
        read_only_fields = fields

    def get_title(self, assignment) -> str:
        return str(assignment.item)


class DeclarationSerializer(serializers.Serializer):
    has_conflict = serializers.BooleanField()
    note = serializers.CharField(required=False, allow_blank=True, max_length=300)


class AssignmentViewSet(viewsets.ReadOnlyModelViewSet):
    """An expert's own assignments (anyone else's answers 404). ``declare/`` before the
    materials open: ``has_conflict`` false opens scoring; true withdraws the expert with the
    ``note`` as the reason, and a replacement is chosen (V1 — KRD-MGMT §26, EVAL §32)."""

    access = roles("expert", object_scoped=True)
    serializer_class = AssignmentSerializer
    queryset = Assignment.objects.none()

    def get_queryset(self):
        return selectors.assignments_for_expert(self.request.user).order_by("id")

    @extend_schema(
        request=DeclarationSerializer,
        responses={200: AssignmentSerializer, 400: ErrorSerializer, 404: ErrorSerializer, 409: ErrorSerializer},
    )
    @action(detail=True, methods=["post"])
    def declare(self, request, pk=None):
        assignment = self.get_object()
        body = DeclarationSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.assignment_declare(
            actor=request.user,
            assignment=assignment,
            has_conflict=body.validated_data["has_conflict"],
            conflict_note=body.validated_data.get("note", ""),
        )
        return Response(AssignmentSerializer(self.get_queryset().get(pk=assignment.pk)).data)

    @extend_schema(
        request=None,
        responses={200: AssignmentSerializer, 400: ErrorSerializer, 404: ErrorSerializer, 409: ErrorSerializer},
    )
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """Submit the scores saved through ``assignment-scores/{id}/scores/`` (every criterion
        and a recommendation are required)."""
        assignment = self.get_object()
        scoring.assignment_submit(actor=request.user, assignment=assignment)
        return Response(AssignmentSerializer(self.get_queryset().get(pk=assignment.pk)).data)


RoundAssignmentSerializer = inline_serializer(
    "RoundAssignment",
    {
        "state": serializers.CharField(),
        "assignments": serializers.IntegerField(),
        "short": serializers.DictField(child=serializers.CharField()),
    },
)


def round_assign_response(*, request, review_round) -> Response:
    """The body of ``POST review-rounds/{id}/assign/`` for the round viewset to call
    (access: ``roles("agency", object_scoped=True)``; ``review_round`` through
    ``selectors.rounds_for_user``): runs the assignment and answers the state, the number of
    active assignments and the items under the minimum with the reason (item id → reason)."""
    short = services.round_assign(actor=request.user, review_round=review_round)
    count = Assignment.objects.filter(item__review_round_id=review_round.pk, state__in=services.ACTIVE_STATES).count()
    return Response(
        {"state": "assigned", "assignments": count, "short": {str(item): reason for item, reason in short.items()}}
    )


ROUTES: list = [("assignments", AssignmentViewSet, "assignment")]  # (prefix, viewset, basename) under /api/v1/
PATHS: list = []  # extra url patterns under /api/v1/
