"""API: ``/api/v1/calls/``."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from core.access import Access, roles
from core.api import ErrorSerializer
from projects import rules, selectors, services
from projects.models import (
    Appeal,
    Call,
    CallDirection,
    FormalReview,
    Project,
    Proposal,
    PublicNotice,
    SpecialProject,
    Subject,
    TaskBook,
    TaskBookIndicator,
)


class CallDirectionSerializer(serializers.ModelSerializer):
    class Meta:
        model = CallDirection
        fields = ["code", "title", "discipline_code", "planned_projects", "budget_outline"]


class CallSerializer(serializers.ModelSerializer):
    program = serializers.CharField(source="special_project.program.code", read_only=True)
    special_project = serializers.PrimaryKeyRelatedField(queryset=SpecialProject.objects.all())
    directions = CallDirectionSerializer(many=True, required=False)

    class Meta:
        model = Call
        fields = [
            "id",
            "program",
            "special_project",
            "title",
            "year",
            "summary",
            "state",
            "published_at",
            "closes_at",
            "mode",
            "shortlist_factor",
            "formal_window_days",
            "budget_outline",
            "is_budget_published",
            "is_secret",
            "requires_recommendation",
            "leader_max_age",
            "unit_registered_before",
            "max_subjects",
            "max_units_per_subject",
            "max_participations",
            "directions",
        ]
        read_only_fields = ["state", "published_at"]

    def to_representation(self, call):
        data = super().to_representation(call)
        request = self.context.get("request")
        manages = request is not None and selectors.call_is_managed_by(request.user, call)
        if not (call.is_budget_published or manages):
            data["budget_outline"] = None
            for direction in data["directions"]:
                direction["budget_outline"] = None
        return data


class CallViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Call guides: anyone reads the published, non-secret ones (secret ones only invited
    organisations); the managing agency creates drafts and publishes them (P1)."""

    access = Access(anonymous=True, object_scoped=True)
    action_access = {"create": roles("agency"), "publish": roles("agency", object_scoped=True)}
    serializer_class = CallSerializer
    queryset = Call.objects.none()  # for the schema; get_queryset scopes to the caller

    def get_queryset(self):
        return (
            selectors.calls_for_user(self.request.user).prefetch_related("directions").order_by("-published_at", "-id")
        )

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        directions = data.pop("directions", [])
        try:
            serializer.instance = services.call_create(actor=self.request.user, directions=directions, **data)
        except PermissionDenied as error:
            raise NotFound from error

    @extend_schema(request=None, responses={200: CallSerializer, 400: ErrorSerializer, 409: ErrorSerializer})
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        """Publish a draft call guide (P1: at least 50 days to the closing moment)."""
        call = self.get_object()
        try:
            call = services.call_publish(actor=request.user, call=call)
        except PermissionDenied as error:
            raise NotFound from error
        return Response(self.get_serializer(call).data)


# ---- Proposals, formal reviews, appeals, public notices, projects, task books ---------------

PROPOSAL_READERS = ("applicant", "unit_admin", "recommender", "agency", "ministry", "admin")
PROJECT_READERS = ("applicant", "unit_admin", "agency", "ministry", "admin")


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
        try:
            proposal = services.proposal_create(actor=self.request.user, call=call)
            fields = {k: v for k, v in serializer.validated_data.items() if k != "call"}
            if fields:
                proposal = services.proposal_save_section(actor=self.request.user, proposal=proposal, **fields)
        except PermissionDenied as error:
            raise NotFound from error
        serializer.instance = proposal

    def perform_update(self, serializer):
        fields = {k: v for k, v in serializer.validated_data.items() if k != "call"}
        try:
            serializer.instance = services.proposal_save_section(
                actor=self.request.user, proposal=serializer.instance, **fields
            )
        except PermissionDenied as error:
            raise NotFound from error

    def _act(self, service, **kwargs):
        proposal = self.get_object()
        try:
            proposal = service(actor=self.request.user, proposal=proposal, **kwargs)
        except PermissionDenied as error:
            raise NotFound from error
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


class FormalReviewSerializer(serializers.ModelSerializer):
    class Meta:
        model = FormalReview
        fields = ["id", "proposal", "checklist", "result", "reasons", "decided_at", "appeal_until"]
        read_only_fields = ["checklist", "result", "reasons", "decided_at", "appeal_until"]


class DecisionSerializer(serializers.Serializer):
    passed = serializers.BooleanField()
    reasons = serializers.CharField(required=False, allow_blank=True, default="")


class FormalReviewViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Formal reviews (P4): the agency opens one for a received proposal and decides it; the
    applicant reads the result and the reasons."""

    access = roles(*PROPOSAL_READERS, object_scoped=True)
    action_access = {"create": roles("agency"), "decide": roles("agency", object_scoped=True)}
    serializer_class = FormalReviewSerializer
    queryset = FormalReview.objects.none()

    def get_queryset(self):
        return FormalReview.objects.filter(
            proposal__in=selectors.proposals_for_user(self.request.user).values("pk")
        ).order_by("id")

    def perform_create(self, serializer):
        proposal = selectors.proposal_get_for_user(self.request.user, serializer.validated_data["proposal"].pk)
        try:
            serializer.instance = services.formal_review_open(actor=self.request.user, proposal=proposal)
        except PermissionDenied as error:
            raise NotFound from error

    @extend_schema(request=DecisionSerializer, responses={200: FormalReviewSerializer, 400: ErrorSerializer})
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        review = self.get_object()
        data = DecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            review = services.formal_review_decide(actor=request.user, proposal=review.proposal, **data.validated_data)
        except PermissionDenied as error:
            raise NotFound from error
        return Response(self.get_serializer(review).data)


class AppealSerializer(serializers.ModelSerializer):
    class Meta:
        model = Appeal
        fields = ["id", "proposal", "grounds", "filed_at", "outcome", "answer", "answered_at"]
        read_only_fields = ["filed_at", "outcome", "answer", "answered_at"]


class AnswerSerializer(serializers.Serializer):
    upheld = serializers.BooleanField()
    answer = serializers.CharField()


class AppealViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Appeals (申诉, P4 — KRD-MGMT §36): the applicant files, the agency answers."""

    access = roles(*PROPOSAL_READERS, object_scoped=True)
    action_access = {"create": roles("applicant"), "answer": roles("agency", object_scoped=True)}
    serializer_class = AppealSerializer
    queryset = Appeal.objects.none()

    def get_queryset(self):
        return Appeal.objects.filter(
            proposal__in=selectors.proposals_for_user(self.request.user).values("pk")
        ).order_by("id")

    def perform_create(self, serializer):
        proposal = selectors.proposal_get_for_user(self.request.user, serializer.validated_data["proposal"].pk)
        try:
            serializer.instance = services.appeal_file(
                actor=self.request.user, proposal=proposal, grounds=serializer.validated_data["grounds"]
            )
        except PermissionDenied as error:
            raise NotFound from error

    @extend_schema(request=AnswerSerializer, responses={200: AppealSerializer, 400: ErrorSerializer})
    @action(detail=True, methods=["post"])
    def answer(self, request, pk=None):
        appeal = self.get_object()
        data = AnswerSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            appeal = services.appeal_answer(actor=request.user, appeal=appeal, **data.validated_data)
        except PermissionDenied as error:
            raise NotFound from error
        return Response(self.get_serializer(appeal).data)


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


class ProjectSerializer(serializers.ModelSerializer):
    program = serializers.CharField(source="program.code")
    lead_unit = serializers.CharField(source="lead_unit.name")
    leader = serializers.CharField(source="leader.username")
    funding_label = serializers.SerializerMethodField()

    class Meta:
        model = Project
        fields = [
            "id",
            "number",
            "title",
            "program",
            "lead_unit",
            "leader",
            "start_date",
            "end_date",
            "state",
            "funding_label",
        ]

    def get_funding_label(self, project) -> str:
        return rules.funding_label(program_code=project.program.code, project_number=project.number)


class ProjectViewSet(viewsets.ReadOnlyModelViewSet):
    """Projects the caller may open: the leader, the lead unit, the managing agency, MOST."""

    access = roles(*PROJECT_READERS, object_scoped=True)
    serializer_class = ProjectSerializer
    queryset = Project.objects.none()

    def get_queryset(self):
        return selectors.projects_for_user(self.request.user).order_by("number")


class TaskBookIndicatorSerializer(serializers.ModelSerializer):
    applied_target = serializers.CharField(source="applied.target_value", default=None)

    class Meta:
        model = TaskBookIndicator
        fields = ["id", "name", "target_value", "measurement", "applied_target"]


class TaskBookSerializer(serializers.ModelSerializer):
    indicators = TaskBookIndicatorSerializer(many=True, read_only=True)
    project = serializers.CharField(source="project.number")

    class Meta:
        model = TaskBook
        fields = [
            "id",
            "project",
            "subject",
            "party_a",
            "party_b",
            "state",
            "goals",
            "signed_a_at",
            "signed_b_at",
            "indicators",
        ]


class TaskBookViewSet(viewsets.ReadOnlyModelViewSet):
    """Task books (P5); each party confirms (signs) through ``confirm/``."""

    access = roles(*PROJECT_READERS, object_scoped=True)
    serializer_class = TaskBookSerializer
    queryset = TaskBook.objects.none()

    def get_queryset(self):
        return selectors.task_books_for_user(self.request.user).prefetch_related("indicators__applied").order_by("id")

    @extend_schema(request=None, responses={200: TaskBookSerializer, 409: ErrorSerializer})
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        book = self.get_object()
        try:
            book = services.task_book_sign(actor=request.user, book=book)
        except PermissionDenied as error:
            raise NotFound from error
        return Response(self.get_serializer(book).data)
