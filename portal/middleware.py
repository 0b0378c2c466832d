"""Response headers the whole portal sends."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

from portal.accounts import account_current

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
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not account_current(user):
            logout(request)
        return self.get_response(request)
