"""API plumbing shared by every app: the error format of design §5, token auth, ``/me/``."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from core.access import AUTHENTICATED, PUBLIC
from core.exceptions import RuleViolation, StateConflict


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    detail = serializers.CharField()
    fields = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


def _error(code: str, detail: str, fields: dict | None = None, *, status_code: int, headers=None, **extra) -> Response:
    body = {"code": code, "detail": detail, "fields": fields or {}, **extra}
    return Response(body, status=status_code, headers=headers)


def _flatten(value) -> list[str]:
    if isinstance(value, dict):
        return [message for item in value.values() for message in _flatten(item)]
    if isinstance(value, (list, tuple)):
        return [message for item in value for message in _flatten(item)]
    return [str(value)]


def exception_handler(exc, context):
    """Every 4xx as ``{"code", "detail", "fields"}`` (design §5). Forbidden answers 404 so an
    object's existence does not leak."""
    if isinstance(exc, RuleViolation):
        extra = {"findings": exc.findings} if exc.findings else {}
        return _error(
            exc.code, exc.message, exc.fields, status_code=status.HTTP_400_BAD_REQUEST, rule=exc.rule, **extra
        )
    if isinstance(exc, StateConflict):
        return _error(exc.code, exc.message, status_code=status.HTTP_409_CONFLICT)
    if isinstance(exc, DjangoValidationError):
        fields = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(fields)
    if isinstance(exc, (Http404, DjangoPermissionDenied, exceptions.PermissionDenied)):
        exc = exceptions.NotFound()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        data = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        fields = {key: _flatten(value) for key, value in data.items()}
        detail = "；".join(message for messages in fields.values() for message in messages) or _("Invalid input.")
        return _error("invalid", detail, fields, status_code=response.status_code, headers=response.headers)
    codes = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
    code = codes if isinstance(codes, str) else "error"
    detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
    return Response(
        {"code": code, "detail": str(detail), "fields": {}},
        status=response.status_code,
        headers=response.headers,
    )


class AuthTokenView(ObtainAuthToken):
    """``POST /api/v1/auth/token/`` with username and password → ``{"token": ...}``."""

    access = PUBLIC
    authentication_classes: list = []

    @extend_schema(
        request=inline_serializer(
            "TokenRequest", {"username": serializers.CharField(), "password": serializers.CharField()}
        ),
        responses={200: inline_serializer("TokenResponse", {"token": serializers.CharField()}), 400: ErrorSerializer},
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


class OrganisationBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    credit_code = serializers.CharField()
    kind = serializers.CharField()


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    real_name = serializers.CharField()
    organisation = OrganisationBriefSerializer(allow_null=True)
    roles = serializers.ListField(child=serializers.CharField())


class MeView(APIView):
    """``GET /api/v1/me/``: who the caller is."""

    access = AUTHENTICATED

    @extend_schema(responses={200: MeSerializer, 401: ErrorSerializer})
    def get(self, request):
        user = request.user
        return Response(
            MeSerializer(
                {
                    "username": user.username,
                    "real_name": user.real_name,
                    "organisation": user.organisation,
                    "roles": sorted(user.role_codes),
                }
            ).data
        )
