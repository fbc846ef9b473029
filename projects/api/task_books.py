"""API: ``/api/v1/task-books/`` — task books (任务书, P5); each party signs through ``confirm/``."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.access import roles
from core.api import ErrorSerializer
from projects import selectors, services
from projects.api.common import PROJECT_READERS
from projects.models import TaskBook, TaskBookIndicator


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
        book = services.task_book_sign(actor=request.user, book=self.get_object())
        return Response(self.get_serializer(book).data)


ROUTES = [("task-books", TaskBookViewSet, "task-book")]
PATHS: list = []
