"""Budget API: ``/api/v1/budgets/`` — the budget book, its lines and its checks."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from accounts.models import Organisation
from budgets import selectors
from budgets.models import Budget, BudgetLine, BudgetVersion, LineCategory
from budgets.services import book
from core.access import roles
from core.api import ErrorSerializer


class LineSerializer(serializers.ModelSerializer):
    total = serializers.DecimalField(max_digits=15, decimal_places=2, read_only=True)

    class Meta:
        model = BudgetLine
        fields = [
            "id",
            "subject",
            "unit",
            "category",
            "central",
            "local_government",
            "own",
            "other_channel",
            "performance_pay",
            "total",
            "basis",
            "explanation",
            "change_reason",
        ]


class VersionSerializer(serializers.ModelSerializer):
    class Meta:
        model = BudgetVersion
        fields = ["id", "number", "kind", "state", "based_on", "note", "response", "response_agrees", "created_at"]


class BudgetSerializer(serializers.ModelSerializer):
    versions = VersionSerializer(many=True, read_only=True)

    class Meta:
        model = Budget
        fields = [
            "id",
            "proposal",
            "project",
            "edition",
            "is_post_subsidy",
            "is_theoretical",
            "working_version",
            "approved_version",
            "versions",
        ]


class LinesInputSerializer(serializers.Serializer):
    """One subject unit's table: the rows to save, keyed by category."""

    version = serializers.IntegerField(required=False, help_text="Default: the working (application) version.")
    subject = serializers.IntegerField()
    unit = serializers.IntegerField()
    rows = serializers.DictField(
        child=inline_serializer(
            "BudgetLineInput",
            {
                "central": serializers.DecimalField(max_digits=14, decimal_places=2, required=False, min_value=0),
                "local_government": serializers.DecimalField(
                    max_digits=14, decimal_places=2, required=False, min_value=0
                ),
                "own": serializers.DecimalField(max_digits=14, decimal_places=2, required=False, min_value=0),
                "other_channel": serializers.DecimalField(max_digits=14, decimal_places=2, required=False, min_value=0),
                "performance_pay": serializers.DecimalField(
                    max_digits=14, decimal_places=2, required=False, min_value=0
                ),
                "basis": serializers.CharField(required=False, allow_blank=True),
                "explanation": serializers.CharField(required=False, allow_blank=True),
                "change_reason": serializers.CharField(required=False, allow_blank=True),
            },
        )
    )

    def validate_rows(self, rows):
        unknown = set(rows) - set(LineCategory.values)
        if unknown:
            raise serializers.ValidationError(f"Unknown categories: {', '.join(sorted(unknown))}")
        return rows


class IssueSerializer(serializers.Serializer):
    rule = serializers.CharField()
    severity = serializers.ChoiceField(choices=["error", "warning"])
    field = serializers.CharField()
    message = serializers.CharField()
    subject = serializers.IntegerField(allow_null=True)


class BudgetViewSet(viewsets.ReadOnlyModelViewSet):
    """Budget books of proposals and projects the user may see. ``lines/`` reads (GET) or
    saves (POST) one subject unit's table; ``validate/`` runs every check (B0–B10)."""

    access = roles("applicant", "unit_admin", "agency", "ministry", "admin", object_scoped=True)
    serializer_class = BudgetSerializer
    queryset = Budget.objects.none()

    def get_queryset(self):
        return selectors.budgets_for_user(self.request.user).prefetch_related("versions").order_by("id")

    def _version(self, budget: Budget, version_id) -> BudgetVersion:
        if version_id in (None, ""):
            return budget.working_version
        version = budget.versions.filter(pk=version_id).first()
        if version is None:
            raise NotFound
        return version

    @extend_schema(request=LinesInputSerializer, responses={200: LineSerializer(many=True), 400: ErrorSerializer})
    @action(detail=True, methods=["get", "post"])
    def lines(self, request, pk=None):
        budget = self.get_object()
        if request.method == "GET":
            version = self._version(budget, request.query_params.get("version"))
            return Response(LineSerializer(version.lines.order_by("subject_id", "unit_id", "id"), many=True).data)
        data = LinesInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        version = self._version(budget, data.validated_data.get("version"))
        subject = budget.proposal.subjects.filter(pk=data.validated_data["subject"]).first()
        unit = Organisation.objects.filter(pk=data.validated_data["unit"]).first()
        if subject is None or unit is None:
            raise NotFound
        book.lines_save(
            actor=request.user, version=version, subject=subject, unit=unit, rows=data.validated_data["rows"]
        )
        return Response(LineSerializer(version.lines.filter(subject=subject, unit=unit).order_by("id"), many=True).data)

    @extend_schema(
        request=None,
        responses={
            200: inline_serializer(
                "BudgetValidation",
                {
                    "version": serializers.IntegerField(),
                    "errors": serializers.IntegerField(),
                    "warnings": serializers.IntegerField(),
                    "issues": IssueSerializer(many=True),
                },
            )
        },
    )
    @action(detail=True, methods=["post"])
    def validate(self, request, pk=None):
        budget = self.get_object()
        version = self._version(budget, request.query_params.get("version"))
        issues = selectors.version_issues(version)
        return Response(
            {
                "version": version.pk,
                "errors": sum(1 for i in issues if i.severity == "error"),
                "warnings": sum(1 for i in issues if i.severity == "warning"),
                "issues": [issue.as_dict() for issue in issues],
            }
        )


ROUTES = [("budgets", BudgetViewSet, "budget")]
PATHS: list = []
