"""One place where the REST door turns errors into JSON, with the same text and status as XML."""

from __future__ import annotations

from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from portal.errors import (
    AccessDenied,
    InvalidArgument,
    InvalidRequest,
    NotAuthenticated,
    NotFound,
    PortalError,
)


def error_body(err: PortalError) -> dict:
    """The JSON shape of an error: ``{"error": {code, name, description, field, sources}}``."""
    return {
        "error": {
            "code": err.hex_code,
            "name": err.name,
            "description": err.text,
            "field": err.field,
            "sources": [{"namespace": ns, "procedure": proc} for ns, proc in err.sources],
        }
    }


def _as_portal_error(exc: Exception) -> PortalError | None:
    if isinstance(exc, PortalError):
        return exc
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        return NotAuthenticated(str(exc.detail))
    if isinstance(exc, exceptions.PermissionDenied):
        return AccessDenied(str(exc.detail))
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail
        if isinstance(detail, dict):
            field, messages = next(iter(detail.items()))
            text = messages[0] if isinstance(messages, list) else messages
            return InvalidArgument(f"{field}: {text}", field=str(field))
        return InvalidArgument(str(detail[0] if isinstance(detail, list) else detail))
    if isinstance(exc, exceptions.ParseError):
        return InvalidRequest(str(exc.detail))
    if isinstance(exc, exceptions.NotFound | Http404):
        return NotFound(str(getattr(exc, "detail", "") or "Not found."))
    if isinstance(exc, exceptions.APIException):
        # the rest of DRF's own refusals (method, media type, ...) in the same shape
        err = PortalError(str(exc.detail))
        err.status = exc.status_code
        err.code = 0x80070057 if exc.status_code < 500 else PortalError.code
        err.name = type(exc).__name__
        return err
    return None


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF's handler, with portal errors (and DRF's own auth and validation errors) as JSON."""
    err = _as_portal_error(exc)
    if err is None:
        return drf_exception_handler(exc, context)
    response = Response(error_body(err), status=err.status)
    if err.status == 401:
        response["WWW-Authenticate"] = 'Basic realm="portal"'
    return response
