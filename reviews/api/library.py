"""Review API: ``/api/v1/experts/`` — the expert library (V1)."""

from __future__ import annotations

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from accounts.models import Organisation
from core.access import roles
from core.api import ErrorSerializer
from reviews import selectors
from reviews.models import Expert, ExpertDiscipline
from reviews.services import library

WRITERS = roles("agency", "admin")


class DisciplineSerializer(serializers.ModelSerializer):
    class Meta:
        model = ExpertDiscipline
        fields = ["code", "is_primary"]


class ExpertSerializer(serializers.ModelSerializer):
    disciplines = DisciplineSerializer(many=True, read_only=True)

    class Meta:
        model = Expert
        fields = [
            "id",
            "name",
            "id_number",
            "user",
            "organisation",
            "organisation_name",
            "professional_title",
            "is_senior",
            "expertise",
            "email",
            "phone",
            "is_foreign",
            "is_academician",
            "is_active",
            "disciplines",
            "created_at",
        ]


class ExpertInputSerializer(serializers.Serializer):
    """An expert to create or change; ``disciplines`` (codes, the first primary) replaces the
    expert's codes when given."""

    name = serializers.CharField(max_length=100)
    id_number = serializers.CharField(max_length=40)
    organisation = serializers.PrimaryKeyRelatedField(
        queryset=Organisation.objects.all(), allow_null=True, required=False
    )
    organisation_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    professional_title = serializers.CharField(max_length=100, required=False, allow_blank=True)
    is_senior = serializers.BooleanField(required=False)
    expertise = serializers.ChoiceField(choices=Expert.Expertise.choices, required=False)
    email = serializers.EmailField(required=False, allow_blank=True)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    is_foreign = serializers.BooleanField(required=False)
    is_academician = serializers.BooleanField(required=False)
    is_active = serializers.BooleanField(required=False)
    disciplines = serializers.ListField(
        child=serializers.CharField(max_length=20),
        required=False,
        help_text="Discipline codes (GB/T 13745, e.g. 080, 080.10, 520.2010); the first is primary.",
    )


class ExpertImportRequestSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text="Excel .xlsx or CSV (UTF-8 or GBK), one row per expert, header in Chinese or English: "
        "姓名/name, 身份证件号/id_number, 单位/organisation (name or credit code), 职称/professional_title, "
        "是否高级职称/is_senior, 专家类型/expertise, 学科代码/disciplines (separated by ; — the first is primary), "
        "邮箱/email, 电话/phone, 是否外籍/is_foreign, 是否院士/is_academician."
    )


class ExpertImportResultSerializer(serializers.Serializer):
    file_name = serializers.CharField()
    rows = serializers.IntegerField()
    created = serializers.IntegerField()
    updated = serializers.IntegerField()


class ExpertViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """The expert library, for agencies, the ministry and administrators; agencies and
    administrators add and change experts. ``POST import/`` reads an Excel or CSV file: all
    rows or none — a refused file answers 400 with every row error in ``fields``
    (``rows.<row>.<column>``) and ``findings``."""

    access = roles("agency", "ministry", "admin", object_scoped=True)
    action_access = {
        "create": WRITERS,
        "update": roles("agency", "admin", object_scoped=True),
        "partial_update": roles("agency", "admin", object_scoped=True),
        "import_file": WRITERS,
    }
    serializer_class = ExpertSerializer
    queryset = Expert.objects.none()

    def get_queryset(self):
        return (
            selectors.experts_for_user(self.request.user)
            .prefetch_related(
                Prefetch("disciplines", queryset=ExpertDiscipline.objects.order_by("-is_primary", "code"))
            )
            .order_by("name", "id")
        )

    def _save(self, request, expert: Expert | None, *, partial: bool) -> Expert:
        data = ExpertInputSerializer(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        disciplines = fields.pop("disciplines", None)
        return library.expert_save(actor=request.user, expert=expert, disciplines=disciplines, **fields)

    @extend_schema(request=ExpertInputSerializer, responses={201: ExpertSerializer, 400: ErrorSerializer})
    def create(self, request, *args, **kwargs):
        expert = self._save(request, None, partial=False)
        return Response(self.get_serializer(self.get_queryset().get(pk=expert.pk)).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=ExpertInputSerializer, responses={200: ExpertSerializer, 400: ErrorSerializer, 404: ErrorSerializer}
    )
    def update(self, request, *args, **kwargs):
        expert = self.get_object()
        self._save(request, expert, partial=kwargs.get("partial", False))
        return Response(self.get_serializer(self.get_queryset().get(pk=expert.pk)).data)

    @extend_schema(
        request={"multipart/form-data": ExpertImportRequestSerializer},
        responses={201: ExpertImportResultSerializer, 400: ErrorSerializer, 404: ErrorSerializer},
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        url_name="import-file",
        parser_classes=[MultiPartParser, FormParser],
        pagination_class=None,
    )
    def import_file(self, request):
        data = ExpertImportRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = library.expert_import(actor=request.user, uploaded_file=data.validated_data["file"])
        if result.is_refused:
            raise library.ExpertImportRefused(result)
        return Response(ExpertImportResultSerializer(result).data, status=status.HTTP_201_CREATED)


ROUTES = [("experts", ExpertViewSet, "expert")]
PATHS: list = []
