"""``Managed Active Directory::``: organizations and users of the hosting tree, created and deleted.

What these procedures write is what the prerequisite checks of ``customers/hosting.py`` read: an
organization carries ``hostingOrganization`` with its ``hostingOrganizationType``, every created
object carries ``hostingProcessedBy`` naming the procedures that made it (seed 000's list).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import ProtectedError

from hosting import tree as hosting
from hosting.models import CustomerRecord
from hosting.policy import mail_check, name_check, password_check, user_principal_name_check
from hosting.tree import (
    CUSTOMER,
    RESELLER,
    USER_CLASSES,
    entry_require,
    processed_marks,
    user_names_free,
    user_organization_check,
)
from portal.directory import (
    ORGANIZATION_PRESCRIPTION,
    USER_PRESCRIPTION,
    DirectorySession,
    Entry,
    dn_child,
    dn_is_within,
    dn_key,
    dn_normalize,
    dn_to_path,
    filter_escape,
    guid_braced,
    password_attributes,
)
from portal.engine import (
    CUSTOMER_ADMINISTRATORS,
    DOMAIN_ADMINS,
    ORG_CREATORS,
    PREFERRED_DOMAIN_CONTROLLER,
    Arg,
    CallContext,
    Caller,
    Security,
    procedure,
    require_role,
)
from portal.engine.hooks import hook_run
from portal.errors import AccessDenied, Conflict, InvalidArgument, PrerequisiteFailed

ORGANIZATION_TYPES = (RESELLER, CUSTOMER)

ORGANIZATION_ARGS = (
    Arg(
        "parentPath",
        "path",
        required=True,
        description="LDAP path of the parent: the hosting root for a reseller, a reseller for a customer.",
    ),
    Arg("name", required=True, max_length=64, description="The organization's name (its OU)."),
    Arg("description", max_length=1024, description="(optional) What the organization is."),
    PREFERRED_DOMAIN_CONTROLLER,
)
USER_ARGS = (
    Arg("organization", "path", required=True, description="LDAP path of the user's organization."),
    Arg("name", required=True, max_length=64, description="The user's name (its CN) and logon name (uid)."),
    Arg("userPrincipalName", required=True, max_length=256, description="Logon name name@domain."),
    Arg("password", required=True, secret=True, max_length=128, description="The initial password."),
    Arg("givenName", max_length=64),
    Arg("surname", max_length=64),
    Arg("displayName", max_length=256),
    Arg("mail", max_length=256),
    PREFERRED_DOMAIN_CONTROLLER,
)


def _resellers_need_domain_admins(identity: Caller, args: dict) -> None:
    if args.get("type") == RESELLER:
        require_role(identity, DOMAIN_ADMINS, why="only the provider's staff create resellers")


def _not_own_organization(identity: Caller, args: dict) -> None:
    # An organization's administrators reach it, but may not delete the organization they sit in.
    if identity.scope_dn and dn_key(args["path"]) == dn_key(identity.scope_dn):
        raise AccessDenied(
            f"{identity.username} may not delete {dn_to_path(args['path'])}: it is the organization "
            "of its own account.",
            field="path",
        )


def _not_self(identity: Caller, args: dict) -> None:
    if identity.dn and dn_key(args["path"]) == dn_key(identity.dn):
        raise AccessDenied(f"{identity.username} may not delete its own account.", field="path")


@procedure(
    "Managed Active Directory::CreateOrganization",
    args=(
        *ORGANIZATION_ARGS[:2],
        Arg("type", required=True, choices=ORGANIZATION_TYPES, description="Reseller or Customer."),
        *ORGANIZATION_ARGS[2:],
    ),
    security=Security(
        roles=(ORG_CREATORS,),
        check=_resellers_need_domain_admins,
        description="OrgCreators inside their scope (resellers: DomainAdmins only).",
    ),
)
def organization_create(
    ctx: CallContext,
    *,
    parentPath: str,
    name: str,
    type: str,
    description: str | None,
    preferredDomainController: str,
) -> dict:
    """Create an organization (an OU) of the hosting tree, compliant with the hosting prescription,
    with its administrators group.

    A Reseller is created directly below the hosting root, a Customer directly below a compliant
    Reseller; a name already used there is refused. Answers the input with the new ``path`` and
    ``GUID``.
    """
    name = name_check(name)
    org_type = hosting.level_type(ctx.directory, parentPath)
    hosting.organization_require_type(org_type, type, parentPath)
    dn = dn_child("OU", name, parentPath)
    if ctx.directory.get(dn) is not None:
        raise Conflict(
            f"An organization named {name} already exists in {dn_to_path(parentPath)}.", field="name"
        )
    marks = processed_marks(ctx.lineage, ORGANIZATION_PRESCRIPTION)
    ctx.directory.add(
        dn,
        {
            "objectClass": list(hosting.ORGANIZATION_CLASSES),
            "ou": name,
            "description": description or None,
            "hostingOrganizationType": type,
            "hostingProcessedBy": marks,
        },
    )
    hosting.admin_group_ensure(ctx.directory, dn, type, marks)
    return _created(ctx, dn)


def _created(ctx: CallContext, dn: str) -> dict:
    entry = entry_require(ctx.directory, dn)
    out = ctx.mirror()
    out.pop("password", None)  # a password never travels back
    out["path"] = dn_to_path(dn_normalize(entry.dn))
    out["GUID"] = guid_braced(entry.guid) if entry.guid else ""
    return out


@procedure(
    "Managed Active Directory::CreateUser",
    args=USER_ARGS,
    security=Security(
        roles=(ORG_CREATORS, CUSTOMER_ADMINISTRATORS),
        description="OrgCreators inside their scope; CustomerAdministrators in their own organization.",
    ),
)
def user_create(
    ctx: CallContext,
    *,
    organization: str,
    name: str,
    userPrincipalName: str,
    password: str,
    givenName: str | None,
    surname: str | None,
    displayName: str | None,
    mail: str | None,
    preferredDomainController: str,
) -> dict:
    """Create a user of the hosting tree that logs in with its name or its userPrincipalName.

    The user (inetOrgPerson + hostingUser, ``uid`` = its name) is compliant with the hosting
    prescription; its password must meet the password policy (docs/provisioning.md) and is stored
    hashed by the directory, never in the portal. Name and userPrincipalName must be free in the
    whole hosting tree. Answers the input, without the password, with the new ``path`` and
    ``GUID``.
    """
    name = name_check(name)
    upn = user_principal_name_check(userPrincipalName)
    mail = mail_check(mail)
    password_check(password, name=name, user_principal_name=upn)
    org = user_organization_check(ctx.directory, organization)
    dn = dn_child("CN", name, org.dn)
    user_names_free(ctx.directory, [name, upn])
    attrs = {
        "objectClass": list(USER_CLASSES),
        "cn": name,
        "sn": surname or name,
        "givenName": givenName or None,
        "displayName": displayName or name,
        "uid": name,
        "userPrincipalName": upn,
        "mail": mail,
        "hostingProcessedBy": processed_marks(ctx.lineage, USER_PRESCRIPTION),
        **password_attributes(password, ctx.directory.flavor),
    }
    try:
        ctx.directory.add(dn, attrs)
    except Conflict as exc:
        raise Conflict(
            f"An object named {name} already exists in {dn_to_path(org.dn)}.", field="name"
        ) from exc
    return _created(ctx, dn)


def _memberships_remove(
    directory: DirectorySession, dns: list[str], *, keep_below: str | None = None
) -> None:
    """Take users out of the groups that list them (OpenLDAP keeps stale members; Active
    Directory does this by itself). Groups below ``keep_below`` are left: they go with it."""
    if not dns:
        return
    root = hosting.hosting_root()
    if len(dns) <= 20:
        terms = "".join(f"(member={filter_escape(dn)})" for dn in dns)
        groups = directory.search(root, f"(&(objectClass=hostingGroup)(|{terms}))")
    else:  # many users: one pass over the groups rather than one search per user
        groups = directory.search(root, "(&(objectClass=hostingGroup)(member=*))")
    gone = {dn_key(dn) for dn in dns}
    for group in groups:
        if keep_below is not None and dn_is_within(group.dn, keep_below):
            continue
        members = group.attrs.get("member", [])
        kept = [member for member in members if dn_key(member) not in gone]
        if len(kept) != len(members):
            directory.modify(group.dn, {"member": kept})


def _users_deleted_announce(ctx: CallContext, entries: list) -> None:
    """Tell the other apps (engine hooks, ``users.deleted``) which users are gone, so that they end
    what the users held; their steps are nested calls of this one, undone with it."""
    guids = [str(entry.guid) for entry in entries if entry.guid]
    if guids:
        hook_run(ctx, "users.deleted", {"users": guids})


def _accounts_deactivate(dns: list[str], *, below: str | None = None) -> None:
    """Portal accounts of deleted directory users can no longer log in, not even through a
    remembered Basic credential. The DNs kept on accounts are the server's spelling, as are
    these; letter case is ignored, and the candidates are checked again with :func:`dn_key`."""
    if not dns:
        return
    users = get_user_model().objects.filter(is_active=True)
    if below is not None:
        users = users.filter(directory_dn__iendswith="," + below)
    else:
        users = users.filter(directory_dn__iexact=dns[0]) if len(dns) == 1 else users.exclude(directory_dn="")
    keys = {dn_key(dn) for dn in dns}
    stale = [user.pk for user in users.only("pk", "directory_dn") if dn_key(user.directory_dn) in keys]
    if stale:
        get_user_model().objects.filter(pk__in=stale).update(is_active=False)


def _records_delete(entries: list[Entry]) -> int:
    """Delete the Plans database records of deleted entries, but for those other records still
    hold (a subscription, an SMTP domain, a billing account): they stay as the records of orphans,
    found by GUID (docs/email.md)."""
    records = CustomerRecord.objects.filter(guid__in=[entry.guid for entry in entries if entry.guid])
    try:
        with transaction.atomic():
            deleted, _ = records.delete()
    except ProtectedError as exc:
        held = {
            getattr(holder, field.attname)
            for holder in exc.protected_objects
            for field in holder._meta.concrete_fields
            if field.is_relation and field.related_model is CustomerRecord
        }
        deleted, _ = records.exclude(pk__in=held).delete()
    return deleted


@procedure(
    "Managed Active Directory::DeleteUser",
    args=(
        Arg("path", "path", required=True, description="LDAP path of the user."),
        PREFERRED_DOMAIN_CONTROLLER,
    ),
    security=Security(
        roles=(ORG_CREATORS, CUSTOMER_ADMINISTRATORS),
        check=_not_self,
        description="OrgCreators inside their scope; CustomerAdministrators in their own organization.",
    ),
)
def user_delete(ctx: CallContext, *, path: str, preferredDomainController: str) -> dict:
    """Delete a user: its entry, its group memberships, its Plans database record; its portal
    account can no longer log in. Undone (entry put back with its GUID) if a later step fails."""
    entry = entry_require(ctx.directory, path)
    if entry.kind != "user":
        raise InvalidArgument(f"<path> {dn_to_path(path)} is not a user.", field="path")
    _memberships_remove(ctx.directory, [entry.dn])
    ctx.directory.delete(entry.dn)
    _records_delete([entry])
    _users_deleted_announce(ctx, [entry])
    _accounts_deactivate([entry.dn])
    return ctx.mirror()


@procedure(
    "Managed Active Directory::DeleteOrganization",
    args=(
        Arg("path", "path", required=True, description="LDAP path of the organization."),
        Arg("recursive", "bool", description="(optional) 1 deletes what the organization holds too."),
        PREFERRED_DOMAIN_CONTROLLER,
    ),
    security=Security(
        roles=(ORG_CREATORS,),
        check=_not_own_organization,
        description="OrgCreators inside their scope, never their own organization.",
    ),
)
def organization_delete(
    ctx: CallContext, *, path: str, recursive: bool | None, preferredDomainController: str
) -> dict:
    """Delete an organization with its groups; refused while it holds users or organizations
    unless ``recursive`` is 1, which deletes them too (leaves first). Their Plans database records
    go with them. Undone, entries put back with their GUIDs, if a later step fails."""
    entry = entry_require(ctx.directory, path)
    if entry.kind != "organization" or hosting.is_hosting_root(entry.dn):
        raise InvalidArgument(
            f"<path> {dn_to_path(path)} is not an organization of the hosting tree.", field="path"
        )
    below = ctx.directory.search(entry.dn, "(objectClass=*)")
    held = [
        item
        for item in below
        if item.kind in ("user", "organization") and dn_key(item.dn) != dn_key(entry.dn)
    ]
    if held and not recursive:
        users = sum(1 for item in held if item.kind == "user")
        raise PrerequisiteFailed(
            f"The organization {dn_to_path(entry.dn)} still holds {users} user(s) and "
            f"{len(held) - users} organization(s); delete them first or give <recursive>1</recursive>.",
            field="path",
        )
    users = [item.dn for item in held if item.kind == "user"]
    _memberships_remove(ctx.directory, users, keep_below=entry.dn)
    deleted = ctx.directory.delete_subtree(entry.dn)
    _records_delete(deleted)
    _users_deleted_announce(ctx, [item for item in deleted if item.kind == "user"])
    _accounts_deactivate(users, below=entry.dn)
    return ctx.mirror()
