"""One prefix scheme for every app's REST resources: ``/api/v1/<prefix>/…``.

Each app (and the core, for the procedures' door) declares its resources in its ``api/urls.py``
the same way::

    API_PREFIX = "email"                # its resources answer under /api/v1/email/
    API_PREFIX_BEFORE_V1 = ""           # where some answered before version 1 (/api/...)
    API_RESOURCES_BEFORE_V1 = ("subscriptions", "plans", "smtp-domains")  # those (never extended)
    urlpatterns = router.urls

and ``config/urls.py`` hands the list of those modules to :func:`api_urls`. An app without paths
from before version 1 leaves the last two out. The paths from before version 1 stay as aliases for
the integrations written against them: the same views, the same
answers (a ``POST`` is run, never redirected), with two headers more on every answer —
``Deprecation`` (RFC 9745: since when) and ``Link`` to the path that replaces it
(``rel="successor-version"``) and to the API's documentation (``rel="deprecation"``). The OpenAPI
schema marks their operations ``deprecated`` (``portal.api.schema.version_paths``).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable
from importlib import import_module

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, include, path, reverse

#: the one version of the REST door so far; its paths start with this
V1 = "/api/v1/"
#: when the paths from before version 1 were deprecated (the ``Deprecation`` header's date)
DEPRECATED_SINCE = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
DEPRECATION = f"@{int(DEPRECATED_SINCE.timestamp())}"


#: (old path prefix, new path prefix) of every resource with a deprecated alias, filled by api_urls
_successors: dict[str, str] = {}


def successor(url: str) -> str:
    """The version 1 path that replaces ``url`` (a deprecated alias; ``url`` itself otherwise)."""
    for before in sorted(_successors, key=len, reverse=True):
        if url.startswith(before):
            return _successors[before] + url[len(before) :]
    return url


def is_deprecated_path(url: str) -> bool:
    """Whether ``url`` (a path under ``/api/``) is one of the aliases from before version 1."""
    return url.startswith("/api/") and not url.startswith(V1)


def _deprecated(view: Callable[..., HttpResponse], before: str, now: str) -> Callable[..., HttpResponse]:
    """``view`` answering as it does, with the ``Deprecation`` and ``Link`` headers; ``before``
    and ``now`` are the old and the new prefix (``/api/billing/``, ``/api/v1/billing/``)."""

    @functools.wraps(view)  # keeps what DRF and drf-spectacular read (cls, actions, csrf_exempt)
    def answered(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = view(request, *args, **kwargs)
        script = request.path[: len(request.path) - len(request.path_info)]
        successor = script + now + request.path_info[len(before) :]
        response["Deprecation"] = DEPRECATION
        response["Link"] = (
            f'<{successor}>; rel="successor-version", <{reverse("api:redoc")}>; rel="deprecation"; '
            'type="text/html"'
        )
        return response

    return answered


def _aliases(patterns: Iterable, before: str, now: str, resources: Iterable[str]) -> list[URLPattern]:
    """The patterns of ``resources`` again, every view answering with the deprecation headers."""
    out: list[URLPattern] = []
    for pattern in patterns:
        if not isinstance(pattern, URLPattern):
            raise TypeError(f"an app's api/urls.py lists views only, not {pattern!r}")
        name = str(pattern.pattern).lstrip("^").split("/", 1)[0]
        if name not in resources:
            continue
        resource = name + "/"
        _successors[before + resource] = now + resource
        view = _deprecated(pattern.callback, before, now)
        out.append(URLPattern(pattern.pattern, view, pattern.default_args, pattern.name))
    return out


def api_urls(modules: Iterable[str]) -> list:
    """The REST door's URL patterns of every module in ``modules`` (each an app's ``api.urls``):
    ``v1/<API_PREFIX>/…`` (URL names ``api:v1:…``) and the aliases from before version 1
    (``api:deprecated:…``), to be included under ``api/``."""
    current: list = []
    aliases: list = []
    for name in modules:
        module = import_module(name)
        prefix, before = module.API_PREFIX, getattr(module, "API_PREFIX_BEFORE_V1", None)
        current.append(path(f"{prefix}/", include(module.urlpatterns)))
        if before is not None:
            resources = module.API_RESOURCES_BEFORE_V1
            old = _aliases(module.urlpatterns, f"/api/{before}", f"{V1}{prefix}/", resources)
            aliases.append(path(before, include(old)))
    return [path("v1/", include((current, "v1"))), path("", include((aliases, "deprecated")))]
