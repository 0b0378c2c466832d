"""``Managed Active Directory::GroupAdd`` and ``::GroupRemove``: who administers an organization.

An organization's administrators group (``CN=OrgCreators`` of a reseller, ``CN=CustomerAdministrators``
of a customer) gives its members that role, scoped to the organization their entry sits in
(DESIGN.md "Roles"). These procedures add and remove members, so a reseller can name the first
administrator of a customer it has created, and a customer administrator can name another.

Rules, beyond the engine's scope check of both paths:

- the group is a group of the hosting tree, and the member a user sitting directly in the group's
  organization (a role applies where the entry sits, so an outsider in the group would gain
  nothing but confusion);
- a group named like a role grants it, so the caller must hold that role itself (a customer
  administrator cannot make anyone an OrgCreator);
- nobody takes their own account out of a group (that would lock them out mid-session).

Adding a member that is already there, or removing one that is not, changes nothing and is not an
error, so an integration can repeat a call safely. The member's portal account gains or loses the
role in the same transaction, so its page sessions and remembered machine-door credentials see the
change at their next request.
"""

from __future__ import annotations

from portal.accounts import account_roles_set
from portal.directory import DirectorySession, Entry, dn_key, dn_parent, dn_rdn_value, dn_to_path
from portal.engine import (
    CUSTOMER_ADMINISTRATORS,
    ORG_CREATORS,
    PREFERRED_DOMAIN_CONTROLLER_OPTIONAL,
    ROLES,
    Arg,
    CallContext,
    Caller,
    Security,
    procedure,
)
from portal.errors import AccessDenied, InvalidArgument, NotFound

GROUP = Arg("group", "path", required=True, description="LDAP path of the group.")
MEMBER_ADMINS = (ORG_CREATORS, CUSTOMER_ADMINISTRATORS)


def _group_and_user(directory: DirectorySession, group: str, user: str, argument: str) -> tuple[Entry, Entry]:
    group_entry = directory.get(group)
    if group_entry is None:
        raise NotFound(f"<group> {dn_to_path(group)} does not exist.", field="group")
    if group_entry.kind != "group":
        raise InvalidArgument(f"<group> {dn_to_path(group)} is not a group.", field="group")
    user_entry = directory.get(user)
    if user_entry is None:
        raise NotFound(f"<{argument}> {dn_to_path(user)} does not exist.", field=argument)
    if user_entry.kind != "user":
        raise InvalidArgument(f"<{argument}> {dn_to_path(user)} is not a user.", field=argument)
    if dn_key(dn_parent(user_entry.dn)) != dn_key(dn_parent(group_entry.dn)):
        raise InvalidArgument(
            f"<{argument}> {dn_to_path(user_entry.dn)} is not a user of the group's organization "
            f"{dn_to_path(dn_parent(group_entry.dn))}.",
            field=argument,
        )
    return group_entry, user_entry


def _role_held(identity: Caller, group_dn: str) -> None:
    name = dn_rdn_value(group_dn)
    role = next((role for role in ROLES if role.lower() == name.lower()), None)
    if role is not None and not identity.has_role(role):
        raise AccessDenied(
            f"{identity.username} may not change the members of {name}: it does not hold that role itself.",
            field="group",
        )


def _not_self(identity: Caller, args: dict) -> None:
    if identity.dn and dn_key(args["member"]) == dn_key(identity.dn):
        raise AccessDenied(
            f"{identity.username} may not take its own account out of a group.", field="member"
        )


def _role_mirror(group_dn: str, user_dn: str, *, held: bool) -> None:
    name = dn_rdn_value(group_dn)
    role = next((role for role in ROLES if role.lower() == name.lower()), None)
    if role is not None:
        account_roles_set(user_dn, role, held=held)


def _members(entry: Entry) -> list[str]:
    return list(entry.attrs.get("member", []))


@procedure(
    "Managed Active Directory::GroupAdd",
    args=(
        GROUP,
        Arg("newMember", "path", required=True, description="LDAP path of the user to add."),
        PREFERRED_DOMAIN_CONTROLLER_OPTIONAL,
    ),
    security=Security(
        roles=MEMBER_ADMINS,
        description="OrgCreators inside their scope; CustomerAdministrators in their own organization; "
        "only into a role the caller holds itself.",
    ),
)
def group_add(ctx: CallContext, *, group: str, newMember: str, preferredDomainController: str | None) -> dict:
    """Add a user of the group's organization to the group (an organization's administrators
    group makes it an administrator). Already a member: nothing changes. Answers the input."""
    group_entry, user_entry = _group_and_user(ctx.directory, group, newMember, "newMember")
    _role_held(ctx.identity, group_entry.dn)
    members = _members(group_entry)
    if all(dn_key(member) != dn_key(user_entry.dn) for member in members):
        ctx.directory.modify(group_entry.dn, {"member": [*members, user_entry.dn]})
    _role_mirror(group_entry.dn, user_entry.dn, held=True)
    return ctx.mirror()


@procedure(
    "Managed Active Directory::GroupRemove",
    args=(
        GROUP,
        Arg("member", "path", required=True, description="LDAP path of the user to remove."),
        PREFERRED_DOMAIN_CONTROLLER_OPTIONAL,
    ),
    security=Security(
        roles=MEMBER_ADMINS,
        check=_not_self,
        description="OrgCreators inside their scope; CustomerAdministrators in their own organization; "
        "only from a role the caller holds itself, never its own account.",
    ),
)
def group_remove(ctx: CallContext, *, group: str, member: str, preferredDomainController: str | None) -> dict:
    """Take a user out of a group. Not a member: nothing changes. Answers the input."""
    group_entry, user_entry = _group_and_user(ctx.directory, group, member, "member")
    _role_held(ctx.identity, group_entry.dn)
    members = _members(group_entry)
    kept = [item for item in members if dn_key(item) != dn_key(user_entry.dn)]
    if len(kept) != len(members):
        ctx.directory.modify(group_entry.dn, {"member": kept})
    _role_mirror(group_entry.dn, user_entry.dn, held=False)
    return ctx.mirror()


def group_members(directory: DirectorySession, group_dn: str) -> list[str]:
    """The member DNs of a group (empty when the group does not exist)."""
    entry = directory.get(group_dn)
    return [] if entry is None else _members(entry)
