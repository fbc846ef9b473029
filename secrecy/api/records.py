"""Secrecy API: ``/api/v1/secrecy-filings/`` (the filing register, S5 — SECRECY §23; ``file/``),
``/api/v1/secrecy-reviews/`` (S9 — SECRECY §34, §39; ``decide/``) and ``/api/v1/leak-reports/``
(S10 — SECRETS-REGS §34; anyone reports, the organisation's secrecy officers ``act/`` and
``escalate/``). What the caller may not see answers 404."""

from __future__ import annotations

import datetime as dt

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.models import Organisation
from core.access import authenticated, roles
from core.api import ErrorSerializer
from secrecy import rules, selectors, services
from secrecy.models import Filing, LeakReport, SecrecyReview
from secrecy.rules import PatentKind

ERRORS = {400: ErrorSerializer, 404: ErrorSerializer, 409: ErrorSerializer}


# ---- Filings (S5) ---------------------------------------------------------------------------------


class SecrecyFilingSerializer(serializers.ModelSerializer):
    authority_name = serializers.CharField(source="authority.organisation.name", read_only=True)
    event = serializers.CharField(
        read_only=True, help_text="determination, change, extension, declassification or annual"
    )
    classification = serializers.SerializerMethodField(help_text="Only when the caller may know of the decision")
    classification_name = serializers.SerializerMethodField()
    entries = serializers.SerializerMethodField(help_text="Entries of an annual summary")

    class Meta:
        model = Filing
        fields = [
            "id",
            "authority",
            "authority_name",
            "event",
            "classification",
            "classification_name",
            "year",
            "due_on",
            "filed_at",
            "filed_by",
            "entries",
            "created_at",
        ]
        read_only_fields = fields

    def _known(self, filing) -> bool:
        return filing.classification_id is not None and getattr(filing, "knows_classification", False)

    def get_classification(self, filing) -> int | None:
        return filing.classification_id if self._known(filing) else None

    def get_classification_name(self, filing) -> str:
        return filing.classification.name if self._known(filing) else ""

    def get_entries(self, filing) -> int:
        summary = filing.summary if isinstance(filing.summary, dict) else {}
        return len(summary.get("entries", []))


class SecrecyFilingViewSet(viewsets.ReadOnlyModelViewSet):
    """The register: an authority's secrecy officers and head see its filings; the ministry and
    the system administrator read all of them. ``file/``: the authority files it."""

    access = roles("secrecy_officer", "ministry", "admin", object_scoped=True)
    serializer_class = SecrecyFilingSerializer
    queryset = Filing.objects.none()

    def get_queryset(self):
        user = self.request.user
        return selectors.with_known_classification(selectors.filings_for_user(user), user).order_by("due_on", "id")

    @extend_schema(request=None, responses={200: SecrecyFilingSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def file(self, request, pk=None):
        filing = services.filing_submit(actor=request.user, filing=self.get_object())
        return Response(SecrecyFilingSerializer(self.get_queryset().get(pk=filing.pk)).data)


# ---- Secrecy reviews (S9) -------------------------------------------------------------------------


class SecrecyReviewSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(read_only=True, help_text="paper, patent, conference, exhibition or exchange_abroad")
    patent_kind = serializers.CharField(read_only=True, help_text="ordinary or secret (patents only)")
    state = serializers.CharField(read_only=True, help_text="requested, approved or refused")

    class Meta:
        model = SecrecyReview
        fields = [
            "id",
            "classification",
            "kind",
            "title",
            "patent_kind",
            "description",
            "requested_by",
            "requested_at",
            "state",
            "reviewer",
            "decided_at",
            "conditions",
        ]
        read_only_fields = fields


class SecrecyReviewRequestSerializer(serializers.Serializer):
    classification = serializers.IntegerField(min_value=1)
    kind = serializers.ChoiceField(choices=SecrecyReview.Kind.choices)
    title = serializers.CharField(max_length=300)
    patent_kind = serializers.ChoiceField(choices=PatentKind.choices, required=False, allow_blank=True, default="")
    description = serializers.CharField(required=False, allow_blank=True, default="")


class SecrecyReviewDecisionSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=[("approve", "approve"), ("refuse", "refuse")])
    conditions = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Conditions, or the reason for a refusal"
    )


class SecrecyReviewViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Secrecy reviews of the decisions the caller may know of. ``create``: someone who knows the
    item asks before a paper, patent, talk, exhibition or exchange abroad (a patent that §39
    forbids is refused at once). ``decide/``: the deciding authority approves or refuses."""

    access = authenticated(object_scoped=True)
    serializer_class = SecrecyReviewSerializer
    queryset = SecrecyReview.objects.none()

    def get_queryset(self):
        return selectors.reviews_for_user(self.request.user).order_by("-requested_at", "-id")

    def _respond(self, review, status_code=status.HTTP_200_OK):
        return Response(SecrecyReviewSerializer(self.get_queryset().get(pk=review.pk)).data, status=status_code)

    @extend_schema(request=SecrecyReviewRequestSerializer, responses={201: SecrecyReviewSerializer, **ERRORS})
    def create(self, request, *args, **kwargs):
        body = SecrecyReviewRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        classification = selectors.classification_get_for_user(request.user, data.pop("classification"))
        review = services.review_request(actor=request.user, classification=classification, **data)
        return self._respond(review, status.HTTP_201_CREATED)

    @extend_schema(request=SecrecyReviewDecisionSerializer, responses={200: SecrecyReviewSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        review = self.get_object()
        body = SecrecyReviewDecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        review = services.review_decide(
            actor=request.user,
            review=review,
            approve=body.validated_data["decision"] == "approve",
            conditions=body.validated_data["conditions"],
        )
        return self._respond(review)


# ---- Leak reports (S10) ---------------------------------------------------------------------------


class LeakReportSerializer(serializers.ModelSerializer):
    organisation_name = serializers.CharField(source="organisation.name", read_only=True, default="")
    classification = serializers.SerializerMethodField(help_text="Only when the caller may know of the decision")
    state = serializers.CharField(read_only=True, help_text="reported, acted or escalated")
    report_due = serializers.SerializerMethodField(help_text="24 hours after the report (SECRETS-REGS §34)")

    class Meta:
        model = LeakReport
        fields = [
            "id",
            "organisation",
            "organisation_name",
            "classification",
            "description",
            "reported_by",
            "reported_at",
            "state",
            "measures",
            "acted_by",
            "acted_at",
            "escalated_at",
            "report_due",
        ]
        read_only_fields = fields

    def get_classification(self, leak) -> int | None:
        known = leak.classification_id is not None and getattr(leak, "knows_classification", False)
        return leak.classification_id if known else None

    def get_report_due(self, leak) -> dt.datetime:
        return leak.reported_at + dt.timedelta(hours=rules.LEAK_REPORT_HOURS)


class LeakCreateSerializer(serializers.Serializer):
    description = serializers.CharField(help_text="What happened — never the secret itself")
    organisation = serializers.PrimaryKeyRelatedField(
        queryset=Organisation.objects.all(), required=False, help_text="Default: the reporter's organisation"
    )
    classification = serializers.IntegerField(
        min_value=1, required=False, help_text="A decision the reporter may know of"
    )


class LeakActSerializer(serializers.Serializer):
    measures = serializers.CharField()


class LeakReportViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Suspected leaks: anyone signed in reports one; the reporter and the secrecy officers of
    the organisation concerned see it; those officers record the remedial measures (``act/``)
    and the report to the secrecy authority within 24 hours (``escalate/``)."""

    access = authenticated(object_scoped=True)
    action_access = {
        "create": authenticated(),
        "act": roles("secrecy_officer", object_scoped=True),
        "escalate": roles("secrecy_officer", object_scoped=True),
    }
    serializer_class = LeakReportSerializer
    queryset = LeakReport.objects.none()

    def get_queryset(self):
        user = self.request.user
        leaks = selectors.with_known_classification(selectors.leaks_for_user(user), user)
        return leaks.order_by("-reported_at", "-id")

    def _respond(self, leak, status_code=status.HTTP_200_OK):
        return Response(LeakReportSerializer(self.get_queryset().get(pk=leak.pk)).data, status=status_code)

    @extend_schema(request=LeakCreateSerializer, responses={201: LeakReportSerializer, **ERRORS})
    def create(self, request, *args, **kwargs):
        body = LeakCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        classification = None
        if data.get("classification"):
            classification = selectors.classification_get_for_user(request.user, data["classification"])
        leak = services.leak_report(
            actor=request.user,
            description=data["description"],
            organisation=data.get("organisation"),
            classification=classification,
        )
        return self._respond(leak, status.HTTP_201_CREATED)

    @extend_schema(request=LeakActSerializer, responses={200: LeakReportSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def act(self, request, pk=None):
        leak = self.get_object()
        body = LeakActSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        leak = services.leak_act(actor=request.user, leak=leak, measures=body.validated_data["measures"])
        return self._respond(leak)

    @extend_schema(request=None, responses={200: LeakReportSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def escalate(self, request, pk=None):
        leak = services.leak_escalate(actor=request.user, leak=self.get_object())
        return self._respond(leak)


ROUTES: list = [
    ("secrecy-filings", SecrecyFilingViewSet, "secrecy-filing"),
    ("secrecy-reviews", SecrecyReviewViewSet, "secrecy-review"),
    ("leak-reports", LeakReportViewSet, "leak-report"),
]
PATHS: list = []
