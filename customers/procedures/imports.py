"""``MPS Import::``: objects brought into the hosting tree, or fixed in place, made compliant.

Import moves an object from outside the hosting root into it (an LDAP modify-DN with a new
superior, so the object keeps its GUID and attributes); Enable works on an object already at its
place (``OU=Litware`` of the demo: an OU that was created by other tools). Both leave the marks
the prerequisite checks read (``customers/hosting.py``).
"""

from __future__ import annotations

from django.conf import settings

from hosting import tree as hosting
from hosting.tree import entry_require, user_names_free, user_organization_check
from portal.directory import dn_depth_below, dn_is_within, dn_normalize, dn_parent, dn_rdn, dn_to_path
from portal.engine import (
    CUSTOMER_ADMINISTRATORS,
    DOMAIN_ADMINS,
    ORG_CREATORS,
    PREFERRED_DOMAIN_CONTROLLER,
    Arg,
    CallContext,
    Security,
    procedure,
    require_role,
)
from portal.errors import AccessDenied, Conflict, InvalidArgument, PrerequisiteFailed

OUTSIDE_PATH = Arg(
    "path",
    "path",
    required=True,
    in_hosting_root=False,
    scoped=False,
    description="LDAP path of the object outside the hosting tree (inside the directory).",
)
IMPORT_SECURITY = Security(
    roles=(DOMAIN_ADMINS,), description="DomainAdmins: only they reach objects outside the tree."
)


def _outside_check(path: str) -> None:
    """The object to import lies in the directory but outside the hosting tree."""
    suffix = settings.DIRECTORY["SUFFIX"]
    if not dn_is_within(path, suffix):
        raise AccessDenied(f"<path> {dn_to_path(path)} lies outside the directory {suffix}.", field="path")
    if dn_is_within(path, hosting.hosting_root()):
        raise InvalidArgument(
            f"<path> {dn_to_path(path)} already lies in the hosting tree; enable it for hosting instead.",
            field="path",
        )


def _organization_entry(ctx: CallContext, path: str):
    entry = entry_require(ctx.directory, path)
    if "organizationalunit" not in entry.object_classes:
        raise InvalidArgument(f"<path> {dn_to_path(path)} is not an organizational unit.", field="path")
    return entry


def _user_entry(ctx: CallContext, path: str):
    entry = entry_require(ctx.directory, path)
    if not entry.object_classes & {"inetorgperson", "user"}:
        raise InvalidArgument(f"<path> {dn_to_path(path)} is not a user (an inetOrgPerson).", field="path")
    return entry


def _organization_make_compliant(ctx: CallContext, dn: str, org_type: str) -> dict:
    entry = entry_require(ctx.directory, dn)
    marked = "hostingorganization" in entry.object_classes and entry.first("hostingOrganizationType")
    if marked and entry.organization_type != org_type:
        raise PrerequisiteFailed(
            f"{dn_to_path(dn)} is marked as a {entry.organization_type} organization, but at "
            f"its place it can only be a {org_type}.",
            field="path",
        )
    hosting.organization_enable(ctx.directory, entry, org_type, ctx.lineage)
    hosting.admin_group_ensure(
        ctx.directory,
        entry.dn,
        org_type,
        hosting.processed_marks(ctx.lineage, hosting.ORGANIZATION_PRESCRIPTION),
    )
    return _answer(ctx, entry.dn, organizationType=org_type)


def _answer(ctx: CallContext, dn: str, **extra: str) -> dict:
    entry = entry_require(ctx.directory, dn)
    out = ctx.mirror()
    out["path"] = dn_to_path(dn_normalize(entry.dn))
    out["GUID"] = "{" + str(entry.guid) + "}" if entry.guid else ""
    out.update(extra)
    return out


@procedure(
    "MPS Import::ImportOrganization",
    args=(
        OUTSIDE_PATH,
        Arg(
            "parentPath",
            "path",
            required=True,
            description="LDAP path of the new parent: the hosting root or a reseller.",
        ),
        PREFERRED_DOMAIN_CONTROLLER,
    ),
    security=IMPORT_SECURITY,
)
def organization_import(
    ctx: CallContext, *, path: str, parentPath: str, preferredDomainController: str
) -> dict:
    """Move an OU from outside the hosting tree below ``parentPath`` and make it a compliant
    organization: a Reseller below the hosting root, a Customer below a reseller. It keeps its
    GUID and attributes and receives its administrators group. Answers the input with the new
    ``path``, ``GUID`` and ``organizationType``."""
    _outside_check(path)
    entry = _organization_entry(ctx, path)
    org_type = hosting.level_type(ctx.directory, parentPath)
    new_dn = f"{dn_rdn(entry.dn)},{parentPath}"
    if ctx.directory.get(new_dn) is not None:
        raise Conflict(
            f"An object named {entry.name} already exists in {dn_to_path(parentPath)}.", field="parentPath"
        )
    ctx.directory.rename(entry.dn, dn_rdn(entry.dn), parentPath)
    ctx.moved(new_dn)  # its history goes on at its new place
    return _organization_make_compliant(ctx, new_dn, org_type)


@procedure(
    "MPS Import::ImportUser",
    args=(
        OUTSIDE_PATH,
        Arg("organization", "path", required=True, description="LDAP path of the user's new organization."),
        PREFERRED_DOMAIN_CONTROLLER,
    ),
    security=IMPORT_SECURITY,
)
def user_import(ctx: CallContext, *, path: str, organization: str, preferredDomainController: str) -> dict:
    """Move a user from outside the hosting tree into ``organization`` and make it a compliant
    user that logs in with its name or userPrincipalName. It keeps its GUID, attributes and
    password. Answers the input with the new ``path`` and ``GUID``."""
    _outside_check(path)
    entry = _user_entry(ctx, path)
    org = user_organization_check(ctx.directory, organization)
    new_dn = f"{dn_rdn(entry.dn)},{org.dn}"
    if ctx.directory.get(new_dn) is not None:
        raise Conflict(
            f"An object named {entry.name} already exists in {dn_to_path(org.dn)}.", field="organization"
        )
    user_names_free(
        ctx.directory, [entry.first("uid") or entry.name, entry.name, entry.first("userPrincipalName") or ""]
    )
    ctx.directory.rename(entry.dn, dn_rdn(entry.dn), org.dn)
    ctx.moved(new_dn)
    hosting.user_enable(ctx.directory, entry_require(ctx.directory, new_dn), ctx.lineage)
    return _answer(ctx, new_dn)


@procedure(
    "MPS Import::EnableOrganizationForHosting",
    args=(
        Arg("path", "path", required=True, description="LDAP path of the OU in the hosting tree."),
        PREFERRED_DOMAIN_CONTROLLER,
    ),
    security=Security(
        roles=(ORG_CREATORS,), description="OrgCreators inside their scope (resellers: DomainAdmins only)."
    ),
)
def organization_enable_for_hosting(ctx: CallContext, *, path: str, preferredDomainController: str) -> dict:
    """Make an OU already in the hosting tree a compliant organization: the type its level
    calls for (Reseller below the hosting root, Customer below a reseller), the hosting
    prescription's mark and the administrators group. Running it again changes nothing. Answers
    the input with ``path``, ``GUID`` and ``organizationType``."""
    entry = _organization_entry(ctx, path)
    if hosting.is_hosting_root(entry.dn) or dn_depth_below(entry.dn, hosting.hosting_root()) > 2:
        raise PrerequisiteFailed(
            f"{dn_to_path(entry.dn)} is not at the level of a reseller or of a customer.", field="path"
        )
    org_type = hosting.level_type(ctx.directory, dn_parent(entry.dn), argument="path")
    if org_type == hosting.RESELLER:
        require_role(ctx.identity, DOMAIN_ADMINS, why="only the provider's staff make resellers")
    return _organization_make_compliant(ctx, entry.dn, org_type)


@procedure(
    "MPS Import::EnableUserForHosting",
    args=(
        Arg("path", "path", required=True, description="LDAP path of the user in the hosting tree."),
        PREFERRED_DOMAIN_CONTROLLER,
    ),
    security=Security(
        roles=(ORG_CREATORS, CUSTOMER_ADMINISTRATORS),
        description="OrgCreators inside their scope; CustomerAdministrators in their own organization.",
    ),
)
def user_enable_for_hosting(ctx: CallContext, *, path: str, preferredDomainController: str) -> dict:
    """Make a person already in an organization of the hosting tree a compliant user (the
    ``hostingUser`` class, a logon name, the prescription's mark). Running it again changes
    nothing. Answers the input with ``path`` and ``GUID``."""
    entry = _user_entry(ctx, path)
    user_organization_check(ctx.directory, dn_parent(entry.dn), argument="path")
    user_names_free(
        ctx.directory,
        [entry.first("uid") or entry.name, entry.name, entry.first("userPrincipalName") or ""],
        except_dn=entry.dn,
        argument="path",
    )
    hosting.user_enable(ctx.directory, entry, ctx.lineage)
    return _answer(ctx, entry.dn)
