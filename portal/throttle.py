"""Failed-login throttling and lockout, the same on all five doors (django-axes).

Every door logs in through ``django.contrib.auth.authenticate`` with the request: the login page,
the admin's login, HTTP Basic on REST and MPS, the SOAP ``AuthHeader``. django-axes counts the
failures per account (the logon name as typed, letter case ignored) and per client address, and
after ``AXES_FAILURE_LIMIT`` failures of either refuses every login of that account or from that
address for ``AXES_COOLOFF_TIME``, the right password included. Each failure and each lockout is
recorded (``axes.AccessFailureLog`` with ``locked_out``, ``axes.AccessAttempt``), shown to staff
in the admin.

The refusal never says whether the account exists: a name that is not in the directory is counted
and locked the same way, with the same text.
"""

from __future__ import annotations

import threading

from axes.backends import AxesStandaloneBackend
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from portal.errors import TooManyAttempts

LOCKED_TEXT = (
    "Too many failed logins for this account or from this address: logging in is refused for a while. "
    "Try again later."
)


class LoginThrottleBackend(AxesStandaloneBackend):
    """django-axes' check before the directory is asked. A call without a request is not a door
    (a management command, the portal's own tests) and is not throttled."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def client_address(request: HttpRequest) -> str | None:
    """The client's address: the one the portal sees, or behind ``PORTAL_TRUSTED_PROXIES``
    proxies the one the outermost of them appended to ``X-Forwarded-For`` (what a client writes
    there itself is not believed)."""
    from django.conf import settings

    proxies = settings.PORTAL_TRUSTED_PROXIES
    if proxies > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR")


def username_key(request: HttpRequest, credentials: dict | None) -> str | None:
    """The account name failures are counted under: as typed, without surrounding blanks, in
    lower case (``CM-Admin`` and ``cm-admin`` are one account)."""
    name = (credentials or {}).get("username")
    if name is None and request is not None and request.method == "POST":
        name = request.POST.get("username")
    return name.strip().lower() if isinstance(name, str) else None


def locked_out(request: HttpRequest | None) -> bool:
    """Whether django-axes refused the request's login as locked out."""
    return bool(getattr(request, "axes_locked_out", False))


# Whether an account and an address were found not locked out, remembered per process until the
# next recorded failure anywhere. A lockout only ever begins with a recorded failure, and django-axes
# logs every failure it records as a new row of its failure log (``AXES_ENABLE_ACCESS_FAILURE_LOG``,
# required by a check in ``portal/checks.py``), whose keys only grow: the highest key is the
# failures' generation, read from the database (by a remembered credential's request in the same
# query as its account) before what is remembered is trusted.
_not_locked: dict[tuple[str, str | None], int] = {}
_not_locked_guard = threading.Lock()
_NOT_LOCKED_MAX = 10_000


def failures_generation_sql(quote) -> str:
    """A scalar query of the failures' generation (``quote``: the database's name quoting)."""
    from axes.models import AccessFailureLog

    table = quote(AccessFailureLog._meta.db_table)
    key = quote(AccessFailureLog._meta.pk.column)
    # only quoted table and column names go into the text
    return f"SELECT COALESCE(MAX({key}), 0) FROM {table}"  # noqa: S608


def failures_generation() -> int:
    """The failures' generation: it changes whenever a login failure is recorded."""
    from axes.models import AccessFailureLog
    from django.db import connections, router

    connection = connections[router.db_for_read(AccessFailureLog)]
    with connection.cursor() as cursor:
        cursor.execute(failures_generation_sql(connection.ops.quote_name))
        return int(cursor.fetchone()[0])


def login_locked(request: HttpRequest, username: str, *, generation: int | None = None) -> bool:
    """Whether logins of ``username`` or from the request's address are locked out now.

    The answer "not locked out" is remembered for the account and address until a failure is
    recorded anywhere (a machine door's remembered credential asks this on every request: without
    the memory that is two database aggregates per request). The failures' ``generation`` (read
    here when not given) is read before the lockout is asked, so a failure committed during the
    question makes the answer stale at once.
    """
    from axes.handlers.proxy import AxesProxyHandler

    key = (username.strip().lower(), client_address(request))
    if generation is None:
        generation = failures_generation()
    if _not_locked.get(key) == generation:
        return False
    locked = not AxesProxyHandler.is_allowed(request, {"username": username})
    if not locked:
        with _not_locked_guard:
            if len(_not_locked) >= _NOT_LOCKED_MAX:
                _not_locked.clear()
            _not_locked[key] = generation
    return locked


def login_succeeded(request: HttpRequest, user) -> None:
    """A machine door's login succeeded (it keeps no session, so Django's ``user_logged_in`` is
    not sent): recorded like a page login, and the failures counted so far start again."""
    from axes.handlers.proxy import AxesProxyHandler

    AxesProxyHandler.user_logged_in(None, request, user)


def login_refused(request: HttpRequest | None) -> TooManyAttempts | None:
    """The error a machine door answers when its login was refused by the lockout, else None."""
    return TooManyAttempts(LOCKED_TEXT) if locked_out(request) else None


def lockout_response(request: HttpRequest, original_response: HttpResponse | None = None, credentials=None):
    """django-axes' lockout answer. A machine door has already answered in its own format (MPS
    ``errorContext``, REST JSON error, SOAP fault) with status 429: that answer stays. Pages get the
    login page with the refusal, status 429."""
    if original_response is not None and original_response.status_code == 429:
        return original_response
    from django.contrib.auth.forms import AuthenticationForm

    context = {
        "form": AuthenticationForm(request, initial={"username": request.POST.get("username", "")}),
        "next": request.POST.get("next", ""),
        "locked_text": LOCKED_TEXT,
    }
    return render(request, "registration/login.html", context, status=429)
