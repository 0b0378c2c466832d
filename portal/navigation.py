"""Where a page sits: breadcrumbs that follow the hosting tree, and the main navigation by role.

Breadcrumbs go from the top of the caller's scope down to the object (provider > reseller >
customer > user); nothing above the scope is shown, so a reseller's trail starts at the reseller.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.urls import NoReverseMatch, reverse

from portal import contributions
from portal.directory import default_gateway, dn_depth_below, dn_is_within, dn_parent
from portal.engine import Caller

LEVELS = {0: "Provider", 1: "Reseller", 2: "Customer"}


@dataclass(frozen=True)
class Crumb:
    """One step of a trail: its label, where it links (None for the page itself), what it is."""

    label: str
    url: str | None = None
    kind: str = ""


def object_url(entry) -> str | None:
    """The page of an organization or user entry (None where it has none)."""
    return contributions.object_url(entry)


def tree_crumbs(caller: Caller, dn: str, *, extra: list[Crumb] | None = None) -> list[Crumb]:
    """The trail from the top of ``caller``'s scope down to the entry at ``dn`` (the last step
    unlinked unless ``extra`` steps follow it)."""
    hosting_root = settings.DIRECTORY["HOSTING_ROOT"]
    if caller.scope_dn is None or not dn_is_within(dn, hosting_root):
        return [Crumb("Home", reverse("home")), *(extra or [])]
    chain = []
    current = dn
    while dn_is_within(current, caller.scope_dn):
        chain.append(current)
        if dn_depth_below(current, hosting_root) == 0:
            break
        current = dn_parent(current)
    gateway = default_gateway()
    crumbs = [Crumb("Home", reverse("home"))]
    for index, step in enumerate(reversed(chain)):
        entry = gateway.get(step)
        if entry is None:
            continue
        kind = (
            "User" if entry.kind == "user" else LEVELS.get(dn_depth_below(step, hosting_root), "Organization")
        )
        last = index == len(chain) - 1 and not extra
        crumbs.append(Crumb(entry.name, None if last else object_url(entry), kind))
    return crumbs + list(extra or [])


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    section: str


def _url(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def navigation_items(caller: Caller, *, is_staff: bool) -> list[NavItem]:
    """The main navigation for the caller's role: only what it may use (the apps' entries between
    Home and the administration)."""
    items: list[tuple[str, str, str]] = [("Home", "home", "home")]
    items += [(e.label, e.url_name, e.section) for e in contributions.menu_entries(caller, is_staff=is_staff)]
    if is_staff:
        items.append(("Administration", "admin:index", "admin"))
    items.append(("API", "api:docs", "api"))
    return [NavItem(label, url, section) for label, name, section in items if (url := _url(name))]
