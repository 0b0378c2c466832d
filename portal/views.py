"""The home page, search, the "not found" page and the health check."""

from __future__ import annotations

import functools
from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from portal.dashboard import dashboard
from portal.directory import dn_to_path
from portal.engine import Caller, preflight
from portal.errors import AccessDenied, PortalError
from portal.pages import ProcedureForm, caller_of, confirmation_needed, form_submit
from portal.search import MAX_QUERY, search_all


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The caller's dashboard: who it is, what its scope holds and uses, open invoices, the last
    changes and (for staff and resellers) the monthly billed amounts."""
    caller = Caller.from_user(request.user)
    return render(
        request,
        "home.html",
        {
            "scope_path": dn_to_path(caller.scope_dn) if caller.scope_dn else None,
            "entry_path": dn_to_path(caller.dn) if caller.dn else None,
            "board": dashboard(request, caller),
        },
    )


class LockoutClearForm(ProcedureForm):
    """Unlock one account name or client address (``Portal::LockoutClear``)."""

    procedure = "Portal::LockoutClear"
    username = forms.CharField(required=False, max_length=255)
    ipAddress = forms.CharField(required=False, max_length=45)  # noqa: N815 - the argument's name

    def execute_data(self) -> dict:
        return {name: value for name, value in self.cleaned_data.items() if value}

    def what(self) -> str:
        """The lockout in words."""
        data = self.execute_data()
        if "username" in data:
            return f"the account {data['username']}"
        return f"the address {data.get('ipAddress')}"


@login_required
@require_POST
def lockout_clear(request: HttpRequest) -> HttpResponse:
    """End a login lockout from the staff's home page, once confirmed; DomainAdmins only (403 for
    everyone else, before anything is asked)."""
    form = LockoutClearForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Name the account or the address to unlock.")
        return redirect("home")
    try:
        preflight(caller_of(request), form.procedure, form.execute_data())
    except AccessDenied as err:
        raise PermissionDenied(err.text) from None
    except PortalError as err:
        messages.error(request, err.text)
        return redirect("home")
    ask = confirmation_needed(
        request,
        title=f"Unlock {form.what()}?",
        message=f"Logins of {form.what()} are no longer refused; the failed logins counted so far "
        "are forgotten (the failure log keeps them).",
        confirm_label="Yes, unlock",
        cancel_url=reverse("home"),
    )
    if ask is not None:
        return ask
    if form_submit(request, form, success=f"Unlocked {form.what()}.") is None:
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect("home")


@login_required
def search(request: HttpRequest) -> HttpResponse:
    """Organizations, users, SMTP domains and billing accounts whose names hold the query, inside
    the caller's scope."""
    query = request.GET.get("q", "").strip()
    groups = search_all(Caller.from_user(request.user), query) if query else []
    return render(
        request,
        "portal/search.html",
        {
            "search_query": query,
            "groups": groups,
            "found": sum(len(hits) for _, hits in groups),
            "too_long": len(query) > MAX_QUERY,
        },
    )


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """The 404 page, inside the portal's frame: the view's reason when it gave one in words."""
    reason = exception.args[0] if exception.args and isinstance(exception.args[0], str) else ""
    return render(request, "404.html", {"reason": reason or "There is no such page."}, status=404)


def health(request: HttpRequest) -> JsonResponse:
    """Liveness for process supervisors: answers without touching the directory."""
    return JsonResponse({"status": "ok"})


# What the API's documentation pages may load: the portal's own files, their inline set-up script
# and styles, images drawn from data, and ReDoc's search worker (the rest of the portal runs no
# inline script: portal.middleware). ReDoc's sidebar would otherwise fetch a logo from its CDN on
# every visit.
DOCS_CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "worker-src 'self' blob:",
        "connect-src 'self'",
    ]
)


def own_assets_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """``view`` with a Content Security Policy that keeps the browser on the portal's own files."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response["Content-Security-Policy"] = DOCS_CONTENT_SECURITY_POLICY
        return response

    return wrapped
