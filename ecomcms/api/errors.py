"""Every API error is JSON: ``{"error": {"code": ..., "message": ..., "fields": {...}}}``.

``code`` is stable (clients branch on it); ``message`` is for people and may change;
``fields`` appears on validation errors only, keyed by the path of the bad value
(``events.3.type``). Refusals of any app's services (``ecomcms.errors.ServiceError`` and
its subclasses) map to HTTP here, by the ``status`` and ``code`` the error class carries, so the
views just call the services.
"""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from ecomcms.errors import ServiceError

logger = logging.getLogger(__name__)


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "payload_too_large"
    default_detail = "The request body is too large."


class InvalidCursor(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid_cursor"
    default_detail = "The cursor is not one this API handed out; start again without it."


class InvalidState(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "invalid_state"
    default_detail = "The draft is not in a state that allows this."


class InvalidRequest(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid_request"
    default_detail = "The request was refused."


class ServiceRefusal(exceptions.APIException):
    """A service's refusal as an API error: the status and code its class carries, its message as the detail."""

    default_detail = "The request was refused."

    def __init__(self, error: ServiceError):
        self.status_code = error.status
        super().__init__(str(error) or None, code=error.code)


def _as_api_exception(exc: Exception) -> Exception:
    if isinstance(exc, Http404):
        return exceptions.NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied(str(exc) or None)
    if isinstance(exc, ServiceError):
        return ServiceRefusal(exc)
    return exc


def printable(text) -> str:
    r"""``text`` as a string UTF-8 can hold: a lone surrogate echoed from the input becomes ``\ud800``."""
    return str(text).encode("utf-8", "backslashreplace").decode("utf-8")


def field_errors(detail, path: str = "") -> dict[str, list[str]]:
    """DRF's nested error structure as ``{"dotted.path": [messages]}``; valid list items leave no entry."""
    if isinstance(detail, dict):
        flat: dict[str, list[str]] = {}
        for key, value in detail.items():
            flat.update(field_errors(value, f"{path}.{printable(key)}" if path else printable(key)))
        return flat
    if isinstance(detail, list) and any(isinstance(item, (dict, list)) for item in detail):
        flat = {}
        for index, item in enumerate(detail):
            flat.update(field_errors(item, f"{path}.{index}" if path else str(index)))
        return flat
    messages = detail if isinstance(detail, list) else [detail]
    return {path or "non_field_errors": [printable(message) for message in messages]}


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    body = {"code": code, "message": printable(message)}
    if fields:
        body["fields"] = fields
    return {"error": body}


def validation_message(fields: dict[str, list[str]]) -> str:
    """One line naming the first problem, e.g. ``Invalid input. page_size: Ensure this value is ...``."""
    first_path, first_messages = next(iter(fields.items()))
    where = "" if first_path == "non_field_errors" else f"{first_path}: "
    return f"Invalid input. {where}{first_messages[0]}"


def validation_error_body(detail) -> dict:
    fields = field_errors(detail)
    return error_body("validation_error", validation_message(fields), fields)


def exception_handler(exc, context):
    exc = _as_api_exception(exc)
    response = drf_exception_handler(exc, context)
    if response is None:
        logger.error("unhandled error in %s", context["request"].path, exc_info=exc)
        return Response(error_body("server_error", "Something went wrong on our side; it has been logged."),
                        status=status.HTTP_500_INTERNAL_SERVER_ERROR)
    if isinstance(exc, exceptions.ValidationError):
        response.data = validation_error_body(exc.detail)
    else:
        code = getattr(exc.detail, "code", None) or exc.default_code
        response.data = error_body(code, str(exc.detail))
    return response


# --- Schema -----------------------------------------------------------------------------------

class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable machine-readable code, e.g. `validation_error`, `not_found`.")
    message = serializers.CharField(help_text="What went wrong, for people.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), required=False,
        help_text="Validation errors only: messages by the dotted path of the bad value (`events.3.type`).",
    )


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


_ERRORS = {
    400: "Bad input: `validation_error` (see `fields`), `parse_error` (malformed JSON), `invalid_cursor`, "
         "`invalid_request` (refused by the workflow).",
    401: "`not_authenticated` (no token where one is required) or `authentication_failed` (unknown or revoked token).",
    403: "`permission_denied` (no permission), `insufficient_scope` (the token lacks the scope) or, on the staff "
         "API, `not_authenticated` (not signed in).",
    404: "`not_found`.",
    406: "`not_acceptable`: the API only answers `application/json`.",
    409: "`invalid_state`: the draft is not in a state that allows this transition.",
    413: "`payload_too_large`: the body exceeds the size limit.",
    415: "`unsupported_media_type`: send `Content-Type: application/json`.",
    429: "`throttled`: too many requests; `Retry-After` says how many seconds to wait.",
}


def error_responses(*statuses: int) -> dict[int, OpenApiResponse]:
    """Schema entries for the errors an endpoint can answer with (406 and 429 apply to every endpoint)."""
    return {code: OpenApiResponse(ErrorSerializer, description=_ERRORS[code]) for code in sorted({*statuses, 406, 429})}
