"""What the core adds to the shared pages itself: the current login lockouts on staff's home page."""

from __future__ import annotations

from django.conf import settings

from portal.contributions import Panel, dashboard_panel_register
from portal.engine import DOMAIN_ADMINS, Caller
from portal.lockouts import lockout_list


def lockouts_panel(request, caller: Caller, _obj) -> dict | None:
    """The accounts and client addresses locked out of logging in now, with their unlock action:
    for DomainAdmins only (the lockouts name accounts and addresses from anywhere)."""
    if not caller.has_role(DOMAIN_ADMINS):
        return None
    return {
        "lockouts": lockout_list(),
        "limit": settings.AXES_FAILURE_LIMIT,
    }


def register() -> None:
    """Register the core's own contributions (from ``PortalConfig.ready``)."""
    dashboard_panel_register(Panel("lockouts", "portal/_lockouts.html", lockouts_panel, order=50))
