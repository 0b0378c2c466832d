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
from portal.failures import portal_error


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


def exception_handler(exc: Exception, context: dict) -> Response:
    """DRF's handler, with portal errors (and DRF's own auth and validation errors) as JSON, and
    every other exception as the JSON of the portal error it stands for (``portal.failures``)."""
    err = _as_portal_error(exc)
    if err is None:
        response = drf_exception_handler(exc, context)
        if response is not None:
            return response
        # anything else (the database lost, a bug) in the same shape: 503, 409 or InternalError
        view = context.get("view")
        request = context.get("request")
        where = f"{request.method} {request.path}" if request is not None else type(view).__name__
        err = portal_error(exc, where=where)
    response = Response(error_body(err), status=err.status)
    if err.status == 401:
        response["WWW-Authenticate"] = 'Basic realm="portal"'
    return response
