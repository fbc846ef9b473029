"""API: ``/api/v1/public-notices/`` — public notices (公示, P5), readable without login."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers, viewsets

from core.access import Access
from projects import selectors
from projects.models import PublicNotice


class NoticeEntrySerializer(serializers.Serializer):
    title = serializers.CharField()
    lead_unit = serializers.CharField(source="lead_unit.name")
    leader = serializers.SerializerMethodField()
    central_funds = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)

    def get_leader(self, proposal) -> str:
        return proposal.applicant.real_name or proposal.applicant.username


class PublicNoticeSerializer(serializers.ModelSerializer):
    entries = serializers.SerializerMethodField()

    class Meta:
        model = PublicNotice
        fields = ["id", "title", "starts_at", "ends_at", "is_closed", "entries"]

    @extend_schema_field(NoticeEntrySerializer(many=True))
    def get_entries(self, notice):
        request = self.context.get("request")
        entries = selectors.public_notice_entries(notice, request.user if request is not None else None)
        return NoticeEntrySerializer(entries, many=True).data


class PublicNoticeViewSet(viewsets.ReadOnlyModelViewSet):
    """Public notices (公示, P5): readable by anyone, no login; never a secret project."""

    access = Access(anonymous=True)
    serializer_class = PublicNoticeSerializer
    queryset = PublicNotice.objects.none()

    def get_queryset(self):
        return selectors.public_notices_for_public(self.request.user).order_by("-starts_at", "-id")


ROUTES = [("public-notices", PublicNoticeViewSet, "public-notice")]
PATHS: list = []
