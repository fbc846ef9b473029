"""Report API: ``/api/v1/report-access-requests/`` — full-text requests of delayed reports and
their decision by the managing agency or the filing unit (T6 — REPORTS §18)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.access import authenticated, roles
from core.api import ErrorSerializer
from reports import selectors, services
from reports.api.serializers import AccessRequestInputSerializer, AccessRequestSerializer, ReportGrantSerializer
from reports.models import AccessRequest

DECIDERS = roles("agency", "unit_admin", object_scoped=True)
ERRORS = {400: ErrorSerializer, 404: ErrorSerializer, 409: ErrorSerializer}


class AccessRequestViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """The caller's own full-text requests and those the caller decides (the managing agency,
    the lead unit). A registered real-name user requests the full text of a confirmed delayed
    report not yet public with its purpose; ``grant/`` authorises it until ``expires_on``,
    ``refuse/`` refuses it."""

    access = authenticated(object_scoped=True)
    action_access = {"grant": DECIDERS, "refuse": DECIDERS}
    serializer_class = AccessRequestSerializer
    queryset = AccessRequest.objects.none()

    def get_queryset(self):
        return selectors.access_requests_for_user(self.request.user)

    def _answer(self, access_request: AccessRequest, *, status_code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=access_request.pk)
        return Response(AccessRequestSerializer(fresh).data, status=status_code)

    @extend_schema(request=AccessRequestInputSerializer, responses={201: AccessRequestSerializer, **ERRORS})
    def create(self, request, *args, **kwargs):
        body = AccessRequestInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        report = selectors.confirmed_report_for_user(request.user, body.validated_data["report"])
        access_request = services.access_request(
            actor=request.user, report=report, purpose=body.validated_data["purpose"]
        )
        return self._answer(access_request, status_code=status.HTTP_201_CREATED)

    def _decide(self, *, grant: bool, expires_on=None) -> Response:
        access_request = self.get_object()
        decided = services.access_decide(
            actor=self.request.user, request=access_request, grant=grant, expires_on=expires_on
        )
        return self._answer(decided)

    @extend_schema(request=ReportGrantSerializer, responses={200: AccessRequestSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def grant(self, request, pk=None):
        body = ReportGrantSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._decide(grant=True, expires_on=body.validated_data["expires_on"])

    @extend_schema(request=None, responses={200: AccessRequestSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def refuse(self, request, pk=None):
        return self._decide(grant=False)


ROUTES = [("report-access-requests", AccessRequestViewSet, "report-access-request")]
PATHS: list = []
