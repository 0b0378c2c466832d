"""The home page, search, the "not found" page and the health check."""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from portal.dashboard import dashboard
from portal.directory import dn_to_path
from portal.engine import Caller
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
    """Liveness for process supervisors: answers without touching the directory. With
    ``?detail=1`` it also says how many directory batches wait for repair, and since when (the
    journal, not the directory, is read)."""
    if request.GET.get("detail") == "1":
        from portal.repair import health_detail

        return JsonResponse({"status": "ok", **health_detail()})
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
