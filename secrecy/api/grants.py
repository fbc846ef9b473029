"""Secrecy API: ``/api/v1/knowledge-grants/`` — the need-to-know lists (S6 — SECRETS-LAW §16,
SECRETS-REGS §14) of the decisions the caller may know of; additions (approved at once when
the head adds them, else waiting for the head), ``approve/``, ``revoke/`` and ``name-person/``
(a listed organisation names its people)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.models import Organisation, User
from core.access import authenticated
from core.api import ErrorSerializer
from secrecy import selectors, services
from secrecy.models import KnowledgeGrant

ERRORS = {400: ErrorSerializer, 404: ErrorSerializer, 409: ErrorSerializer}


class KnowledgeGrantSerializer(serializers.ModelSerializer):
    class Meta:
        model = KnowledgeGrant
        fields = [
            "id",
            "classification",
            "user",
            "organisation",
            "via",
            "reason",
            "is_pending",
            "granted_by",
            "granted_at",
            "approved_by",
            "revoked_at",
            "revoked_by",
        ]
        read_only_fields = fields


class GrantAddSerializer(serializers.Serializer):
    classification = serializers.IntegerField(min_value=1)
    user = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True), required=False)
    organisation = serializers.PrimaryKeyRelatedField(queryset=Organisation.objects.all(), required=False)
    reason = serializers.CharField(max_length=300, help_text="Why they need to know")


class GrantNamePersonSerializer(serializers.Serializer):
    user = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), help_text="A member of the listed organisation"
    )


@extend_schema_view(
    list=extend_schema(
        parameters=[OpenApiParameter("classification", OpenApiTypes.INT, description="One decision's list")]
    )
)
class KnowledgeGrantViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Entries of the need-to-know lists of the decisions the caller may know of, the revoked
    ones included (the written record of SECRETS-REGS §14)."""

    access = authenticated(object_scoped=True)
    serializer_class = KnowledgeGrantSerializer
    queryset = KnowledgeGrant.objects.none()

    def get_queryset(self):
        grants = selectors.grants_for_user(self.request.user).order_by("classification_id", "granted_at", "id")
        classification = self.request.query_params.get("classification")
        if self.action == "list" and classification and classification.isdigit():
            grants = grants.filter(classification_id=int(classification))
        return grants

    def _respond(self, grant, status_code=status.HTTP_200_OK):
        return Response(KnowledgeGrantSerializer(self.get_queryset().get(pk=grant.pk)).data, status=status_code)

    @extend_schema(request=GrantAddSerializer, responses={201: KnowledgeGrantSerializer, **ERRORS})
    def create(self, request, *args, **kwargs):
        body = GrantAddSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        classification = selectors.classification_get_for_user(request.user, data["classification"])
        grant = services.grant_add(
            actor=request.user,
            classification=classification,
            user=data.get("user"),
            organisation=data.get("organisation"),
            reason=data["reason"],
        )
        return self._respond(grant, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: KnowledgeGrantSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """The head of the deciding authority approves an addition (SECRETS-LAW §16)."""
        grant = services.grant_approve(actor=request.user, grant=self.get_object())
        return self._respond(grant)

    @extend_schema(request=None, responses={200: KnowledgeGrantSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        """Remove from the list (with the people an organisation named through this entry)."""
        grant = services.grant_revoke(actor=request.user, grant=self.get_object())
        return self._respond(grant)

    @extend_schema(request=GrantNamePersonSerializer, responses={201: KnowledgeGrantSerializer, **ERRORS})
    @action(detail=True, methods=["post"], url_path="name-person")
    def name_person(self, request, pk=None):
        """A listed organisation's unit administrator or secrecy officer names one of its people."""
        grant = self.get_object()
        body = GrantNamePersonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        named = services.grant_name_person(actor=request.user, grant=grant, user=body.validated_data["user"])
        return self._respond(named, status.HTTP_201_CREATED)


ROUTES: list = [("knowledge-grants", KnowledgeGrantViewSet, "knowledge-grant")]
PATHS: list = []
