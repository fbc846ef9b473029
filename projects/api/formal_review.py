"""API: ``/api/v1/formal-reviews/`` and ``/api/v1/appeals/`` — formal review (形式审查) and
appeals (申诉) (P4 — KRD-MGMT §36)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.access import roles
from core.api import ErrorSerializer
from projects import selectors, services
from projects.api.common import PROPOSAL_READERS
from projects.models import Appeal, FormalReview


class FormalReviewSerializer(serializers.ModelSerializer):
    class Meta:
        model = FormalReview
        fields = ["id", "proposal", "checklist", "result", "reasons", "decided_at", "appeal_until"]
        read_only_fields = ["checklist", "result", "reasons", "decided_at", "appeal_until"]


class DecisionSerializer(serializers.Serializer):
    passed = serializers.BooleanField()
    reasons = serializers.CharField(required=False, allow_blank=True, default="")


class FormalReviewViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Formal reviews (P4): the agency opens one for a received proposal and decides it; the
    applicant reads the result and the reasons."""

    access = roles(*PROPOSAL_READERS, object_scoped=True)
    action_access = {"create": roles("agency"), "decide": roles("agency", object_scoped=True)}
    serializer_class = FormalReviewSerializer
    queryset = FormalReview.objects.none()

    def get_queryset(self):
        return FormalReview.objects.filter(
            proposal__in=selectors.proposals_for_user(self.request.user).values("pk")
        ).order_by("id")

    def perform_create(self, serializer):
        proposal = selectors.proposal_get_for_user(self.request.user, serializer.validated_data["proposal"].pk)
        serializer.instance = services.formal_review_open(actor=self.request.user, proposal=proposal)

    @extend_schema(request=DecisionSerializer, responses={200: FormalReviewSerializer, 400: ErrorSerializer})
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        review = self.get_object()
        data = DecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        review = services.formal_review_decide(actor=request.user, proposal=review.proposal, **data.validated_data)
        return Response(self.get_serializer(review).data)


class AppealSerializer(serializers.ModelSerializer):
    class Meta:
        model = Appeal
        fields = ["id", "proposal", "grounds", "filed_at", "outcome", "answer", "answered_at"]
        read_only_fields = ["filed_at", "outcome", "answer", "answered_at"]


class AnswerSerializer(serializers.Serializer):
    upheld = serializers.BooleanField()
    answer = serializers.CharField()


class AppealViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Appeals (申诉, P4 — KRD-MGMT §36): the applicant files, the agency answers."""

    access = roles(*PROPOSAL_READERS, object_scoped=True)
    action_access = {"create": roles("applicant"), "answer": roles("agency", object_scoped=True)}
    serializer_class = AppealSerializer
    queryset = Appeal.objects.none()

    def get_queryset(self):
        return Appeal.objects.filter(
            proposal__in=selectors.proposals_for_user(self.request.user).values("pk")
        ).order_by("id")

    def perform_create(self, serializer):
        proposal = selectors.proposal_get_for_user(self.request.user, serializer.validated_data["proposal"].pk)
        serializer.instance = services.appeal_file(
            actor=self.request.user, proposal=proposal, grounds=serializer.validated_data["grounds"]
        )

    @extend_schema(request=AnswerSerializer, responses={200: AppealSerializer, 400: ErrorSerializer})
    @action(detail=True, methods=["post"])
    def answer(self, request, pk=None):
        appeal = self.get_object()
        data = AnswerSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        appeal = services.appeal_answer(actor=request.user, appeal=appeal, **data.validated_data)
        return Response(self.get_serializer(appeal).data)


ROUTES = [
    ("formal-reviews", FormalReviewViewSet, "formal-review"),
    ("appeals", AppealViewSet, "appeal"),
]
PATHS: list = []
