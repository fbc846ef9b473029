"""Budget API: spending imports (``/api/v1/expenditures/``), annual final accounts
(``/api/v1/final-accounts/``, B7) and balances (``/api/v1/balances/``, B9)."""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from budgets import rules, selectors
from budgets.models import Balance, Expenditure, ExpenditureImport, FinalAccount, FinalAccountLine
from budgets.services import balances, final_accounts, spending_import
from core.access import roles
from core.api import ErrorSerializer

MONEY = {"max_digits": 14, "decimal_places": 2}
# Those who read a budget book; each list is scoped by budgets_for_user, each object answers 404 outside it.
READERS = roles("applicant", "unit_admin", "agency", "ministry", "admin", object_scoped=True)


def _visible_budgets(user):
    return selectors.budgets_for_user(user).values("pk")


# ---- Expenditures and their imports ------------------------------------------------------------


class ExpenditureSerializer(serializers.ModelSerializer):
    subject = serializers.IntegerField(source="subject.number", read_only=True)
    unit = serializers.CharField(source="unit.credit_code", read_only=True)
    source_import = serializers.IntegerField(source="source_import_id", read_only=True)

    class Meta:
        model = Expenditure
        # The payee's ID number stays in the unit's books: it is checked on import (B4), not served.
        fields = [
            "id",
            "budget",
            "source_import",
            "year",
            "subject",
            "unit",
            "category",
            "is_central",
            "booked_on",
            "voucher",
            "description",
            "payee",
            "amount",
        ]


class ExpenditureImportSerializer(serializers.ModelSerializer):
    imported_by = serializers.CharField(source="imported_by.username", read_only=True)
    state = serializers.CharField(
        read_only=True,
        help_text="queued or running (a large file, in the worker), applied, or refused (nothing imported)",
    )
    errors = serializers.ListField(child=serializers.DictField(), read_only=True)

    class Meta:
        model = ExpenditureImport
        fields = [
            "id",
            "budget",
            "year",
            "file_name",
            "state",
            "row_count",
            "total",
            "errors",
            "imported_by",
            "imported_at",
        ]


class ExpenditureImportRequestSerializer(serializers.Serializer):
    budget = serializers.IntegerField()
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    file = serializers.FileField(
        help_text="CSV (UTF-8 with or without BOM, or GBK) or Excel .xlsx with a header row of Chinese or English "
        "column names: 课题编号/subject, 单位统一社会信用代码 or 单位名称/unit, 科目/category, 资金来源/source, "
        "记账日期/booked_on, 凭证号/voucher, 摘要/description, 收款人/payee, 收款人证件号/payee_id_number, 金额/amount."
    )


class ExpenditureFilter(django_filters.FilterSet):
    budget = django_filters.NumberFilter(field_name="budget_id")
    year = django_filters.NumberFilter()
    category = django_filters.CharFilter()

    class Meta:
        model = Expenditure
        fields: list[str] = []


class ExpenditureViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Spending of the budgets the caller may open (filter with ``?budget=``); ``POST import/``
    imports a year's file from a unit's finance system: all rows or none. A refused file
    answers 400 with every row error in ``fields`` (``rows.<row>.<column>``) and ``findings``."""

    access = READERS
    action_access = {"import_file": roles("applicant", "unit_admin")}
    serializer_class = ExpenditureSerializer
    filterset_class = ExpenditureFilter
    queryset = Expenditure.objects.none()

    def get_queryset(self):
        return (
            Expenditure.objects.filter(budget__in=_visible_budgets(self.request.user))
            .select_related("subject", "unit")
            .order_by("budget_id", "year", "id")
        )

    @extend_schema(
        request={"multipart/form-data": ExpenditureImportRequestSerializer},
        responses={
            201: ExpenditureImportSerializer,
            202: ExpenditureImportSerializer,
            400: ErrorSerializer,
            404: ErrorSerializer,
            409: ErrorSerializer,
        },
        description="Files above 256 KiB are imported by the worker: the answer is 202 with the import "
        "``queued``; follow it at ``expenditure-imports/{id}/``.",
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        url_name="import-file",
        parser_classes=[MultiPartParser, FormParser],
        filterset_class=None,
        pagination_class=None,
    )
    def import_file(self, request):
        data = ExpenditureImportRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        budget = selectors.budget_get_for_user(request.user, data.validated_data["budget"])
        uploaded = data.validated_data["file"]
        if uploaded.size > spending_import.BACKGROUND_IMPORT_BYTES:
            record = spending_import.expenditure_import_queue(
                actor=request.user, budget=budget, year=data.validated_data["year"], uploaded_file=uploaded
            )
            return Response(ExpenditureImportSerializer(record).data, status=status.HTTP_202_ACCEPTED)
        record = spending_import.expenditure_import(
            actor=request.user, budget=budget, year=data.validated_data["year"], uploaded_file=uploaded
        )
        return Response(ExpenditureImportSerializer(record).data, status=status.HTTP_201_CREATED)


class ExpenditureImportFilter(django_filters.FilterSet):
    budget = django_filters.NumberFilter(field_name="budget_id")
    year = django_filters.NumberFilter()
    state = django_filters.CharFilter()

    class Meta:
        model = ExpenditureImport
        fields: list[str] = []


class ExpenditureImportViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The history of spending imports, applied and refused (with their row errors)."""

    access = READERS
    serializer_class = ExpenditureImportSerializer
    filterset_class = ExpenditureImportFilter
    queryset = ExpenditureImport.objects.none()

    def get_queryset(self):
        return (
            ExpenditureImport.objects.filter(budget__in=_visible_budgets(self.request.user))
            .select_related("imported_by")
            .order_by("-imported_at", "-id")
        )


# ---- Final accounts (B7 — KRD-FUNDS §37) -------------------------------------------------------


class FinalAccountLineSerializer(serializers.ModelSerializer):
    subject = serializers.IntegerField(source="subject.number", read_only=True)
    execution_rate = serializers.SerializerMethodField()

    class Meta:
        model = FinalAccountLine
        fields = ["subject", "category", "approved", "spent_in_year", "spent_to_date", "execution_rate"]

    @extend_schema_field(serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True))
    def get_execution_rate(self, line) -> str | None:
        rate = rules.execution_rate(spent=line.spent_to_date, approved=line.approved)
        return None if rate is None else str(rate)


class CarryOverSerializer(serializers.Serializer):
    subject = serializers.IntegerField(source="subject.number")
    carried_in = serializers.DecimalField(**MONEY)
    received = serializers.DecimalField(**MONEY)
    spent = serializers.DecimalField(**MONEY)
    carried_out = serializers.DecimalField(**MONEY)


class FinalAccountSerializer(serializers.ModelSerializer):
    submitted_by = serializers.CharField(source="submitted_by.username", default=None, read_only=True)
    state = serializers.CharField(read_only=True, help_text="draft, submitted, or exempt (not due: B7)")
    lines = FinalAccountLineSerializer(many=True, read_only=True)

    class Meta:
        model = FinalAccount
        fields = [
            "id",
            "budget",
            "year",
            "state",
            "compiled_at",
            "submitted_by",
            "submitted_at",
            "explanation",
            "lines",
        ]


class FinalAccountDetailSerializer(FinalAccountSerializer):
    carry_over = serializers.SerializerMethodField()

    class Meta(FinalAccountSerializer.Meta):
        fields = [*FinalAccountSerializer.Meta.fields, "carry_over"]

    @extend_schema_field(CarryOverSerializer(many=True))
    def get_carry_over(self, account):
        if account.state == FinalAccount.State.EXEMPT:
            return []
        return CarryOverSerializer(final_accounts.final_account_carry_over(account), many=True).data


class FinalAccountCompileSerializer(serializers.Serializer):
    budget = serializers.IntegerField()
    year = serializers.IntegerField(min_value=2000, max_value=2100)


class FinalAccountSubmitSerializer(serializers.Serializer):
    explanation = serializers.CharField(required=False, allow_blank=True, default="")


class FinalAccountFilter(django_filters.FilterSet):
    budget = django_filters.NumberFilter(field_name="budget_id")
    year = django_filters.NumberFilter()

    class Meta:
        model = FinalAccount
        fields: list[str] = []


class FinalAccountViewSet(viewsets.ReadOnlyModelViewSet):
    """Annual final accounts (B7 — KRD-FUNDS §37): ``POST`` compiles (or compiles again) a
    year from the approved budget and the imported spending — a year whose funds were under
    three months old at its end comes back ``exempt``; ``POST {id}/submit/`` sends it to the
    agency (the lead unit's administrator, after the year, by 20 April)."""

    access = READERS
    action_access = {"create": roles("applicant", "unit_admin"), "submit": roles("unit_admin", object_scoped=True)}
    serializer_class = FinalAccountSerializer
    filterset_class = FinalAccountFilter
    queryset = FinalAccount.objects.none()

    def get_queryset(self):
        return (
            FinalAccount.objects.filter(budget__in=_visible_budgets(self.request.user))
            .select_related("budget__project", "budget__proposal", "submitted_by")
            .prefetch_related("lines__subject")
            .order_by("budget_id", "-year")
        )

    def get_serializer_class(self):
        return FinalAccountDetailSerializer if self.action != "list" else FinalAccountSerializer

    @extend_schema(
        request=FinalAccountCompileSerializer,
        responses={201: FinalAccountDetailSerializer, 400: ErrorSerializer, 404: ErrorSerializer, 409: ErrorSerializer},
    )
    def create(self, request):
        data = FinalAccountCompileSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        budget = selectors.budget_get_for_user(request.user, data.validated_data["budget"])
        account = final_accounts.final_account_compile(
            actor=request.user, budget=budget, year=data.validated_data["year"]
        )
        account = self.get_queryset().get(pk=account.pk)
        return Response(FinalAccountDetailSerializer(account).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=FinalAccountSubmitSerializer,
        responses={200: FinalAccountDetailSerializer, 404: ErrorSerializer, 409: ErrorSerializer},
    )
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        account = self.get_object()
        data = FinalAccountSubmitSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        final_accounts.final_account_submit(
            actor=request.user, final_account=account, explanation=data.validated_data["explanation"]
        )
        return Response(FinalAccountDetailSerializer(self.get_queryset().get(pk=account.pk)).data)


# ---- Balances (B9 — KRD-FUNDS §44, MAJOR-FUNDS §47) -------------------------------------------


class BalanceSerializer(serializers.ModelSerializer):
    subject = serializers.IntegerField(source="subject.number", read_only=True)
    decided_by = serializers.CharField(source="decided_by.username", read_only=True)
    returned = serializers.SerializerMethodField()

    class Meta:
        model = Balance
        fields = [
            "id",
            "budget",
            "subject",
            "amount",
            "accepted_on",
            "passed_first_attempt",
            "credit_is_good",
            "disposition",
            "keep_from",
            "keep_until",
            "used_amount",
            "use_report",
            "reported_at",
            "returned",
            "decided_by",
            "decided_at",
        ]

    @extend_schema_field(serializers.DecimalField(**MONEY, allow_null=True))
    def get_returned(self, balance) -> str | None:
        """What goes back to the agency: all of a recovered balance; what a kept one did not use."""
        if balance.disposition == Balance.Disposition.RECOVERED:
            return str(balance.amount)
        return None if balance.reported_at is None else str(balance.amount - balance.used_amount)


class BalanceSettleSerializer(serializers.Serializer):
    budget = serializers.IntegerField()
    subject = serializers.IntegerField(help_text="The subject's id.")
    accepted_on = serializers.DateField()
    passed_first_attempt = serializers.BooleanField()
    credit_is_good = serializers.BooleanField()


class BalanceUseSerializer(serializers.Serializer):
    used_amount = serializers.DecimalField(min_value=0, **MONEY)
    report = serializers.CharField()


class BalanceFilter(django_filters.FilterSet):
    budget = django_filters.NumberFilter(field_name="budget_id")

    class Meta:
        model = Balance
        fields: list[str] = []


class BalanceViewSet(viewsets.ReadOnlyModelViewSet):
    """Subjects' balances after financial acceptance (B9): ``POST`` by the managing agency
    settles one (kept two years or recovered); ``POST {id}/use-report/`` by the subject unit
    reports what a kept balance was used for."""

    access = READERS
    action_access = {"create": roles("agency"), "use_report": roles("unit_admin", object_scoped=True)}
    serializer_class = BalanceSerializer
    filterset_class = BalanceFilter
    queryset = Balance.objects.none()

    def get_queryset(self):
        return (
            Balance.objects.filter(budget__in=_visible_budgets(self.request.user))
            .select_related("subject", "decided_by")
            .order_by("budget_id", "subject__number")
        )

    @extend_schema(
        request=BalanceSettleSerializer,
        responses={201: BalanceSerializer, 400: ErrorSerializer, 404: ErrorSerializer, 409: ErrorSerializer},
    )
    def create(self, request):
        data = BalanceSettleSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        budget = selectors.budget_get_for_user(request.user, values.pop("budget"))
        subject = budget.proposal.subjects.filter(pk=values.pop("subject")).first()
        if subject is None:
            raise serializers.ValidationError({"subject": ["Not a subject of this budget."]})
        balance = balances.balance_settle(actor=request.user, budget=budget, subject=subject, **values)
        return Response(BalanceSerializer(balance).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=BalanceUseSerializer,
        responses={200: BalanceSerializer, 400: ErrorSerializer, 404: ErrorSerializer, 409: ErrorSerializer},
    )
    @action(detail=True, methods=["post"], url_path="use-report")
    def use_report(self, request, pk=None):
        balance = self.get_object()
        data = BalanceUseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        balance = balances.balance_use_report(actor=request.user, balance=balance, **data.validated_data)
        return Response(BalanceSerializer(balance).data)


ROUTES: list = [
    ("expenditures", ExpenditureViewSet, "expenditure"),
    ("expenditure-imports", ExpenditureImportViewSet, "expenditure-import"),
    ("final-accounts", FinalAccountViewSet, "final-account"),
    ("balances", BalanceViewSet, "balance"),
]
PATHS: list = []  # extra url patterns under /api/v1/
