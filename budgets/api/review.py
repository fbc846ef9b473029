"""Budget API: ``/api/v1/budget-reviews/`` — the agency's budget review (KRD-FUNDS §25–§28)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from budgets import selectors
from budgets.api.book import VersionSerializer
from budgets.models import BudgetVersion
from budgets.services import review
from core.access import roles
from core.api import ErrorSerializer


class ReviewViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Budget reviews: the agency opens one (POST with ``budget``), changes lines through
    ``budgets/{id}/lines/`` with ``version``, sends it; the applicant answers; the agency
    finalises it into the approved budget."""

    access = roles("applicant", "unit_admin", "agency", "ministry", "admin", object_scoped=True)
    action_access = {
        "create": roles("agency"),
        "send": roles("agency"),
        "finalise": roles("agency"),
        "answer": roles("applicant"),
    }
    serializer_class = VersionSerializer
    queryset = BudgetVersion.objects.none()

    def get_queryset(self):
        return (
            BudgetVersion.objects.filter(
                kind=BudgetVersion.Kind.REVIEW, budget__in=selectors.budgets_for_user(self.request.user).values("pk")
            )
            .select_related("budget__proposal__call__special_project")
            .order_by("id")
        )

    def _run(self, function):
        return Response(VersionSerializer(function()).data)

    @extend_schema(
        request=inline_serializer("BudgetReviewCreate", {"budget": serializers.IntegerField()}),
        responses={201: VersionSerializer, 404: ErrorSerializer, 409: ErrorSerializer},
    )
    def create(self, request, *args, **kwargs):
        budget = selectors.budgets_for_user(request.user).filter(pk=request.data.get("budget")).first()
        if budget is None:
            raise NotFound
        response = self._run(lambda: review.review_open(actor=request.user, budget=budget))
        response.status_code = 201
        return response

    @extend_schema(request=None, responses={200: VersionSerializer, 400: ErrorSerializer, 409: ErrorSerializer})
    @action(detail=True, methods=["post"])
    def send(self, request, pk=None):
        version = self.get_object()
        return self._run(lambda: review.review_send(actor=request.user, version=version))

    @extend_schema(
        request=inline_serializer(
            "BudgetReviewAnswer",
            {"agrees": serializers.BooleanField(), "response": serializers.CharField(required=False, allow_blank=True)},
        ),
        responses={200: VersionSerializer, 400: ErrorSerializer, 409: ErrorSerializer},
    )
    @action(detail=True, methods=["post"])
    def answer(self, request, pk=None):
        version = self.get_object()
        agrees = serializers.BooleanField().to_internal_value(request.data.get("agrees"))
        return self._run(
            lambda: review.review_answer(
                actor=request.user, version=version, agrees=agrees, response=request.data.get("response", "")
            )
        )

    @extend_schema(request=None, responses={200: VersionSerializer, 409: ErrorSerializer})
    @action(detail=True, methods=["post"])
    def finalise(self, request, pk=None):
        version = self.get_object()
        return self._run(lambda: review.review_finalise(actor=request.user, version=version))


ROUTES = [("budget-reviews", ReviewViewSet, "budget-review")]
PATHS: list = []
