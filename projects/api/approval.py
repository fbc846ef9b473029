"""API: ``/api/v1/projects/`` — the approved projects (P5) the caller may open."""

from __future__ import annotations

from rest_framework import serializers, viewsets

from core.access import roles
from projects import rules, selectors
from projects.api.common import PROJECT_READERS
from projects.models import Project


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


ROUTES = [("projects", ProjectViewSet, "project")]
PATHS: list = []
