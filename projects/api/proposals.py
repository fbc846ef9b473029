"""API: ``/api/v1/proposals/`` — proposals and each step of their submission chain (P1, P2,
P4, P12)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.access import roles
from core.api import ErrorSerializer
from projects import selectors, services
from projects.api.common import PROPOSAL_READERS
from projects.models import Proposal, Subject


class SubjectBriefSerializer(serializers.ModelSerializer):
    unit = serializers.CharField(source="unit.name", default=None)

    class Meta:
        model = Subject
        fields = ["number", "title", "unit", "requested_funds"]


class ProposalSerializer(serializers.ModelSerializer):
    lead_unit = serializers.CharField(source="lead_unit.name", read_only=True)
    applicant = serializers.CharField(source="applicant.username", read_only=True)
    subjects = SubjectBriefSerializer(many=True, read_only=True)

    class Meta:
        model = Proposal
        fields = [
            "id",
            "call",
            "direction",
            "stage",
            "state",
            "title",
            "summary",
            "keywords",
            "start_date",
            "end_date",
            "lead_unit",
            "applicant",
            "recommending_department",
            "submitted_at",
            "returned_reason",
            "subjects",
        ]
        read_only_fields = ["stage", "state", "lead_unit", "applicant", "submitted_at", "returned_reason"]


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField()


class ProposalViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Proposals the caller may see; the applicant creates and edits drafts; each step of the
    submission chain is an action (P1, P2, P4, P12)."""

    access = roles(*PROPOSAL_READERS, object_scoped=True)
    action_access = {
        "create": roles("applicant"),
        "update": roles("applicant", object_scoped=True),
        "partial_update": roles("applicant", object_scoped=True),
        "submit": roles("applicant", object_scoped=True),
        "withdraw": roles("applicant", object_scoped=True),
        "unit_submit": roles("unit_admin", object_scoped=True),
        "recommend": roles("recommender", object_scoped=True),
        "return_to_applicant": roles("unit_admin", "recommender", "agency", object_scoped=True),
    }
    serializer_class = ProposalSerializer
    queryset = Proposal.objects.none()
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return (
            selectors.proposals_for_user(self.request.user)
            .prefetch_related(selectors.subjects_prefetch(self.request.user))
            .order_by("-updated_at", "-id")
        )

    def perform_create(self, serializer):
        call = selectors.call_get_for_user(self.request.user, serializer.validated_data["call"].pk)
        proposal = services.proposal_create(actor=self.request.user, call=call)
        fields = {k: v for k, v in serializer.validated_data.items() if k != "call"}
        if fields:
            proposal = services.proposal_save_section(actor=self.request.user, proposal=proposal, **fields)
        serializer.instance = proposal

    def perform_update(self, serializer):
        fields = {k: v for k, v in serializer.validated_data.items() if k != "call"}
        serializer.instance = services.proposal_save_section(
            actor=self.request.user, proposal=serializer.instance, **fields
        )

    def _act(self, service, **kwargs):
        proposal = service(actor=self.request.user, proposal=self.get_object(), **kwargs)
        return Response(self.get_serializer(proposal).data)

    @extend_schema(request=None, responses={200: ProposalSerializer, 400: ErrorSerializer, 409: ErrorSerializer})
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """The applicant submits to the unit; every eligibility check runs (P2)."""
        return self._act(services.proposal_submit)

    @extend_schema(request=None, responses={200: ProposalSerializer, 400: ErrorSerializer, 409: ErrorSerializer})
    @action(detail=True, methods=["post"], url_path="unit-submit")
    def unit_submit(self, request, pk=None):
        """The lead unit submits (the closing minute is enforced here by default, P1)."""
        return self._act(services.proposal_unit_submit)

    @extend_schema(request=None, responses={200: ProposalSerializer, 409: ErrorSerializer})
    @action(detail=True, methods=["post"])
    def recommend(self, request, pk=None):
        return self._act(services.proposal_recommend)

    @extend_schema(request=ReasonSerializer, responses={200: ProposalSerializer, 400: ErrorSerializer})
    @action(detail=True, methods=["post"], url_path="return")
    def return_to_applicant(self, request, pk=None):
        self.get_object()  # 404 for a proposal the caller may not see, before the body is judged
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._act(services.proposal_return, reason=data.validated_data["reason"])

    @extend_schema(request=None, responses={200: ProposalSerializer, 400: ErrorSerializer})
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        return self._act(services.proposal_withdraw)


ROUTES = [("proposals", ProposalViewSet, "proposal")]
PATHS: list = []
