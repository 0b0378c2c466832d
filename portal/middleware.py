"""The portal's middleware: the headers every answer gets, the account check of page sessions, and
the pages' middleware that the machine doors pass by."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth import logout
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.messages.middleware import MessageMiddleware
from django.http import HttpRequest, HttpResponse

from portal.accounts import account_current

#: the machine doors (MPS, EngageIP SOAP and its HTTP POST form): each request carries its own
#: credentials and keeps no session, so the logged-in user, its check and the messages have nothing
#: to do for them. Sessions and CSRF stay in their place for every request: Django's deployment
#: checks look for them by name, and they cost a machine door almost nothing (no cookie, a view
#: exempt from CSRF).
MACHINE_DOORS = ("/mps/", "/adminportal/webservice.asmx")


def machine_door(request: HttpRequest) -> bool:
    """Whether ``request`` goes to a machine door."""
    return request.path_info.startswith(MACHINE_DOORS)


def pages_only(middleware: type) -> type:
    """``middleware`` (one without ``process_view``) for every request but a machine door's, which
    passes it by (a subclass, so that Django's checks still find the middleware they look for)."""

    class PagesOnly(middleware):
        def __call__(self, request: HttpRequest) -> HttpResponse:
            if machine_door(request):
                return self.get_response(request)
            return super().__call__(request)

    PagesOnly.__name__ = PagesOnly.__qualname__ = f"{middleware.__name__}ForPages"
    PagesOnly.__doc__ = f"{middleware.__module__}.{middleware.__name__}, passed by on the machine doors."
    return PagesOnly


AuthenticationMiddlewareForPages = pages_only(AuthenticationMiddleware)
MessageMiddlewareForPages = pages_only(MessageMiddleware)

# Every page loads only the portal's own scripts (no inline script runs), styles and images; no
# page may be framed, post elsewhere or load plugins. Inline ``style`` attributes stay allowed for
# the browsable API's templates. A view that needs more (the API's documentation pages, see
# ``portal.views.own_assets_only``) sets its own policy, which is kept.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class ContentSecurityPolicyMiddleware:
    """Sends :data:`CONTENT_SECURITY_POLICY` with every response that has none of its own."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        return response


class CurrentAccountMiddleware:
    """Logs a page session out as soon as its account may no longer go on: deleted, disabled, or
    gone from the directory (``portal.accounts.account_current``). Roles are read from the
    account on every request, so a demoted user's session loses the role at once."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if machine_door(request):
            return self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not account_current(user):
            logout(request)
        return self.get_response(request)
