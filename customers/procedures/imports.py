"""``MPS Import::``: the "last mile" of a migration, as Microsoft's pages describe it: objects
that already sit at their place in the hosting tree, created by other tools (``OU=Litware`` of
the demo), made compliant with the hosting prescription and, for the Import procedures,
registered in the Plans database too. Both leave the marks the prerequisite checks read
(``hosting/tree.py``).

- ``ImportOrganization`` (dd252428): ``path``, ``preferredDomainController``, ``policyName``;
  Enable + the Plans database record.
- ``EnableOrganizationForHosting`` (dd252436): ``path``, ``preferredDomainController``,
  ``policyName`` (optional).
- ``ImportUser``: Enable + the Plans database record (same arguments as Enable).
- ``EnableUserForHosting`` (the MPS SDK page): ``path``, ``userPrincipalName``,
  ``customerTypeName``, ``preferredDomainController``; the user's name (CN) becomes its
  userPrincipalName (``Managed Active Directory::RenameUser``).
"""

from __future__ import annotations

from customers.procedures.directory import user_element
from customers.procedures.plans import ORGANIZATION_CUSTOMER_TYPE
from hosting import tree as hosting
from hosting.models import CustomerType
from hosting.policy import user_principal_name_check
from hosting.tree import entry_require, user_names_free, user_organization_check
from portal.directory import dn_child, dn_depth_below, dn_key, dn_normalize, dn_parent, dn_rdn, dn_to_path
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
from portal.errors import InvalidArgument, PrerequisiteFailed

ORG_PATH = Arg(
    "path", "path", required=True, description="LDAP path of the organization in the hosting tree."
)
USER_PATH = Arg("path", "path", required=True, description="LDAP path of the user in the hosting tree.")
ORG_SECURITY = Security(
    roles=(ORG_CREATORS,),
    description="Impersonate caller: OrgCreators inside their scope (resellers: DomainAdmins only).",
)
USER_SECURITY = Security(
    roles=(ORG_CREATORS, CUSTOMER_ADMINISTRATORS),
    description="Impersonate caller: OrgCreators inside their scope; CustomerAdministrators in "
    "their own organization.",
)
#: ``policyName`` of the organization procedures; ``default`` is not recommended by the page and
#: not offered by the portal (every organization it keeps is a reseller or a customer).
POLICIES = {"reseller": hosting.RESELLER, "customer": hosting.CUSTOMER}
USER_TYPES = (CustomerType.BUSINESS_USER, CustomerType.CONSUMER_USER)


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


def _organization_enable(ctx: CallContext, path: str, policy: str | None) -> tuple[str, str]:
    """Make the OU at ``path`` compliant; returns its DN and type."""
    entry = _organization_entry(ctx, path)
    if hosting.is_hosting_root(entry.dn) or dn_depth_below(entry.dn, hosting.hosting_root()) > 2:
        raise PrerequisiteFailed(
            f"{dn_to_path(entry.dn)} is not at the level of a reseller or of a customer.", field="path"
        )
    org_type = hosting.level_type(ctx.directory, dn_parent(entry.dn), argument="path")
    if policy is not None and POLICIES[policy] != org_type:
        raise PrerequisiteFailed(
            f"{dn_to_path(entry.dn)} can only be a {org_type} organization at its place, not a {policy}.",
            field="policyName",
        )
    if org_type == hosting.RESELLER:
        require_role(ctx.identity, DOMAIN_ADMINS, why="only the provider's staff make resellers")
    marked = "hostingorganization" in entry.object_classes and entry.first("hostingOrganizationType")
    if marked and entry.organization_type != org_type:
        raise PrerequisiteFailed(
            f"{dn_to_path(entry.dn)} is marked as a {entry.organization_type} organization, but at "
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
    return entry.dn, org_type


def _organization_answer(ctx: CallContext, dn: str, org_type: str) -> dict:
    entry = entry_require(ctx.directory, dn)
    out = ctx.mirror()
    out["path"] = dn_to_path(dn_normalize(entry.dn))
    out["GUID"] = "{" + str(entry.guid) + "}" if entry.guid else ""
    out["organizationType"] = org_type
    return out


ORG_POLICY = Arg(
    "policyName",
    choices=tuple(POLICIES),
    description="(optional) reseller or customer: the type the organization's level calls for.",
)


@procedure(
    "MPS Import::ImportOrganization",
    args=(ORG_PATH, PREFERRED_DOMAIN_CONTROLLER, ORG_POLICY),
    security=ORG_SECURITY,
)
def organization_import(
    ctx: CallContext, *, path: str, preferredDomainController: str, policyName: str | None
) -> dict:
    """Make an OU already in the hosting tree a compliant organization (as
    ``EnableOrganizationForHosting``) and register it in the Plans database (a reseller as a
    ResellerOrganization, a customer as a BusinessOrganization). Running it again changes
    nothing. Answers the input with ``path``, ``GUID``, ``organizationType`` and
    ``customerTypeName``."""
    dn, org_type = _organization_enable(ctx, path, policyName)
    customer_type = ORGANIZATION_CUSTOMER_TYPE[org_type]
    ctx.call(
        "Managed Helpers::CreateCustomerRecord_",
        {
            "path": dn_to_path(dn),
            "preferredDomainController": preferredDomainController,
            "customerTypeName": customer_type,
        },
    )
    return {**_organization_answer(ctx, dn, org_type), "customerTypeName": str(customer_type)}


@procedure(
    "MPS Import::EnableOrganizationForHosting",
    args=(ORG_PATH, PREFERRED_DOMAIN_CONTROLLER, ORG_POLICY),
    security=ORG_SECURITY,
)
def organization_enable_for_hosting(
    ctx: CallContext, *, path: str, preferredDomainController: str, policyName: str | None
) -> dict:
    """Make an OU already in the hosting tree a compliant organization: the type its level calls
    for (Reseller below the hosting root, Customer below a reseller), the hosting prescription's
    mark and the administrators group. Running it again changes nothing. Answers the input with
    ``path``, ``GUID`` and ``organizationType``."""
    dn, org_type = _organization_enable(ctx, path, policyName)
    return _organization_answer(ctx, dn, org_type)


USER_IMPORT_ARGS = (
    USER_PATH,
    Arg(
        "userPrincipalName",
        max_length=256,
        description="(optional) The user's logon name; the user's name (CN) becomes it. By default the "
        "one the user has.",
    ),
    Arg(
        "customerTypeName",
        choices=USER_TYPES,
        description="(optional) BusinessUser (the default) or ConsumerUser.",
    ),
    PREFERRED_DOMAIN_CONTROLLER,
)


def _user_enable(ctx: CallContext, path: str, user_principal_name: str | None) -> str:
    """Make the person at ``path`` a compliant user named by its userPrincipalName; its DN."""
    entry = _user_entry(ctx, path)
    user_organization_check(ctx.directory, dn_parent(entry.dn), argument="path")
    upn = (
        user_principal_name_check(user_principal_name)
        if user_principal_name
        else entry.first("userPrincipalName")
    )
    user_names_free(
        ctx.directory,
        [entry.first("uid") or entry.name, upn or entry.name],
        except_dn=entry.dn,
        argument="userPrincipalName" if user_principal_name else "path",
    )
    if not entry.first("uid"):
        ctx.directory.modify(entry.dn, {"uid": entry.name})
    dn = entry.dn
    if upn and entry.name != upn:
        # Managed Active Directory::RenameUser: the user's name (CN) is its userPrincipalName
        dn = dn_child("CN", upn, dn_parent(entry.dn))
        if dn_key(dn) != dn_key(entry.dn):
            ctx.directory.rename(entry.dn, dn_rdn(dn))
            ctx.moved(dn)
    hosting.user_enable(ctx.directory, entry_require(ctx.directory, dn), ctx.lineage)
    if upn and upn != entry.first("userPrincipalName"):
        ctx.directory.modify(dn, {"userPrincipalName": upn})
    return dn


def _user_answer(ctx: CallContext, dn: str, customer_type: str) -> dict:
    element = user_element(ctx, dn)
    entry = entry_require(ctx.directory, dn)
    out = ctx.mirror()
    out["path"] = element["@path"]
    out["userPrincipalName"] = entry.first("userPrincipalName") or ""
    out["customerTypeName"] = customer_type
    out["GUID"] = element["@GUID"]
    out["user"] = element
    return out


@procedure("MPS Import::ImportUser", args=USER_IMPORT_ARGS, security=USER_SECURITY)
def user_import(
    ctx: CallContext,
    *,
    path: str,
    userPrincipalName: str | None,
    customerTypeName: str | None,
    preferredDomainController: str,
) -> dict:
    """Make a person already in an organization of the hosting tree a compliant user (as
    ``EnableUserForHosting``) and register it in the Plans database as ``customerTypeName``
    (BusinessUser by default). Answers what ``EnableUserForHosting`` answers."""
    customer_type = customerTypeName or CustomerType.BUSINESS_USER
    dn = _user_enable(ctx, path, userPrincipalName)
    ctx.call(
        "Managed Helpers::CreateCustomerRecord_",
        {
            "path": dn_to_path(dn),
            "preferredDomainController": preferredDomainController,
            "customerTypeName": customer_type,
        },
    )
    return _user_answer(ctx, dn, str(customer_type))


@procedure("MPS Import::EnableUserForHosting", args=USER_IMPORT_ARGS, security=USER_SECURITY)
def user_enable_for_hosting(
    ctx: CallContext,
    *,
    path: str,
    userPrincipalName: str | None,
    customerTypeName: str | None,
    preferredDomainController: str,
) -> dict:
    """Make a person already in a compliant organization of the hosting tree a compliant user:
    the ``hostingUser`` class, a logon name, its userPrincipalName as its name (CN), the
    prescription's mark. Running it again changes nothing. Answers the input with the new
    ``path``, ``userPrincipalName``, ``customerTypeName`` (BusinessUser by default), ``GUID``
    and the ``user`` element (``path``, ``name``, ``samName``) that the page's request takes."""
    dn = _user_enable(ctx, path, userPrincipalName)
    return _user_answer(ctx, dn, str(customerTypeName or CustomerType.BUSINESS_USER))
