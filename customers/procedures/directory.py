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
from hosting.policy import name_check, password_check, user_principal_name_check
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
    dn_rdn_value,
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
    PREFERRED_DOMAIN_CONTROLLER_OPTIONAL,
    Arg,
    CallContext,
    Caller,
    Security,
    procedure,
    require_role,
    reserve,
)
from portal.engine.hooks import hook_run
from portal.errors import AccessDenied, Conflict, InvalidArgument, PrerequisiteFailed

ORGANIZATION_TYPES = (RESELLER, CUSTOMER)

#: ``policyName`` of ``CreateOrganization`` (lower case, as the page writes it) to the type.
ORGANIZATION_POLICIES = {"reseller": RESELLER, "customer": CUSTOMER}
#: ``policyName`` of ``CreateUser``: ``default`` puts a user in any organization.
USER_POLICIES = ("default", "hosting", "reseller", "customer")

# The page's ``properties`` are Active Directory property names; on OpenLDAP the same values go
# to the attribute that holds them (the project's schema adds AD's ``otherHomePhone``).
ORGANIZATION_PROPERTIES = {
    name.lower(): name
    for name in (
        "businessCategory",
        "facsimileTelephoneNumber",
        "l",
        "postalAddress",
        "postalCode",
        "st",
        "street",
        "telephoneNumber",
    )
}
USER_PROPERTIES = {
    name.lower(): name
    for name in (
        "employeeNumber",
        "employeeType",
        "facsimileTelephoneNumber",
        "homePhone",
        "l",
        "mail",
        "mobile",
        "otherHomePhone",
        "pager",
        "postalAddress",
        "postalCode",
        "st",
        "street",
        "telephoneNumber",
        "title",
    )
}

PROPERTIES = Arg(
    "properties",
    "struct",
    description='(optional) Directory properties: <property name="..."><value>...</value></property>, '
    "values repeatable.",
)
CONTAINER = Arg(
    "container",
    "path",
    required=True,
    description="LDAP path of the parent container: the hosting root for a reseller, a reseller "
    "for a customer.",
)
ORGANIZATION_ARGS = (
    Arg("name", required=True, max_length=64, description="The new organization's name (its OU)."),
    CONTAINER,
    Arg(
        "policyName",
        choices=tuple(ORGANIZATION_POLICIES),
        description="(optional) The organization type, reseller or customer; by default the one the "
        "container's level calls for.",
    ),
    Arg("description", max_length=1024, description="(optional) What the organization is."),
    PROPERTIES,
)
USER_NAME_ARGS = (
    Arg(
        "userPrincipalName",
        required=True,
        max_length=256,
        description="Logon name (typically user@SMTPDomain); also the user's name (its CN).",
    ),
    Arg(
        "sAMAccountName",
        max_length=20,
        description="(optional) Logon name of at most 20 characters; by default the part of the "
        "userPrincipalName before @.",
    ),
    Arg("givenName", max_length=64),
    Arg("sn", max_length=64, description="(optional) Surname."),
    Arg("middleName", max_length=64),
    Arg("initials", max_length=6),
    Arg("displayName", max_length=256),
    Arg("description", max_length=1024),
    PROPERTIES,
)
NEW_PASSWORD = Arg(
    "newPassword",
    secret=True,
    max_length=128,
    description='(optional) The initial password (send it as <newPassword do-not-log="1">); never '
    "written to any record and never answered.",
)
USER_ARGS = (
    Arg(
        "container",
        "path",
        required=True,
        description="LDAP path of the user's organization.",
    ),
    *USER_NAME_ARGS[:1],
    Arg(
        "policyName",
        choices=USER_POLICIES,
        description="(optional) default, hosting, reseller or customer: the container must be of "
        "that type unless it is default (the default).",
    ),
    *USER_NAME_ARGS[1:],
    NEW_PASSWORD,
)


def _resellers_need_domain_admins(identity: Caller, args: dict) -> None:
    if args.get("policyName") == "reseller" or hosting.is_hosting_root(args["container"]):
        require_role(identity, DOMAIN_ADMINS, why="only the provider's staff create resellers")


def _not_own_organization(identity: Caller, args: dict) -> None:
    # An organization's administrators reach it, but may not delete the organization they sit in.
    if identity.scope_dn and dn_key(args["org"]) == dn_key(identity.scope_dn):
        raise AccessDenied(
            f"{identity.username} may not delete {dn_to_path(args['org'])}: it is the organization "
            "of its own account.",
            field="org",
        )


def _not_self(identity: Caller, args: dict) -> None:
    if identity.dn and dn_key(args["user"]) == dn_key(identity.dn):
        raise AccessDenied(f"{identity.username} may not delete its own account.", field="user")


def properties_parse(value: dict, allowed: dict[str, str]) -> dict[str, list[str]]:
    """The directory attributes of a page's ``<properties>``: ``<property name="x">`` with one
    or more ``<value>``. A name the portal does not set is refused, naming it."""
    if not value:
        return {}
    unknown = set(value) - {"property"}
    if unknown:
        raise InvalidArgument(
            "<properties> may hold only <property> elements, not <" + sorted(unknown)[0] + ">.",
            field="properties",
        )
    items = value["property"] if isinstance(value["property"], list) else [value["property"]]
    out: dict[str, list[str]] = {}
    for item in items:
        if not isinstance(item, dict) or not item.get("@name"):
            raise InvalidArgument('Every <property> needs a name="..." attribute.', field="properties")
        name = item["@name"]
        attribute = allowed.get(name.lower())
        if attribute is None:
            raise InvalidArgument(
                f'<property name="{name}"> is not a property the portal sets; it sets '
                + ", ".join(sorted(allowed.values()))
                + ".",
                field="properties",
            )
        values = item.get("value", [])
        values = values if isinstance(values, list) else [values]
        if not all(isinstance(text, str) for text in values):
            raise InvalidArgument(
                f'<property name="{name}"> holds <value> elements of text only.', field="properties"
            )
        out.setdefault(attribute, []).extend(text for text in values if text)
    return out


@procedure(
    "Managed Active Directory::CreateOrganization",
    args=(*ORGANIZATION_ARGS, PREFERRED_DOMAIN_CONTROLLER_OPTIONAL),
    security=Security(
        roles=(ORG_CREATORS,),
        check=_resellers_need_domain_admins,
        description="Impersonate caller: OrgCreators inside their scope (resellers: DomainAdmins only).",
    ),
)
def organization_create(
    ctx: CallContext,
    *,
    name: str,
    container: str,
    policyName: str | None,
    description: str | None,
    properties: dict,
    preferredDomainController: str | None,
) -> dict:
    """Create an organization (an OU) of the hosting tree, compliant with the hosting prescription,
    with its administrators group.

    A reseller is created directly below the hosting root, a customer directly below a compliant
    reseller (``policyName``, when given, must name the type the level calls for); a name already
    used there is refused. Answers the page's ``org`` element: ``path`` and ``name`` (and the
    portal's ``GUID``) with its ``groups``.
    """
    name = name_check(name)
    attributes = properties_parse(properties, ORGANIZATION_PROPERTIES)
    org_type = hosting.level_type(ctx.directory, container, argument="container")
    if policyName is not None:
        hosting.organization_require_type(org_type, ORGANIZATION_POLICIES[policyName], container)
    dn = dn_child("OU", name, container)
    reserve("organization", dn_key(dn))  # a concurrent create of the same name waits, then sees it
    if ctx.directory.get(dn) is not None:
        raise Conflict(
            f"An organization named {name} already exists in {dn_to_path(container)}.", field="name"
        )
    marks = processed_marks(ctx.lineage, ORGANIZATION_PRESCRIPTION)
    ctx.directory.add(
        dn,
        {
            **attributes,
            "objectClass": list(hosting.ORGANIZATION_CLASSES),
            "ou": name,
            "description": description or None,
            "hostingOrganizationType": org_type,
            "hostingProcessedBy": marks,
        },
    )
    group = hosting.admin_group_ensure(ctx.directory, dn, org_type, marks)
    return {"org": organization_element(ctx, dn, [group])}


def organization_element(ctx: CallContext, dn: str, groups: list[str] = ()) -> dict:
    """The page's ``<org path=".." name="..">`` (with the portal's ``GUID``) and its groups."""
    entry = entry_require(ctx.directory, dn)
    element = {
        "@path": dn_to_path(dn_normalize(entry.dn)),
        "@name": entry.name,
        "@GUID": guid_braced(entry.guid) if entry.guid else "",
    }
    if groups:
        element["groups"] = {
            "group": [
                {
                    "@path": dn_to_path(dn_normalize(group)),
                    "@name": dn_rdn_value(group),
                    "@samName": dn_rdn_value(group),
                }
                for group in groups
            ]
        }
    return element


def user_element(ctx: CallContext, dn: str) -> dict:
    """The page's ``<user path=".." name=".." samName="..">`` (with the portal's ``GUID``)."""
    entry = entry_require(ctx.directory, dn)
    return {
        "@path": dn_to_path(dn_normalize(entry.dn)),
        "@name": entry.name,
        "@samName": entry.first("sAMAccountName") or entry.first("uid") or entry.name,
        "@GUID": guid_braced(entry.guid) if entry.guid else "",
    }


def _user_policy_check(org: Entry, policy: str | None) -> None:
    if policy in (None, "default"):
        return
    org_type = "Hosting" if hosting.is_hosting_root(org.dn) else org.organization_type
    if (org_type or "").lower() != policy:
        raise PrerequisiteFailed(
            f"<container> {dn_to_path(org.dn)} is a {org_type} organization, not of the policy {policy}.",
            field="policyName",
        )


@procedure(
    "Managed Active Directory::CreateUser",
    args=(*USER_ARGS, PREFERRED_DOMAIN_CONTROLLER_OPTIONAL),
    security=Security(
        roles=(ORG_CREATORS, CUSTOMER_ADMINISTRATORS),
        description="Impersonate caller: OrgCreators inside their scope; CustomerAdministrators in "
        "their own organization.",
    ),
)
def user_create(
    ctx: CallContext,
    *,
    container: str,
    userPrincipalName: str,
    policyName: str | None,
    sAMAccountName: str | None,
    givenName: str | None,
    sn: str | None,
    middleName: str | None,
    initials: str | None,
    displayName: str | None,
    description: str | None,
    properties: dict,
    newPassword: str | None,
    preferredDomainController: str | None,
) -> dict:
    """Create a user of the hosting tree, named (its CN) by its userPrincipalName, that logs in
    with its userPrincipalName or its sAMAccountName.

    The user (inetOrgPerson + hostingUser) is compliant with the hosting prescription. Both logon
    names must be free in the whole hosting tree. With ``newPassword`` (which must meet the
    password policy, docs/provisioning.md) the user can log in at once; without, once
    ``SetUserPassword`` has given it one. The password is stored hashed by the directory, never
    in the portal, and never answered. Answers the page's ``user`` element: ``path``, ``name``,
    ``samName`` (and the portal's ``GUID``).
    """
    upn = user_principal_name_check(userPrincipalName)
    sam = name_check(sAMAccountName or upn.split("@", 1)[0], argument="sAMAccountName")
    if len(sam) > 20:
        raise InvalidArgument(
            f"<sAMAccountName> {sam!r} is longer than 20 characters; give a shorter one.",
            field="sAMAccountName",
        )
    if newPassword is not None:
        password_check(newPassword, name=sam, user_principal_name=upn, argument="newPassword")
    attributes = properties_parse(properties, USER_PROPERTIES)
    org = user_organization_check(ctx.directory, container, argument="container")
    _user_policy_check(org, policyName)
    dn = dn_child("CN", upn, org.dn)
    user_names_free(ctx.directory, [sam, upn], argument="userPrincipalName")
    attrs = {
        **attributes,
        "objectClass": list(USER_CLASSES),
        "cn": upn,
        "sn": sn or sam,
        "givenName": givenName or None,
        "middleName": middleName or None,
        "initials": initials or None,
        "displayName": displayName or upn,
        "description": description or None,
        "uid": sam,
        "sAMAccountName": sam,
        "userPrincipalName": upn,
        "hostingProcessedBy": processed_marks(ctx.lineage, USER_PRESCRIPTION),
        **(password_attributes(newPassword, ctx.directory.flavor) if newPassword else {}),
    }
    try:
        ctx.directory.add(dn, attrs)
    except Conflict as exc:
        raise Conflict(
            f"An object named {upn} already exists in {dn_to_path(org.dn)}.", field="userPrincipalName"
        ) from exc
    return {"user": user_element(ctx, dn)}


@procedure(
    "Managed Active Directory::SetUserPassword",
    args=(
        Arg("user", "path", required=True, description="LDAP path of the user."),
        Arg(
            "newPassword",
            required=True,
            secret=True,
            max_length=128,
            description='The new password (<newPassword do-not-log="1">); never written to any record '
            "and never answered.",
        ),
        PREFERRED_DOMAIN_CONTROLLER,
    ),
    security=Security(
        roles=(ORG_CREATORS, CUSTOMER_ADMINISTRATORS),
        description="Impersonate caller: OrgCreators inside their scope; CustomerAdministrators in "
        "their own organization.",
    ),
)
def user_password_set(
    ctx: CallContext, *, user: str, newPassword: str, preferredDomainController: str
) -> dict:
    """Set a user's password in the directory's own password attribute (``userPassword``,
    hashed, on OpenLDAP; ``unicodePwd`` on Active Directory), after the password policy
    (docs/provisioning.md). The value reaches no audit record, log line, job row, error text or
    answer. Answers nothing."""
    entry = entry_require(ctx.directory, user, argument="user")
    if entry.kind != "user":
        raise InvalidArgument(f"<user> {dn_to_path(user)} is not a user.", field="user")
    password_check(
        newPassword,
        name=entry.first("uid") or entry.first("sAMAccountName") or entry.name,
        user_principal_name=entry.first("userPrincipalName") or "",
        argument="newPassword",
    )
    ctx.directory.modify(entry.dn, dict(password_attributes(newPassword, ctx.directory.flavor)))
    return {}


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
        Arg("user", "path", required=True, description="LDAP path of the user."),
        PREFERRED_DOMAIN_CONTROLLER_OPTIONAL,
    ),
    security=Security(
        roles=(ORG_CREATORS, CUSTOMER_ADMINISTRATORS),
        check=_not_self,
        description="Impersonate caller: OrgCreators inside their scope; CustomerAdministrators in "
        "their own organization.",
    ),
)
def user_delete(ctx: CallContext, *, user: str, preferredDomainController: str | None) -> dict:
    """Delete a user: its entry, its group memberships, its Plans database record; its portal
    account can no longer log in. Undone (entry put back with its GUID) if a later step fails.
    Answers the input."""
    entry = entry_require(ctx.directory, user, argument="user")
    if entry.kind != "user":
        raise InvalidArgument(f"<user> {dn_to_path(user)} is not a user.", field="user")
    _memberships_remove(ctx.directory, [entry.dn])
    ctx.directory.delete(entry.dn)
    _records_delete([entry])
    _users_deleted_announce(ctx, [entry])
    _accounts_deactivate([entry.dn])
    return ctx.mirror()


@procedure(
    "Managed Active Directory::DeleteOrganization",
    args=(
        Arg("org", "path", required=True, description="LDAP path of the organization to delete."),
        Arg("recursive", "bool", description="(optional) 1 deletes what the organization holds too."),
        PREFERRED_DOMAIN_CONTROLLER_OPTIONAL,
    ),
    security=Security(
        roles=(ORG_CREATORS,),
        check=_not_own_organization,
        description="Impersonate caller: OrgCreators inside their scope, never their own organization.",
    ),
)
def organization_delete(
    ctx: CallContext, *, org: str, recursive: bool | None, preferredDomainController: str | None
) -> dict:
    """Delete an organization with its groups; refused while it holds users or organizations
    unless ``recursive`` is 1, which deletes them too (leaves first). Their Plans database records
    go with them. Undone, entries put back with their GUIDs, if a later step fails. Answers the
    input."""
    entry = entry_require(ctx.directory, org, argument="org")
    if entry.kind != "organization" or hosting.is_hosting_root(entry.dn):
        raise InvalidArgument(
            f"<org> {dn_to_path(org)} is not an organization of the hosting tree.", field="org"
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
            field="org",
        )
    users = [item.dn for item in held if item.kind == "user"]
    _memberships_remove(ctx.directory, users, keep_below=entry.dn)
    deleted = ctx.directory.delete_subtree(entry.dn)
    _records_delete(deleted)
    _users_deleted_announce(ctx, [item for item in deleted if item.kind == "user"])
    _accounts_deactivate(users, below=entry.dn)
    return ctx.mirror()
