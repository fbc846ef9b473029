"""Report API: ``/api/v1/public/tech-reports/`` — the public depository (T6 — REPORTS §18):
confirmed public and delayed reports, metadata and abstracts only, for anyone."""

from __future__ import annotations

from django.db.models import Prefetch
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import viewsets

from accounts.models import Organisation
from core.access import PUBLIC
from reports import selectors
from reports.api.serializers import PublicTechReportSerializer
from reports.forms import ReportFilter
from reports.models import TechReport


class PublicTechReportViewSet(viewsets.ReadOnlyModelViewSet):
    """Search the depository without logging in: ``?q=`` words in number, titles, abstracts,
    keywords and authors; ``program``, ``year`` (of submission), ``kind`` and ``unit``. Never a
    file: full texts are read through the portal by registered real-name users."""

    access = PUBLIC
    serializer_class = PublicTechReportSerializer
    queryset = TechReport.objects.none()
    filter_backends = [DjangoFilterBackend]
    filterset_class = ReportFilter

    def get_queryset(self):
        user = self.request.user if self.request.user.is_authenticated else None
        return (
            selectors.public_reports(user)
            .prefetch_related(Prefetch("units", queryset=Organisation.objects.order_by("name")))
            .order_by("-submitted_on", "-id")
        )


ROUTES = [("public/tech-reports", PublicTechReportViewSet, "public-tech-report")]
PATHS: list = []
