"""Report API: ``/api/v1/tech-reports/`` — the reports a user may know exist (T6), the leader's
drafts (T2–T4) and the actions of filing, submission, confirmation, return, early release and
extensions (T3, T5, T7)."""

from __future__ import annotations

from django.db.models import Prefetch
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from accounts.models import Organisation
from core.access import authenticated, roles
from core.api import ErrorSerializer
from reports import selectors, services
from reports.api.serializers import (
    ReportConfirmSerializer,
    ReportExtensionDecisionSerializer,
    ReportExtensionRequestSerializer,
    ReportPublicationSerializer,
    ReportReasonSerializer,
    TechReportCreateSerializer,
    TechReportDetailSerializer,
    TechReportInputSerializer,
    TechReportSerializer,
)
from reports.forms import ManagedReportFilter
from reports.models import TechReport

LEADER = roles("applicant", object_scoped=True)
UNIT = roles("unit_admin", object_scoped=True)
AGENCY = roles("agency", object_scoped=True)
LEADER_OR_UNIT = roles("applicant", "unit_admin", object_scoped=True)
ERRORS = {400: ErrorSerializer, 404: ErrorSerializer, 409: ErrorSerializer}


def _units() -> Prefetch:
    return Prefetch("units", queryset=Organisation.objects.order_by("name"))


class TechReportViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Every report the caller may know exists: confirmed public and delayed reports for
    everyone, and the project's reports in every state for its leader, lead unit, managing
    agency and the ministry — never a classified one outside its need-to-know list (404).
    ``?q=`` searches number, titles, abstracts, keywords and authors.

    The leader creates and changes drafts (multipart with the PDF ``file``, or JSON) and files
    them (``file/``): every check runs then and the report takes its number (T2). The lead
    unit submits (``submit/``), the agency confirms the level and release terms (``confirm/``,
    T5); either returns it (``return/``). A confirmed delayed report is released early on
    publication (``record-publication/``, T3) or kept closed longer by an extension requested
    at least 15 working days before the release (``request-extension/``) and decided by the
    agency (``decide-extension/``, T7)."""

    access = authenticated(object_scoped=True)
    action_access = {
        "create": LEADER,
        "update": LEADER,
        "partial_update": LEADER,
        "file": LEADER,
        "submit": UNIT,
        "confirm": AGENCY,
        "return_report": roles("unit_admin", "agency", object_scoped=True),
        "record_publication": LEADER_OR_UNIT,
        "request_extension": LEADER_OR_UNIT,
        "decide_extension": AGENCY,
    }
    serializer_class = TechReportSerializer
    queryset = TechReport.objects.none()
    filter_backends = [DjangoFilterBackend]
    filterset_class = ManagedReportFilter
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self):
        return selectors.reports_for_user(self.request.user).prefetch_related(_units()).order_by("-created_at", "-id")

    def get_serializer_class(self):
        if self.action == "list":
            return TechReportSerializer
        return TechReportDetailSerializer

    def _answer(self, report: TechReport, *, status_code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().filter(pk=report.pk).first()
        if fresh is None:
            raise NotFound
        return Response(
            TechReportDetailSerializer(fresh, context=self.get_serializer_context()).data, status=status_code
        )

    @extend_schema(
        request={"multipart/form-data": TechReportCreateSerializer, "application/json": TechReportCreateSerializer},
        responses={201: TechReportDetailSerializer, **ERRORS},
    )
    def create(self, request, *args, **kwargs):
        body = TechReportCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        project = selectors.project_for_user(request.user, body.validated_data["project"])
        report = services.report_create(actor=request.user, project=project, **body.to_service(project))
        return self._answer(report, status_code=status.HTTP_201_CREATED)

    @extend_schema(
        request={"multipart/form-data": TechReportInputSerializer, "application/json": TechReportInputSerializer},
        responses={200: TechReportDetailSerializer, **ERRORS},
    )
    def update(self, request, *args, **kwargs):
        report = self.get_object()
        body = TechReportInputSerializer(data=request.data, partial=kwargs.get("partial", False))
        body.is_valid(raise_exception=True)
        values = body.to_service(report.project)
        report = services.report_update(actor=request.user, report=report, **values)
        return self._answer(report)

    def _run(self, function, **arguments) -> Response:
        report = self.get_object()
        result = function(actor=self.request.user, report=report, **arguments)
        return self._answer(result if isinstance(result, TechReport) else report)

    @extend_schema(request=None, responses={200: TechReportDetailSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def file(self, request, pk=None):
        """The leader files the report with the unit (REPORTS §9, §13); 400 names each failed
        check with its article."""
        return self._run(services.report_file)

    @extend_schema(request=None, responses={200: TechReportDetailSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """T5 — REPORTS §13: the lead unit checks and submits to the agency."""
        return self._run(services.report_submit)

    @extend_schema(request=ReportConfirmSerializer, responses={200: TechReportDetailSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        """T5 — REPORTS §14: the agency confirms the level and release terms."""
        body = ReportConfirmSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._run(services.report_confirm, release_on=body.validated_data.get("release_on"))

    @extend_schema(request=ReportReasonSerializer, responses={200: TechReportDetailSerializer, **ERRORS})
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_report(self, request, pk=None):
        """The unit (filed) or the agency (submitted) returns the report to the leader."""
        body = ReportReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._run(services.report_return, reason=body.validated_data["reason"])

    @extend_schema(request=ReportPublicationSerializer, responses={200: TechReportDetailSerializer, **ERRORS})
    @action(detail=True, methods=["post"], url_path="record-publication", url_name="record-publication")
    def record_publication(self, request, pk=None):
        """T3 — REPORTS §12(1): the paper or patent is public: the delayed report is released."""
        body = ReportPublicationSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._run(services.record_publication, note=body.validated_data["note"])

    @extend_schema(request=ReportExtensionRequestSerializer, responses={200: TechReportDetailSerializer, **ERRORS})
    @action(detail=True, methods=["post"], url_path="request-extension", url_name="request-extension")
    def request_extension(self, request, pk=None):
        """T7 — REPORTS §19: keep the report closed longer; lodged at least 15 working days
        before the release date."""
        body = ReportExtensionRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._run(services.extension_request, **body.validated_data)

    @extend_schema(request=ReportExtensionDecisionSerializer, responses={200: TechReportDetailSerializer, **ERRORS})
    @action(detail=True, methods=["post"], url_path="decide-extension", url_name="decide-extension")
    def decide_extension(self, request, pk=None):
        """T7 — the agency approves (the release date moves) or refuses an extension."""
        report = self.get_object()
        body = ReportExtensionDecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        extension = report.extensions.filter(pk=body.validated_data["extension"]).first()
        if extension is None:
            raise ValidationError({"extension": [_("Not an extension of this report.")]})
        services.extension_decide(
            actor=request.user,
            extension=extension,
            approve=body.validated_data["approve"],
            note=body.validated_data.get("note", ""),
        )
        return self._answer(report)


ROUTES = [("tech-reports", TechReportViewSet, "tech-report")]
PATHS: list = []
