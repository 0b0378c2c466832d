"""Reads of the Plans database and of the hosting tree, already filtered by the caller's scope.

Directory reads search below the caller's scope only (the organization holding its own entry;
the whole hosting tree for DomainAdmins), so a reseller never sees another reseller's objects.
Values put into filters are escaped.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from hosting.models import CustomerRecord
from portal.directory import (
    Entry,
    default_gateway,
    dn_is_within,
    dn_key,
    dn_normalize,
    dn_parent,
    dn_to_path,
    filter_escape,
    guid_braced,
    guid_parse,
    path_to_dn,
)
from portal.directory.dn import dn_rdns
from portal.engine import Caller
from portal.errors import InvalidArgument
from portal.models import RestrictedQuerySet

ORGANIZATION_FILTER = "(objectClass=organizationalUnit)"
USER_FILTER = "(|(objectClass=inetOrgPerson)(objectClass=user))"


def customer_record_list(caller: Caller, *, path: str | None = None) -> RestrictedQuerySet:
    """Customer records inside ``caller``'s scope, optionally those of one path (any letter case)."""
    records = CustomerRecord.objects.restrict(caller)
    if path:
        records = records.filter(dn_key=dn_key(path_to_dn(path)))
    return records


@dataclass(frozen=True)
class DirectoryObject:
    """An organization or user of the hosting tree as the pages and the API show it."""

    entry: Entry

    @property
    def guid(self) -> str:
        return guid_braced(self.entry.guid) if self.entry.guid else ""

    @property
    def dn(self) -> str:
        return dn_normalize(self.entry.dn)

    @property
    def path(self) -> str:
        return dn_to_path(self.dn)

    @property
    def parent_path(self) -> str:
        return dn_to_path(dn_normalize(dn_parent(self.entry.dn)))

    @property
    def name(self) -> str:
        return self.entry.name

    @property
    def kind(self) -> str:
        return self.entry.kind

    @property
    def organization_type(self) -> str:
        return self.entry.organization_type

    @property
    def compliant(self) -> bool:
        return self.entry.compliant

    @property
    def processed_by(self) -> list[str]:
        return self.entry.processed_by

    def first(self, name: str) -> str:
        return self.entry.first(name) or ""


def _parent_dn(caller: Caller, parent: str) -> str | None:
    """The DN of the ``parent`` filter (an ``LDAP://`` path or a GUID), None when it is outside
    the caller's scope or unknown (the list is then empty, as if nothing were there)."""
    text = parent.strip()
    if text.upper().startswith("LDAP://") or "=" in text:
        dn = path_to_dn(text, argument="parent")
    else:
        found = default_gateway().find_guid(guid_parse(text, argument="parent"))
        if found is None:
            return None
        dn = found.dn
    return dn if caller.reads(dn) else None


def _search(caller: Caller, kind_filter: str, *, parent: str | None, name: str | None, name_attr: str):
    base, scope = caller.read_scope_dn, "subtree"
    if base is None:  # no role: its own entry only (docs/security.md, "Who reads what")
        if caller.dn is None or parent:
            return []
        base, scope = caller.dn, "base"
    if parent:
        base = _parent_dn(caller, parent)
        if base is None:
            return []
        scope = "onelevel"
    terms = kind_filter
    if name:
        if len(name) > 256:
            raise InvalidArgument("The name filter is longer than 256 characters.", field="name")
        terms = f"(&{kind_filter}({name_attr}={filter_escape(name)}))"
    found = default_gateway().search(base, terms, scope=scope)
    found = [entry for entry in found if caller.reads(entry.dn)]
    found.sort(key=lambda entry: _sort_key(entry.dn))
    return [DirectoryObject(entry) for entry in found]


def _sort_key(dn: str) -> tuple:
    # parents before children, then by name: the order of the tree
    return tuple(reversed(dn_rdns(dn)))


def organization_list(
    caller: Caller, *, parent: str | None = None, name: str | None = None
) -> list[DirectoryObject]:
    """The organizations (OUs, compliant or not) inside the caller's scope; ``parent`` keeps those
    directly in one organization (path or GUID), ``name`` those of that name (letter case
    ignored)."""
    return _search(caller, ORGANIZATION_FILTER, parent=parent, name=name, name_attr="ou")


def user_list(caller: Caller, *, parent: str | None = None, name: str | None = None) -> list[DirectoryObject]:
    """The users inside the caller's scope; ``parent`` keeps those of one organization (path or
    GUID), ``name`` those of that name (letter case ignored)."""
    return _search(caller, USER_FILTER, parent=parent, name=name, name_attr="cn")


def directory_object_get(caller: Caller, guid: uuid.UUID | str, *, kind: str) -> DirectoryObject | None:
    """The organization or user (``kind``) with this GUID, if it lies inside the caller's scope."""
    value = guid if isinstance(guid, uuid.UUID) else guid_parse(str(guid))
    entry = default_gateway().find_guid(value)
    if entry is None or entry.kind != kind or not caller.reads(entry.dn):
        return None
    if not dn_is_within(entry.dn, default_gateway().hosting_root):
        return None
    return DirectoryObject(entry)


def directory_object_at(caller: Caller, dn: str, *, kind: str) -> DirectoryObject | None:
    """The organization or user (``kind``) at ``dn``, if it lies inside the caller's scope."""
    if not caller.reads(dn):
        return None
    entry = default_gateway().get(dn)
    if entry is None or entry.kind != kind:
        return None
    return DirectoryObject(entry)
