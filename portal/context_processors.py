"""Template context every page gets."""

from __future__ import annotations

from portal.directory import dn_rdn_value
from portal.engine import Caller
from portal.navigation import navigation_items


def caller(request) -> dict:
    """The logged-in caller (role and scope), its navigation with the current item marked, and
    the name of its scope; nothing for anonymous visitors."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    who = Caller.from_user(user)
    items = navigation_items(who, is_staff=user.is_staff)
    current = max(
        (item for item in items if item.url != "/" and request.path.startswith(item.url)),
        key=lambda item: len(item.url),
        default=items[0] if request.path == "/" and items else None,
    )
    return {
        "caller": who,
        "nav_items": items,
        "nav_current": current,
        "scope_name": dn_rdn_value(who.scope_dn) if who.scope_dn else "nothing",
    }
