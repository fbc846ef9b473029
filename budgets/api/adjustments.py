"""Budget API: ``/api/v1/budget-adjustments/`` — requests routed by B6."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from budgets import rules, selectors
from budgets.models import Adjustment, AdjustmentStep
from budgets.services import adjustments
from core.access import roles
from core.api import ErrorSerializer


class StepSerializer(serializers.ModelSerializer):
    class Meta:
        model = AdjustmentStep
        fields = ["order", "approver", "organisation", "is_notice", "state", "decided_by", "decided_at", "comment"]


class AdjustmentSerializer(serializers.ModelSerializer):
    steps = StepSerializer(many=True, read_only=True)
    required_approver = serializers.SerializerMethodField()

    class Meta:
        model = Adjustment
        fields = [
            "id",
            "budget",
            "base_version",
            "proposed_version",
            "reason",
            "state",
            "requested_by",
            "requested_at",
            "decided_at",
            "required_approver",
            "steps",
        ]
        read_only_fields = ["base_version", "proposed_version", "state", "requested_by", "requested_at", "decided_at"]

    def get_required_approver(self, adjustment) -> str | None:
        edition = selectors.edition_of(adjustment.budget)
        approver = rules.required_approver(edition=edition, changes=adjustments.adjustment_changes(adjustment))
        return None if approver is None else str(approver)


DecisionSerializer = inline_serializer(
    "AdjustmentDecision", {"comment": serializers.CharField(required=False, allow_blank=True)}
)


class AdjustmentViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Adjustment requests: the project leader creates one (a copy of the approved budget),
    changes its lines through ``budgets/{id}/lines/`` with ``version`` = ``proposed_version``,
    then ``submit/``; each approver in turn ``approve/`` or ``reject/``; the last approval
    applies it. Indirect increases are refused (B6)."""

    access = roles("applicant", "unit_admin", "agency", "ministry", "admin", object_scoped=True)
    action_access = {
        "create": roles("applicant"),
        "submit": roles("applicant"),
        "approve": roles("unit_admin", "agency", "ministry"),
        "reject": roles("unit_admin", "agency", "ministry"),
    }
    serializer_class = AdjustmentSerializer
    queryset = Adjustment.objects.none()

    def get_queryset(self):
        return selectors.adjustments_for_user(self.request.user).prefetch_related("steps").order_by("id")

    def _run(self, function, status=200):
        adjustment = self.get_queryset().get(pk=function().pk)
        return Response(AdjustmentSerializer(adjustment).data, status=status)

    @extend_schema(responses={201: AdjustmentSerializer, 400: ErrorSerializer, 404: ErrorSerializer})
    def create(self, request, *args, **kwargs):
        budget = selectors.budgets_for_user(request.user).filter(pk=request.data.get("budget")).first()
        if budget is None:
            raise NotFound
        return self._run(
            lambda: adjustments.adjustment_create(
                actor=request.user, budget=budget, reason=str(request.data.get("reason", ""))
            ),
            status=201,
        )

    @extend_schema(request=None, responses={200: AdjustmentSerializer, 400: ErrorSerializer, 409: ErrorSerializer})
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        adjustment = self.get_object()
        return self._run(lambda: adjustments.adjustment_submit(actor=request.user, adjustment=adjustment))

    @extend_schema(request=DecisionSerializer, responses={200: AdjustmentSerializer, 409: ErrorSerializer})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        adjustment = self.get_object()
        return self._run(
            lambda: adjustments.adjustment_decide(
                actor=request.user, adjustment=adjustment, approve=True, comment=request.data.get("comment", "")
            )
        )

    @extend_schema(request=DecisionSerializer, responses={200: AdjustmentSerializer, 400: ErrorSerializer})
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        adjustment = self.get_object()
        return self._run(
            lambda: adjustments.adjustment_decide(
                actor=request.user, adjustment=adjustment, approve=False, comment=request.data.get("comment", "")
            )
        )


ROUTES = [("budget-adjustments", AdjustmentViewSet, "budget-adjustment")]
PATHS: list = []
