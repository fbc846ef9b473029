"""Secrecy API: ``/api/v1/classifications/`` — the decisions the caller may know of (S6; 404
otherwise), a new decision (S1–S3, S7) and the actions ``change/``, ``extend/``,
``declassify/`` (S4) and ``dispute/`` (S7)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.models import Organisation, User
from core.access import authenticated
from core.api import ErrorSerializer
from core.exceptions import RuleViolation
from secrecy import selectors, services
from secrecy.models import Classification, Dispute
from secrecy.rules import Level, Stage
from secrecy.targets import resolve_target, target_key

LEVEL_HELP = "secret, confidential or top_secret"


class ClassificationSerializer(serializers.ModelSerializer):
    target_type = serializers.SerializerMethodField(help_text="app_label.model of the item classified")
    target_id = serializers.IntegerField(source="object_id", read_only=True)
    target_label = serializers.SerializerMethodField()
    level = serializers.CharField(read_only=True, help_text=LEVEL_HELP)
    handled_level = serializers.CharField(
        read_only=True,
        help_text="The level the item is handled at: the highest claimed while an objection is open (S7)",
    )
    mark = serializers.CharField(read_only=True, help_text="S8 mark, e.g. 秘密★10年")
    stage = serializers.CharField(read_only=True, help_text="planning, call, establishment, evaluation or acceptance")
    state = serializers.CharField(read_only=True, help_text="provisional, active or declassified")
    ending = serializers.CharField(read_only=True, help_text="Why it was declassified (empty while in force)")
    authority_name = serializers.CharField(source="authority.organisation.name", read_only=True)

    class Meta:
        model = Classification
        fields = [
            "id",
            "target_type",
            "target_id",
            "target_label",
            "name",
            "level",
            "handled_level",
            "mark",
            "period_years",
            "declassify_on",
            "condition",
            "start_date",
            "expires_on",
            "key_points",
            "stage",
            "authority",
            "authority_name",
            "classifier",
            "confirmed_classifiable",
            "state",
            "ending",
            "declassified_at",
            "created_at",
        ]
        read_only_fields = fields

    def get_target_type(self, classification) -> str:
        return target_key(classification.content_type)

    def get_target_label(self, classification) -> str:
        target = classification.target
        return str(target) if target is not None else ""


class ClassificationCreateSerializer(serializers.Serializer):
    target_type = serializers.CharField(help_text="app_label.model of the item, e.g. projects.project")
    target_id = serializers.IntegerField(min_value=1)
    name = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    level = serializers.ChoiceField(choices=Level.choices)
    period_years = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=100)
    declassify_on = serializers.DateField(required=False, allow_null=True)
    condition = serializers.CharField(required=False, allow_blank=True, default="")
    start_date = serializers.DateField(required=False, allow_null=True, help_text="Default: today")
    key_points = serializers.CharField(required=False, allow_blank=True, default="")
    stage = serializers.ChoiceField(choices=Stage.choices)
    users = serializers.PrimaryKeyRelatedField(
        many=True, required=False, queryset=User.objects.filter(is_active=True), help_text="Need-to-know persons"
    )
    organisations = serializers.PrimaryKeyRelatedField(
        many=True, required=False, queryset=Organisation.objects.all(), help_text="Need-to-know organisations"
    )
    confirmed_classifiable = serializers.BooleanField(
        default=False, help_text="Not on the list of what may not be classified (SECRECY §11)"
    )
    provisional = serializers.BooleanField(default=False, help_text="A provisional level (SECRETS-REGS §19)")

    def validate(self, data):
        target = resolve_target(data["target_type"], data["target_id"])
        if target is None:
            raise serializers.ValidationError({"target_id": [_("No item of the portal has this reference.")]})
        data["target"] = target
        return data


class ClassificationChangeSerializer(serializers.Serializer):
    reason = serializers.CharField(help_text="SECRECY §20")
    level = serializers.ChoiceField(choices=Level.choices, required=False)
    period_years = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=100)
    declassify_on = serializers.DateField(required=False, allow_null=True)
    condition = serializers.CharField(required=False, allow_blank=True)


class ClassificationExtendSerializer(serializers.Serializer):
    reason = serializers.CharField()
    period_years = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=100)
    declassify_on = serializers.DateField(required=False, allow_null=True)


class ClassificationDeclassifySerializer(serializers.Serializer):
    ending = serializers.ChoiceField(
        choices=[(ground.value, ground.label) for ground in services.EARLY_GROUNDS], help_text="SECRECY §21 ground"
    )
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class ClassificationDisputeRaiseSerializer(serializers.Serializer):
    # A plain string in the schema: one enum for the levels (``level``) keeps the schema clean.
    claimed_level = serializers.CharField(help_text=LEVEL_HELP)
    reason = serializers.CharField()

    def validate_claimed_level(self, value: str) -> str:
        if value not in Level.values:
            raise serializers.ValidationError(_("Choose secret, confidential or top secret (SECRETS-LAW §10)."))
        return value


class ClassificationDisputeSerializer(serializers.ModelSerializer):
    claimed_level = serializers.CharField(read_only=True, help_text=LEVEL_HELP)
    decided_level = serializers.CharField(read_only=True, help_text=LEVEL_HELP)
    state = serializers.CharField(read_only=True, help_text="open or decided")

    class Meta:
        model = Dispute
        fields = [
            "id",
            "classification",
            "claimed_level",
            "reason",
            "raised_by",
            "raised_at",
            "state",
            "decided_level",
            "decided_by",
            "decided_at",
        ]
        read_only_fields = fields


ERRORS = {400: ErrorSerializer, 404: ErrorSerializer, 409: ErrorSerializer}


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("state", OpenApiTypes.STR, description="provisional, active or declassified"),
            OpenApiParameter("level", OpenApiTypes.STR, description=LEVEL_HELP),
        ]
    )
)
class ClassificationViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Classification decisions the caller may know of: decided by them, of the authority they
    serve as secrecy officer or head, or naming them on the need-to-know list (S6). ``create``
    decides one for the caller's authority (S2 — SECRECY §18)."""

    access = authenticated(object_scoped=True)
    action_access = {"create": authenticated()}
    lookup_value_regex = r"\d+"
    serializer_class = ClassificationSerializer
    queryset = Classification.objects.none()

    def get_queryset(self):
        records = selectors.classification_list_for_user(self.request.user).order_by("-created_at", "-id")
        if self.action == "list":
            state = self.request.query_params.get("state")
            level = self.request.query_params.get("level")
            if state:
                records = records.filter(state=state)
            if level:
                records = records.filter(level=level)
        return records

    def get_object(self):
        """The decisions the caller may know of, and those they may decide on for a superior
        authority (S4 — SECRECY §20–§22)."""
        return selectors.classification_get_for_decider(self.request.user, int(self.kwargs[self.lookup_field]))

    def _respond(self, classification, status_code=status.HTTP_200_OK):
        fresh = selectors.classification_get_for_decider(self.request.user, classification.pk)
        return Response(ClassificationSerializer(fresh).data, status=status_code)

    @extend_schema(request=ClassificationCreateSerializer, responses={201: ClassificationSerializer, **ERRORS})
    def create(self, request, *args, **kwargs):
        body = ClassificationCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        data.pop("target_type")
        data.pop("target_id")
        authority = selectors.authority_for(request.user)
        if authority is None:
            message = _(
                "Your organisation has no classification authority: request the classification from a superior "
                "or the competent department that has it (SECRECY §15(2))."
            )
            raise RuleViolation("S3", message, fields={"target_id": [message]}, code="no_authority")
        data["users"] = list(data.get("users", []))
        data["organisations"] = list(data.get("organisations", []))
        classification = services.classify(actor=request.user, authority=authority, **data)
        return self._respond(classification, status.HTTP_201_CREATED)

    @extend_schema(request=ClassificationChangeSerializer, responses={200: ClassificationSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def change(self, request, pk=None):
        """S4 — SECRECY §20: a new level and/or period (omit the period to keep it), with a reason."""
        classification = self.get_object()
        body = ClassificationChangeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        period = {key: data.get(key) for key in ("period_years", "declassify_on", "condition") if key in data}
        if period:
            period = {"period_years": None, "declassify_on": None, "condition": "", **period}
        classification = services.classification_change(
            actor=request.user, classification=classification, reason=data["reason"], level=data.get("level"), **period
        )
        return self._respond(classification)

    @extend_schema(request=ClassificationExtendSerializer, responses={200: ClassificationSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def extend(self, request, pk=None):
        """S4 — SECRECY §22: a longer period, decided before the current one ends."""
        classification = self.get_object()
        body = ClassificationExtendSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        classification = services.classification_extend(
            actor=request.user,
            classification=classification,
            reason=body.validated_data["reason"],
            period_years=body.validated_data.get("period_years"),
            declassify_on=body.validated_data.get("declassify_on"),
        )
        return self._respond(classification)

    @extend_schema(request=ClassificationDeclassifySerializer, responses={200: ClassificationSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def declassify(self, request, pk=None):
        """S4 — SECRECY §21: early declassification on one of its grounds."""
        classification = self.get_object()
        body = ClassificationDeclassifySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        classification = services.classification_declassify(
            actor=request.user,
            classification=classification,
            ending=body.validated_data["ending"],
            reason=body.validated_data["reason"],
        )
        return self._respond(classification)

    @extend_schema(
        request=ClassificationDisputeRaiseSerializer, responses={201: ClassificationDisputeSerializer, **ERRORS}
    )
    @action(detail=True, methods=["post"])
    def dispute(self, request, pk=None):
        """S7 — SECRETS-REGS §20: object to the level; it is handled at the highest level claimed
        until decided."""
        classification = self.get_object()
        body = ClassificationDisputeRaiseSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        dispute = services.dispute_raise(actor=request.user, classification=classification, **body.validated_data)
        return Response(ClassificationDisputeSerializer(dispute).data, status=status.HTTP_201_CREATED)


ROUTES: list = [("classifications", ClassificationViewSet, "classification")]
PATHS: list = []
