"""The last net under every door: an exception that no door turned into its own answer is answered
in the shape of the door it came through, never with a bare framework page.

- ``/mps/``: the MPS ``errorContext``; ``/api/``: the REST JSON error; ``/adminportal/``: a SOAP
  fault (or the ASMX HTTP POST form's text); anything else: the pages' error page.
- :class:`FailureMiddleware` answers what a view raised; :func:`server_error` (``handler500``)
  answers what a middleware raised (the database lost while the session or the account is read).

The status is the error's: 503 when the database or the directory could not be reached, 409 for a
duplicate the database refused, 500 (``InternalError``, its cause logged, never shown) otherwise.
"""

from __future__ import annotations

import sys

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader

from billing.soap import fault_response, form_error_response
from portal.api.exceptions import error_body
from portal.errors import PortalError
from portal.failures import portal_error
from portal.mps.views import error_response as mps_error_response

ADVICE = {
    503: "A service the portal needs did not answer. Nothing was changed by this request; try it "
    "again in a moment.",
    409: "Another change of the same object came first. Nothing was changed by this request.",
}
TITLES = {
    400: "Bad request",
    401: "Not logged in",
    403: "Not allowed",
    404: "Not found",
    409: "Conflict",
    422: "Not possible now",
    429: "Too many attempts",
    503: "Temporarily unavailable",
}


def page_error(request: HttpRequest, err: PortalError) -> HttpResponse:
    """The pages' error page for ``err``, with its status. Rendered with the portal's frame when
    that works, else without what the frame reads from the database (which may be what failed)."""
    context = {
        "error": err,
        "title": TITLES.get(err.status, "Something went wrong"),
        "advice": ADVICE.get(
            err.status,
            "The error was logged. Nothing was changed by this request."
            if err.status >= 500
            else "Nothing was changed by this request.",
        ),
    }
    template = loader.get_template("error.html")
    try:
        body = template.render(context, request)
    except Exception:  # the frame's own reads failed too: the page without them
        body = template.render(context)
    return HttpResponse(body, status=err.status)


def door_error(request: HttpRequest, err: PortalError) -> HttpResponse:
    """``err`` in the shape of the door ``request`` came through."""
    path = request.path_info
    if path.startswith("/mps/"):
        return mps_error_response(err)
    if path.startswith("/api/"):
        return JsonResponse(error_body(err), status=err.status)
    if path.startswith("/adminportal/webservice.asmx/"):
        return form_error_response(err)
    if path.startswith("/adminportal/"):
        return fault_response(request, err)
    return page_error(request, err)


class FailureMiddleware:
    """Answers an exception a view raised in the shape of its door (see the module)."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        from django.core.exceptions import (
            PermissionDenied,
            RequestDataTooBig,
            SuspiciousOperation,
            TooManyFieldsSent,
            TooManyFilesSent,
        )
        from django.http import Http404

        if isinstance(exception, RequestDataTooBig | TooManyFieldsSent | TooManyFilesSent):
            return door_error(request, portal_error(exception, where=f"{request.method} {request.path}"))
        if isinstance(exception, Http404 | PermissionDenied | SuspiciousOperation):
            return None  # Django's own 404, 403 and 400 answers
        return door_error(request, portal_error(exception, where=f"{request.method} {request.path}"))


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: what a middleware raised (outside any view), in the shape of its door."""
    exc = sys.exc_info()[1]
    err = portal_error(exc, where=f"{request.method} {request.path}") if exc is not None else None
    if err is None:
        from portal.engine import InternalError

        err = InternalError("The request failed unexpectedly; the error was logged.")
    return door_error(request, err)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """``CSRF_FAILURE_VIEW``: a form sent without its security token (a page kept open past its
    session, or a post from elsewhere) gets the pages' error page, in the portal's frame."""
    from portal.errors import AccessDenied

    err = AccessDenied(
        "The form was sent without the portal's security token (the page may have been open too long, "
        "or the form came from another site). Reload the page and send the form again."
    )
    return page_error(request, err)
