"""``manage.py role_revoke USER ROLE --as ADMIN``: take one of the portal's own roles from a portal
account through ``Portal::RoleRevoke``, audited."""

from __future__ import annotations

from portal.management.commands import role_grant
from portal.roles import PORTAL_ROLES


class Command(role_grant.Command):
    help = (
        "Take one of the portal's own roles ("
        + ", ".join(PORTAL_ROLES)
        + ") from a portal account through Portal::RoleRevoke, as a DomainAdmins account; audited."
    )
    procedure = "Portal::RoleRevoke"
    changed_text = "{user} no longer holds {role}."
    unchanged_text = "{user} did not hold {role}; nothing changed."
