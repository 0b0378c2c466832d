"""Reads of the provisioning pages beyond the hosting layer's lookups, scoped like them."""

from __future__ import annotations

from hosting.selectors import DirectoryObject
from hosting.tree import ADMIN_GROUPS
from portal.directory import default_gateway, dn_child, dn_normalize


def administrators_group(organization: DirectoryObject) -> tuple[str, list[str]] | None:
    """The DN of an organization's administrators group and its member DNs, or None when the
    organization has none (an organization that is not of the hosting prescription)."""
    name = ADMIN_GROUPS.get(organization.organization_type)
    if name is None:
        return None
    entry = default_gateway().get(dn_child("CN", name, organization.entry.dn))
    if entry is None or entry.kind != "group":
        return None
    return dn_normalize(entry.dn), list(entry.attrs.get("member", []))
