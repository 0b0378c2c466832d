"""What the apps add to the shared parts of the portal: the core asks, the apps answer.

The core (``portal/``) knows no app. Each app registers, in its ``AppConfig.ready``, what it adds:

- **dashboard counters and panels**: figures and sections of the home page;
- **object panels**: sections of an organization's or a user's page (an app may also take the
  page's form posts that belong to its panel);
- **menu entries**: the main navigation, each with the rule that says who sees it;
- **object pages**: where the page of an organization or a user is (one app provides them);
- **demo loaders**: the app's part of ``manage.py load_demo``, in order.

Search providers (``portal/search.py``) and engine hooks (``portal/engine/hooks.py``) follow the
same pattern.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import NoReverseMatch, reverse

from portal.engine import Caller


@dataclass(frozen=True)
class Counter:
    """A figure of the home page's counts: its label and how to count it in a caller's scope."""

    label: str
    count: Callable[[Caller], int]
    order: int = 100


@dataclass(frozen=True)
class Panel:
    """A section of a shared page.

    ``context(request, caller, obj)`` returns what the panel's template shows, or None when the
    panel has nothing to show for that caller and object (then it is left out). On an object page,
    ``post(request, caller, obj)`` takes the form posts meant for the panel: it returns None when a
    post is not its own, an ``HttpResponse`` when it handled the post (a redirect after success),
    or the panel's context with the refused form (the page is shown again, with status 400).
    """

    name: str
    template: str
    context: Callable[[HttpRequest, Caller, Any], dict | None]
    post: Callable[[HttpRequest, Caller, Any], HttpResponse | dict | None] | None = None
    order: int = 100


@dataclass(frozen=True)
class MenuEntry:
    """An entry of the main navigation: shown when ``shown(caller, is_staff)`` says so."""

    label: str
    url_name: str
    section: str
    shown: Callable[[Caller, bool], bool]
    order: int = 100


@dataclass(frozen=True)
class DemoLoader:
    """An app's part of the demo data: ``load(dc)`` writes it through the engine and answers a
    line saying what it made; ``order`` puts it after what it builds on."""

    name: str
    load: Callable[[str], str]
    order: int = 100


@dataclass(frozen=True)
class RenderedPanel:
    """A panel ready for its page's template: ``{% include panel.template %}``."""

    name: str
    template: str
    context: dict


_counters: list[Counter] = []
_dashboard_panels: list[Panel] = []
_object_panels: dict[str, list[Panel]] = {}
_menu: list[MenuEntry] = []
_demo_loaders: list[DemoLoader] = []
_object_pages: dict[str, str] = {}


def _add(items: list, item, *, key: str) -> None:
    """Add ``item`` unless one of the same name is there (``ready`` may run more than once)."""
    if not any(getattr(existing, key) == getattr(item, key) for existing in items):
        items.append(item)
        items.sort(key=lambda entry: entry.order)


def counter_register(counter: Counter) -> None:
    """Add a figure to the home page's counts."""
    _add(_counters, counter, key="label")


def dashboard_panel_register(panel: Panel) -> None:
    """Add a section to the home page (``context(request, caller, None)``)."""
    _add(_dashboard_panels, panel, key="name")


def object_panel_register(kind: str, panel: Panel) -> None:
    """Add a section to the page of every object of ``kind`` (``organization`` or ``user``)."""
    _add(_object_panels.setdefault(kind, []), panel, key="name")


def menu_entry_register(entry: MenuEntry) -> None:
    """Add an entry to the main navigation."""
    _add(_menu, entry, key="url_name")


def demo_loader_register(loader: DemoLoader) -> None:
    """Add an app's part of the demo data."""
    _add(_demo_loaders, loader, key="name")


def object_page_register(kind: str, url_name: str) -> None:
    """Name the URL (taking the object's GUID) of the page of objects of ``kind``."""
    _object_pages[kind] = url_name


# --- what the core asks ----------------------------------------------------------------------


def counts(caller: Caller) -> dict[str, int]:
    """The home page's figures for ``caller``, in order."""
    return {counter.label: counter.count(caller) for counter in _counters}


def dashboard_panels(request: HttpRequest, caller: Caller) -> list[RenderedPanel]:
    """The home page's sections that have something to show for ``caller``."""
    return _rendered(_dashboard_panels, request, caller, None)


def object_panels(request: HttpRequest, caller: Caller, kind: str, obj: Any) -> list[RenderedPanel]:
    """The sections of ``obj``'s page that have something to show for ``caller``."""
    return _rendered(_object_panels.get(kind, []), request, caller, obj)


def object_panels_post(
    request: HttpRequest, caller: Caller, kind: str, obj: Any
) -> tuple[HttpResponse | None, list[RenderedPanel]]:
    """Hand a post on ``obj``'s page to the panel it belongs to.

    Returns the panel's response when it handled the post, else the page's panels, the refused
    panel's own context in its place (None and the panels as they are when no panel took it).
    """
    refused: dict[str, dict] = {}
    for panel in _object_panels.get(kind, []):
        if panel.post is None:
            continue
        answer = panel.post(request, caller, obj)
        if isinstance(answer, HttpResponse):
            return answer, []
        if answer is not None:
            refused[panel.name] = answer
            break
    return None, _rendered(_object_panels.get(kind, []), request, caller, obj, refused)


def _rendered(
    panels: list[Panel], request: HttpRequest, caller: Caller, obj: Any, given: dict | None = None
) -> list[RenderedPanel]:
    out = []
    for panel in panels:
        context = (given or {}).get(panel.name) or panel.context(request, caller, obj)
        if context is not None:
            out.append(RenderedPanel(panel.name, panel.template, context))
    return out


def menu_entries(caller: Caller, *, is_staff: bool) -> list[MenuEntry]:
    """The navigation entries ``caller`` sees, in order."""
    return [entry for entry in _menu if entry.shown(caller, is_staff)]


def demo_loaders() -> list[DemoLoader]:
    """Every app's part of the demo data, in order."""
    return list(_demo_loaders)


def object_url(entry) -> str | None:
    """The page of an organization or user entry (None where no app offers one)."""
    name = _object_pages.get(entry.kind)
    if name is None or entry.guid is None:
        return None
    try:
        return reverse(name, args=[entry.guid])
    except NoReverseMatch:
        return None
