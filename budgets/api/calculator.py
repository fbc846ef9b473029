"""``GET /api/v1/budget-rules/indirect-cap/``: the indirect-cost calculator (B2)."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from budgets import selectors
from budgets.forms import IndirectCapForm
from core.access import PUBLIC
from core.api import ErrorSerializer


def _fmt(value) -> str | None:
    return None if value is None else f"{value:.2f}"


class IndirectCapView(APIView):
    """The cap of a subject's indirect costs: marginal tiers on direct costs less equipment
    purchase (and capital construction for major projects), B2 — KRD-FUNDS §20 / MAJOR-FUNDS §18."""

    access = PUBLIC
    authentication_classes: list = []

    @extend_schema(
        parameters=[
            OpenApiParameter("program", str, required=True, enum=["key_rd", "major", "intl"]),
            OpenApiParameter("edition", str, required=False),
            OpenApiParameter("direct", str, required=True, description="yuan, 2 places"),
            OpenApiParameter("equipment_purchase", str, required=False),
            OpenApiParameter("capital_construction", str, required=False),
            OpenApiParameter("theory", bool, required=False),
        ],
        responses={
            200: inline_serializer(
                "IndirectCap",
                {
                    "program": serializers.CharField(),
                    "edition": serializers.CharField(),
                    "base": serializers.CharField(),
                    "cap": serializers.CharField(),
                    "tiers": serializers.ListField(child=serializers.DictField()),
                    "rule": serializers.CharField(),
                    "article": serializers.CharField(),
                },
            ),
            400: ErrorSerializer,
        },
    )
    def get(self, request):
        query = request.query_params.copy()
        query.setdefault("equipment_purchase", "0")
        form = IndirectCapForm(query)
        if not form.is_valid():
            raise serializers.ValidationError({key: list(value) for key, value in form.errors.items()})
        data = form.cleaned_data
        result = selectors.indirect_cap_for(
            program=data["program"],
            edition=data["edition"],
            direct=data["direct"],
            equipment_purchase=data["equipment_purchase"],
            capital_construction=data["capital_construction"],
            theory=data["theory"],
        )
        return Response(
            {
                "program": data["program"],
                "edition": result.edition.code,
                "base": _fmt(result.base),
                "cap": _fmt(result.cap),
                "tiers": [
                    {"from": _fmt(t.lower), "to": _fmt(t.upper), "rate": f"{t.rate:.2f}", "amount": _fmt(t.amount)}
                    for t in result.tiers
                ],
                "rule": "B2",
                "article": result.edition.indirect_article,
            }
        )


ROUTES: list = []
PATHS = [path("budget-rules/indirect-cap/", IndirectCapView.as_view(), name="indirect-cap")]
