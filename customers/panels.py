"""What provisioning adds to the shared pages: the tree's counts and the caller's organizations or
users on the home page, its menu entries, and the pages of organizations and users."""

from __future__ import annotations

from django.conf import settings

from hosting.selectors import organization_list, user_list
from portal.contributions import (
    Counter,
    MenuEntry,
    Panel,
    counter_register,
    dashboard_panel_register,
    menu_entry_register,
    object_page_register,
)
from portal.directory import default_gateway, dn_depth_below
from portal.engine import CUSTOMER_ADMINISTRATORS, DOMAIN_ADMINS, ORG_CREATORS, Caller
from portal.navigation import object_url

ORGANIZATION_FILTER = "(&(objectClass=organizationalUnit)(objectClass=hostingOrganization))"
USER_FILTER = "(objectClass=inetOrgPerson)"


def tree_panel(request, caller: Caller, _obj) -> dict | None:
    """Staff see the resellers, a reseller its customers, a customer's administrator its users."""
    hosting_root = settings.DIRECTORY["HOSTING_ROOT"]
    if DOMAIN_ADMINS in caller.roles:
        return {
            "resellers": [
                (o, object_url(o.entry))
                for o in organization_list(caller)
                if dn_depth_below(o.entry.dn, hosting_root) == 1
            ]
        }
    if caller.has_role(ORG_CREATORS):
        return {
            "customers": [
                (o, object_url(o.entry))
                for o in organization_list(caller)
                if dn_depth_below(o.entry.dn, hosting_root) == 2
            ]
        }
    if caller.has_role(CUSTOMER_ADMINISTRATORS):
        return {"users": [(u, object_url(u.entry)) for u in user_list(caller, parent=caller.scope_dn)]}
    return None


def register() -> None:
    """Register provisioning's contributions (from ``CustomersConfig.ready``)."""
    object_page_register("organization", "customers:organization")
    object_page_register("user", "customers:user")
    counter_register(
        Counter("Organizations", lambda c: default_gateway().count(c.read_scope_dn, ORGANIZATION_FILTER), 10)
    )
    counter_register(Counter("Users", lambda c: default_gateway().count(c.read_scope_dn, USER_FILTER), 20))
    dashboard_panel_register(Panel("tree", "customers/_dashboard_tree.html", tree_panel, order=10))
    admins = CUSTOMER_ADMINISTRATORS
    menu_entry_register(
        MenuEntry(
            "Organizations",
            "customers:organizations",
            "organizations",
            lambda c, _s: c.has_role(admins) and c.has_role(ORG_CREATORS),
            10,
        )
    )
    menu_entry_register(MenuEntry("Users", "customers:users", "users", lambda c, _s: c.has_role(admins), 20))
    menu_entry_register(
        MenuEntry(
            "Import users",
            "customers:import",
            "import",
            lambda c, _s: c.has_role(admins) and c.has_role(ORG_CREATORS),
            30,
        )
    )
