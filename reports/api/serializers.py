"""Serializers of the report API: the public record (metadata and abstracts, never a file),
the managed record, the leader's input and the full-text requests."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Organisation
from projects.models import Subject
from reports import documents, policies, rules, services
from reports.forms import LEVELS
from reports.models import AccessRequest, Extension, TechReport
from reports.rules import Access, DelayReason, Kind


def _code_field(choices, component_name: str) -> type[serializers.ChoiceField]:
    """A choice field documented as its own named enum component: ``kind`` and ``state`` are
    choice sets of other resources too, and several report components share these."""
    schema = {"type": "string", "enum": [value for value, _label in choices]}
    field_class = type(f"{component_name}Field", (serializers.ChoiceField,), {})
    return extend_schema_field(schema, component_name=component_name)(field_class)


KindField = _code_field(Kind.choices, "TechReportKindEnum")
StateField = _code_field(TechReport.State.choices, "TechReportStateEnum")


class ReportUnitSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    credit_code = serializers.CharField()


class PublicTechReportSerializer(serializers.ModelSerializer):
    """T6 — REPORTS §18: what the public reads: metadata and abstracts."""

    kind = KindField(choices=Kind.choices, read_only=True)
    project_number = serializers.CharField(source="project.number", read_only=True)
    program = serializers.CharField(source="project.program.name", read_only=True)
    lead_unit = serializers.CharField(source="project.lead_unit.name", read_only=True)
    units = ReportUnitSerializer(many=True, read_only=True)
    access_code = serializers.SerializerMethodField(
        help_text="GB/T 30534-2014: 公开, 延期公开 with its date, or 秘密★N年."
    )
    is_public = serializers.BooleanField(
        read_only=True, help_text="The full text is open to registered real-name users (public, or released)."
    )
    citation = serializers.SerializerMethodField(help_text="REPORTS §21: how to cite the report.")

    class Meta:
        model = TechReport
        fields = [
            "id",
            "number",
            "kind",
            "title",
            "title_en",
            "abstract",
            "abstract_en",
            "keywords",
            "authors",
            "units",
            "lead_unit",
            "program",
            "project_number",
            "compiled_on",
            "submitted_on",
            "access",
            "access_code",
            "release_on",
            "released_at",
            "is_public",
            "citation",
        ]
        read_only_fields = fields

    def get_access_code(self, report: TechReport) -> str:
        return services.access_code(report)

    def get_citation(self, report: TechReport) -> str:
        return documents.citation(report)


class TechReportSerializer(PublicTechReportSerializer):
    """A report as the people who may know it read it (state, release terms, level)."""

    state = StateField(choices=TechReport.State.choices, read_only=True)

    class Meta(PublicTechReportSerializer.Meta):
        fields = [
            *PublicTechReportSerializer.Meta.fields,
            "project",
            "subject",
            "plan_item",
            "related_papers",
            "related_patents",
            "delay_reason",
            "secret_level",
            "secret_years",
            "state",
            "returned_reason",
            "filed_at",
            "submitted_at",
            "confirmed_at",
            "release_basis",
            "publication_note",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ReportExtensionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Extension
        fields = ["id", "new_release_on", "reason", "state", "requested_at", "decided_at", "note"]
        read_only_fields = fields


class TechReportDetailSerializer(TechReportSerializer):
    """One report: with the full-text link when the reader may open it (else why not) and,
    for its own people and managers, the extensions of its release."""

    full_text_url = serializers.SerializerMethodField()
    full_text_refusal = serializers.SerializerMethodField()
    extensions = serializers.SerializerMethodField()

    class Meta(TechReportSerializer.Meta):
        fields = [*TechReportSerializer.Meta.fields, "full_text_url", "full_text_refusal", "extensions"]
        read_only_fields = fields

    def _refusal(self, report: TechReport) -> str:
        cache = self.context.setdefault("refusals", {})
        if report.pk not in cache:
            cache[report.pk] = policies.full_text_refusal(self.context["request"].user, report)
        return cache[report.pk]

    def get_full_text_url(self, report: TechReport) -> str | None:
        if self._refusal(report):
            return None
        return self.context["request"].build_absolute_uri(reverse("reports:full_text", args=[report.pk]))

    def get_full_text_refusal(self, report: TechReport) -> str:
        return self._refusal(report)

    @staticmethod
    def _extensions(report: TechReport) -> list[Extension]:
        return list(report.extensions.order_by("-requested_at"))

    @extend_schema_field(ReportExtensionSerializer(many=True))
    def get_extensions(self, report: TechReport) -> list[dict]:
        user = self.context["request"].user
        if not (policies.is_own_report(user, report) or policies.may_manage_report(user, report)):
            return []
        return ReportExtensionSerializer(self._extensions(report), many=True).data


class TechReportInputSerializer(serializers.Serializer):
    """A report as the leader writes it. Only the shape is checked here; the rules (keywords,
    release terms, level) are checked when the report is filed (``file/``)."""

    kind = KindField(choices=Kind.choices)
    plan_item = serializers.IntegerField(required=False, allow_null=True, help_text="The required report it answers.")
    subject = serializers.IntegerField(required=False, allow_null=True)
    title = serializers.CharField(max_length=300)
    title_en = serializers.CharField(max_length=300, required=False, allow_blank=True)
    abstract = serializers.CharField(required=False, allow_blank=True)
    abstract_en = serializers.CharField(required=False, allow_blank=True)
    keywords = serializers.ListField(
        child=serializers.CharField(max_length=300),
        required=False,
        help_text="3 to 8 (GB/T 7713.3-2014); items may also be separated by ；, ， or new lines.",
    )
    authors = serializers.ListField(child=serializers.CharField(max_length=300), required=False)
    units = serializers.ListField(
        child=serializers.IntegerField(), required=False, help_text="Organisation ids; empty: the lead unit."
    )
    compiled_on = serializers.DateField(required=False)
    related_papers = serializers.CharField(required=False, allow_blank=True)
    related_patents = serializers.CharField(required=False, allow_blank=True)
    access = serializers.ChoiceField(choices=Access.choices, required=False)
    delay_reason = serializers.ChoiceField(choices=DelayReason.choices, required=False, allow_blank=True)
    release_on = serializers.DateField(required=False, allow_null=True)
    secret_level = serializers.ChoiceField(
        choices=[value for value, _label in LEVELS], required=False, allow_blank=True
    )
    secret_years = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=99)
    file = serializers.FileField(required=False, help_text="The full text as a PDF.")

    def validate_secret_level(self, level: str) -> str:
        # T4 — checked here already: the table holds no level above secret, even in a draft.
        error = rules.level_error(level)
        if error:
            raise serializers.ValidationError(error)
        return level

    def to_service(self, project) -> dict:
        """The keyword arguments of ``report_create`` / ``report_update``; ids resolved within
        the project."""
        values = {key: value for key, value in self.validated_data.items() if key != "project"}
        errors = {}
        for name in ("keywords", "authors"):
            if name in values:
                values[name] = rules.split_keywords("；".join(values[name]))
        if values.get("plan_item") is not None:
            values["plan_item"] = project.report_plan.filter(pk=values["plan_item"]).first()
            if values["plan_item"] is None:
                errors["plan_item"] = [_("Not a required report of this project.")]
        if values.get("subject") is not None:
            values["subject"] = Subject.objects.filter(pk=values["subject"], proposal_id=project.proposal_id).first()
            if values["subject"] is None:
                errors["subject"] = [_("Not a subject of this project.")]
        if "units" in values:
            wanted = list(dict.fromkeys(values["units"]))
            found = {unit.pk: unit for unit in Organisation.objects.filter(pk__in=wanted)}
            if len(found) != len(wanted):
                errors["units"] = [_("Unknown organisation.")]
            values["units"] = [found[pk] for pk in wanted if pk in found] or [project.lead_unit]
        if errors:
            raise serializers.ValidationError(errors)
        return values


class TechReportCreateSerializer(TechReportInputSerializer):
    project = serializers.IntegerField(help_text="The project; the caller leads it.")


class ReportReasonSerializer(serializers.Serializer):
    reason = serializers.CharField()


class ReportConfirmSerializer(serializers.Serializer):
    release_on = serializers.DateField(
        required=False, allow_null=True, help_text="A delayed report's release date, within the reason's maximum."
    )


class ReportPublicationSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=300, help_text="The paper or the patent publication.")


class ReportExtensionRequestSerializer(serializers.Serializer):
    new_release_on = serializers.DateField()
    reason = serializers.CharField()


class ReportExtensionDecisionSerializer(serializers.Serializer):
    extension = serializers.IntegerField()
    approve = serializers.BooleanField()
    note = serializers.CharField(required=False, allow_blank=True)


class AccessRequestSerializer(serializers.ModelSerializer):
    report_number = serializers.CharField(source="report.number", read_only=True, allow_null=True)
    report_title = serializers.CharField(source="report.title", read_only=True)
    requester_name = serializers.SerializerMethodField()

    class Meta:
        model = AccessRequest
        fields = [
            "id",
            "report",
            "report_number",
            "report_title",
            "requester",
            "requester_name",
            "purpose",
            "state",
            "requested_at",
            "decided_at",
            "expires_on",
        ]
        read_only_fields = fields

    def get_requester_name(self, request: AccessRequest) -> str:
        return str(request.requester)


class AccessRequestInputSerializer(serializers.Serializer):
    report = serializers.IntegerField()
    purpose = serializers.CharField()


class ReportGrantSerializer(serializers.Serializer):
    expires_on = serializers.DateField(help_text="The last day the authorisation is valid (a future date).")
