"""One application error type for rule violations, and one JSON error shape.

Services raise ``DomainError`` when a request breaks a rule of the record (an impossible
status transition, a stale version). The API handler turns it, and DRF's own errors,
into ``{"error": {"code", "message", "fields"}}``; HTML views show the message."""

import logging

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

logger = logging.getLogger(__name__)


class DomainError(Exception):
    status_code = status.HTTP_400_BAD_REQUEST
    code = "invalid"

    def __init__(self, message: str, *, field: str | None = None, code: str = ""):
        super().__init__(message)
        self.message = message
        self.field = field
        if code:
            self.code = code

    def as_fields(self) -> dict[str, list[str]]:
        return {self.field: [self.message]} if self.field else {}


class ConflictError(DomainError):
    status_code = status.HTTP_409_CONFLICT
    code = "conflict"


class UnprocessableError(DomainError):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    code = "unprocessable"


class PreconditionFailed(DomainError):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    code = "precondition_failed"


class PreconditionRequired(DomainError):
    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    code = "precondition_required"


def _error_body(code: str, message: str, fields: dict | None = None) -> dict:
    body = {"error": {"code": code, "message": message}}
    if fields:
        body["error"]["fields"] = fields
    return body


def api_exception_handler(exc, context):
    if isinstance(exc, DomainError):
        logger.debug("Refused request: %s", exc.message)
        return Response(
            _error_body(exc.code, exc.message, exc.as_fields()), status=exc.status_code
        )
    if isinstance(exc, RequestDataTooBig):
        return Response(
            _error_body("too_large", "The request body is too large."),
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    if isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = exception_handler(exc, context)
    if response is None:
        return None

    if isinstance(exc, exceptions.ValidationError):
        fields = response.data if isinstance(response.data, dict) else None
        message = (
            "Some fields are invalid."
            if fields
            else "; ".join(str(item) for item in response.data)
        )
        if fields and set(fields) == {"non_field_errors"}:
            message = " ".join(str(m) for m in fields["non_field_errors"])
        response.data = _error_body("invalid", message, fields)
        return response

    detail = response.data.get("detail", "") if isinstance(response.data, dict) else ""
    code = getattr(detail, "code", None) or "error"
    response.data = _error_body(str(code), str(detail) or "Request refused.")
    return response


def page_not_found(request, exception=None):
    """Django's 404 for URLs no view matched. Under /api/ a client gets the API's JSON
    error shape (a path converter that refuses "-1" never reaches DRF's handler);
    everywhere else the usual page."""
    if request.path.startswith("/api/"):
        return JsonResponse(_error_body("not_found", "No such resource."), status=404)
    return defaults.page_not_found(request, exception)
