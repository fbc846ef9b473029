"""Review API: scoring — ``/api/v1/review-rounds/`` (the agency's rounds and their state
actions), ``/api/v1/review-results/`` (per-item results of the rounds the user may see) and
``/api/v1/assignment-scores/`` (the expert's own scores: draft and submit; 404 otherwise)."""

from __future__ import annotations

import dataclasses

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from core.access import roles
from core.api import ErrorSerializer
from projects.selectors import calls_for_user, projects_for_user
from reviews import selectors
from reviews.models import Assignment, Criterion, ReviewItem, ReviewRound, Score
from reviews.services import assignment as assignment_services
from reviews.services import scoring

AGENCY_READERS = roles("agency", "ministry", "admin", object_scoped=True)


class CriterionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Criterion
        fields = ["id", "order", "name", "weight", "scale_max"]
        read_only_fields = ["id", "order"]


class ReviewRoundSerializer(serializers.ModelSerializer):
    criteria = CriterionSerializer(many=True)
    state = serializers.CharField(read_only=True, help_text="draft, assigned, open, closed or published")

    class Meta:
        model = ReviewRound
        fields = [
            "id",
            "title",
            "kind",
            "method",
            "call",
            "project",
            "special_project",
            "managing_agency",
            "year",
            "state",
            "group_size",
            "min_experts",
            "deadline",
            "aggregation",
            "hide_identities",
            "collaboration_years",
            "max_rounds_per_year",
            "disagreement_points",
            "criteria",
            "created_at",
        ]
        read_only_fields = ["special_project", "managing_agency", "year", "state", "created_at"]


class ReviewRoundViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Review rounds of the agency's calls and projects: create with the criteria, then
    ``assign/`` (V1), ``open/`` (obligations per expert, V4), ``close/`` (aggregate, spread,
    rank, lateness), ``publish/`` (the expert list becomes public, KRD-MGMT §26)."""

    access = AGENCY_READERS
    action_access = {
        "create": roles("agency"),
        "assign": roles("agency", object_scoped=True),
        "open": roles("agency", object_scoped=True),
        "close": roles("agency", object_scoped=True),
        "publish": roles("agency", object_scoped=True),
        "shortlist": roles("agency", object_scoped=True),
    }
    serializer_class = ReviewRoundSerializer
    queryset = ReviewRound.objects.none()

    def get_queryset(self):
        return selectors.rounds_for_user(self.request.user).prefetch_related("criteria").order_by("id")

    def _respond(self, review_round, status=200):
        return Response(ReviewRoundSerializer(self.get_queryset().get(pk=review_round.pk)).data, status=status)

    @extend_schema(responses={201: ReviewRoundSerializer, 400: ErrorSerializer, 404: ErrorSerializer})
    def create(self, request, *args, **kwargs):
        serializer = ReviewRoundSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        call, project = data.pop("call", None), data.pop("project", None)
        if (call is None) == (project is None):
            raise serializers.ValidationError({"call": ["A round reviews either a call or a project."]})
        if call is not None and not calls_for_user(request.user).filter(pk=call.pk).exists():
            raise NotFound
        if project is not None and not projects_for_user(request.user).filter(pk=project.pk).exists():
            raise NotFound
        criteria = [dict(row) for row in data.pop("criteria")]
        review_round = scoring.round_create(
            actor=request.user,
            call=call,
            project=project,
            kind=data.pop("kind"),
            title=data.pop("title"),
            criteria=criteria,
            **data,
        )
        return self._respond(review_round, status=201)

    def _run(self, function):
        review_round = self.get_object()
        review_round = function(actor=self.request.user, review_round=review_round)
        return self._respond(review_round)

    @extend_schema(request=None, responses={200: ReviewRoundSerializer, 404: ErrorSerializer, 409: ErrorSerializer})
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        def run(*, actor, review_round):
            assignment_services.round_assign(actor=actor, review_round=review_round)
            return review_round

        return self._run(run)

    @extend_schema(request=None, responses={200: ReviewRoundSerializer, 400: ErrorSerializer, 409: ErrorSerializer})
    @action(detail=True, methods=["post"])
    def open(self, request, pk=None):
        return self._run(scoring.round_open)

    @extend_schema(request=None, responses={200: ReviewRoundSerializer, 409: ErrorSerializer})
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        return self._run(scoring.round_close)

    @extend_schema(request=None, responses={200: ReviewRoundSerializer, 409: ErrorSerializer})
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        return self._run(scoring.round_publish)

    @extend_schema(
        request=None,
        responses={
            200: inline_serializer(
                "Shortlist",
                {
                    "directions": serializers.ListField(
                        child=inline_serializer(
                            "ShortlistDirection",
                            {
                                "direction": serializers.CharField(),
                                "candidates": serializers.IntegerField(),
                                "size": serializers.IntegerField(),
                                "first_round_skipped": serializers.BooleanField(),
                                "shortlisted": serializers.ListField(child=serializers.IntegerField()),
                            },
                        )
                    )
                },
            ),
            409: ErrorSerializer,
        },
    )
    @action(detail=True, methods=["post"])
    def shortlist(self, request, pk=None):
        """P3 — KRD-MGMT §28: after a closed first round, factor × planned per direction."""
        review_round = self.get_object()
        outcomes = scoring.round_shortlist(actor=request.user, review_round=review_round)
        return Response({"directions": [dataclasses.asdict(outcome) for outcome in outcomes]})


class ReviewResultSerializer(serializers.ModelSerializer):
    proposal_title = serializers.CharField(source="proposal.title", default=None, read_only=True)
    group_name = serializers.CharField(source="group.name", default=None, read_only=True)

    class Meta:
        model = ReviewItem
        fields = [
            "id",
            "review_round",
            "group",
            "group_name",
            "proposal",
            "proposal_title",
            "project",
            "aggregate",
            "spread",
            "rank",
            "is_tied",
            "is_disputed",
        ]


class ReviewResultViewSet(viewsets.ReadOnlyModelViewSet):
    """Per-item results (filled when the round closes) of the rounds the user may see;
    ``?review_round=<id>`` narrows to one round."""

    access = AGENCY_READERS
    serializer_class = ReviewResultSerializer
    queryset = ReviewItem.objects.none()

    def get_queryset(self):
        items = (
            selectors.items_for_user(self.request.user)
            .select_related("proposal", "group")
            .order_by("review_round_id", "group_id", "rank", "id")
        )
        review_round = self.request.query_params.get("review_round")
        if review_round and review_round.isdigit():
            items = items.filter(review_round_id=int(review_round))
        return items


class ScoreSerializer(serializers.ModelSerializer):
    class Meta:
        model = Score
        fields = ["criterion", "value"]


class AssignmentScoreSerializer(serializers.ModelSerializer):
    scores = ScoreSerializer(many=True, read_only=True)
    review_round = serializers.IntegerField(source="item.review_round_id", read_only=True)
    state = serializers.CharField(read_only=True, help_text="assigned, declared, submitted or withdrawn")

    class Meta:
        model = Assignment
        fields = ["id", "review_round", "item", "state", "recommendation", "opinion", "submitted_at", "scores"]
        read_only_fields = fields


class ScoreDraftSerializer(serializers.Serializer):
    scores = serializers.DictField(child=serializers.DecimalField(max_digits=6, decimal_places=2), required=False)
    recommendation = serializers.ChoiceField(
        choices=Assignment.Recommendation.choices, required=False, allow_blank=True
    )
    opinion = serializers.CharField(required=False, allow_blank=True)

    def validate_scores(self, scores: dict) -> dict:
        """Criterion id → score, the ids as numbers."""
        if not all(str(key).strip().isdigit() for key in scores):
            raise serializers.ValidationError("Keys are criterion ids.")
        return {int(key): value for key, value in scores.items()}


class AssignmentScoreViewSet(viewsets.GenericViewSet, mixins.RetrieveModelMixin):
    """The expert's own scores of an assignment: ``scores/`` saves a draft (criterion id →
    score, V2), ``submit/`` submits (every criterion and a recommendation, before the
    deadline — V4). Another expert's assignment answers 404."""

    access = roles("expert", object_scoped=True)
    serializer_class = AssignmentScoreSerializer
    queryset = Assignment.objects.none()

    def get_queryset(self):
        return selectors.assignments_for_expert(self.request.user).prefetch_related(
            Prefetch("scores", queryset=Score.objects.order_by("criterion_id"))
        )

    def _respond(self, assignment):
        return Response(AssignmentScoreSerializer(self.get_queryset().get(pk=assignment.pk)).data)

    @extend_schema(
        request=ScoreDraftSerializer,
        responses={200: AssignmentScoreSerializer, 400: ErrorSerializer, 404: ErrorSerializer, 409: ErrorSerializer},
    )
    @action(detail=True, methods=["post"])
    def scores(self, request, pk=None):
        assignment = self.get_object()
        serializer = ScoreDraftSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        assignment = scoring.score_save(
            actor=request.user,
            assignment=assignment,
            scores=data.get("scores", {}),
            recommendation=data.get("recommendation", ""),
            opinion=data.get("opinion", assignment.opinion),
        )
        return self._respond(assignment)

    @extend_schema(request=None, responses={200: AssignmentScoreSerializer, 400: ErrorSerializer, 404: ErrorSerializer})
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        assignment = self.get_object()
        assignment = scoring.assignment_submit(actor=request.user, assignment=assignment)
        return self._respond(assignment)


ROUTES = [
    ("review-rounds", ReviewRoundViewSet, "review-round"),
    ("review-results", ReviewResultViewSet, "review-result"),
    ("assignment-scores", AssignmentScoreViewSet, "assignment-score"),
]
PATHS: list = []
