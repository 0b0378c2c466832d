"""The hosting prescription: where organizations and users may sit, and what makes them compliant.

These checks read the entries themselves (organization type and the ``hostingProcessedBy`` marks),
never the depth alone. Their refusals say which prerequisite of the seed failed.
"""

from __future__ import annotations

from django.conf import settings

from portal.directory import (
    ORGANIZATION_PRESCRIPTION,
    USER_PRESCRIPTION,
    DirectorySession,
    Entry,
    dn_child,
    dn_depth_below,
    dn_key,
    dn_parent,
    dn_rdn_value,
    dn_to_path,
    filter_escape,
)
from portal.directory.mail import mail_attributes
from portal.engine import reserve
from portal.errors import Conflict, NotFound, PrerequisiteFailed

RESELLER = "Reseller"
CUSTOMER = "Customer"

#: Managed Email 2007::CreateSMTPDomain (dd251695), to the letter: a domain another organization holds.
SMTP_DOMAIN_NOT_AVAILABLE = "The SMTP Domain %domainName% is not available."


def entry_require(directory: DirectorySession, dn: str, *, argument: str = "path") -> Entry:
    """The entry at ``dn``; a missing one is a :class:`NotFound` naming the path."""
    entry = directory.get(dn)
    if entry is None:
        raise NotFound(
            f"The directory object {dn_to_path(dn)} given as <{argument}> was not found.", field=argument
        )
    return entry


def organization_check(directory: DirectorySession, entry: Entry, *, prerequisite: int = 1) -> str:
    """Check that an organization is at its proper level and compliant; returns its type.

    Proper level: a Reseller directly below the hosting root, a Customer directly below a
    Reseller. ``prerequisite`` numbers the seed's list the refusal cites (1 for an organization,
    3 for a user's organization).
    """
    hosting_root = settings.DIRECTORY["HOSTING_ROOT"]
    path = dn_to_path(entry.dn)
    depth = dn_depth_below(entry.dn, hosting_root)
    if entry.kind != "organization" or depth not in (1, 2):
        raise PrerequisiteFailed(
            f"Prerequisite {prerequisite} failed: {path} is not an organization at the level of a "
            f"reseller (directly below {hosting_root}) or of a customer (directly below a reseller)."
        )
    if not entry.compliant:
        raise PrerequisiteFailed(
            f"Prerequisite {prerequisite if prerequisite != 1 else 2} failed: the organization {path} is not "
            "compliant with the hosting prescription: it was not created or processed with "
            + ", ".join(sorted(ORGANIZATION_PRESCRIPTION))
            + "."
        )
    org_type = entry.organization_type
    if depth == 1 and org_type == RESELLER:
        return org_type
    if depth == 2 and org_type == CUSTOMER:
        parent = directory.get(dn_parent(entry.dn))
        if parent is not None and parent.kind == "organization" and parent.organization_type == RESELLER:
            return org_type
    raise PrerequisiteFailed(
        f"Prerequisite {prerequisite} failed: the organization {path} of type {org_type} is not at the "
        "proper level of the hosting tree: a Reseller lies directly below the hosting root and a "
        "Customer directly below a Reseller."
    )


def user_check(directory: DirectorySession, entry: Entry) -> tuple[Entry, str]:
    """Check a user (seed prerequisite 3); returns its organization's entry and type."""
    path = dn_to_path(entry.dn)
    organization = directory.get(dn_parent(entry.dn))
    if organization is None or organization.kind != "organization":
        raise PrerequisiteFailed(
            f"Prerequisite 3 failed: the user {path} does not lie directly in an organization of the "
            "hosting tree."
        )
    try:
        org_type = organization_check(directory, organization, prerequisite=3)
    except PrerequisiteFailed as exc:
        raise PrerequisiteFailed(f"{exc.text} (the organization of the user {path})") from exc
    if not entry.compliant:
        raise PrerequisiteFailed(
            f"Prerequisite 3 failed: the user {path} is not compliant with the hosting prescription: "
            "it was not created or processed with " + ", ".join(sorted(USER_PRESCRIPTION)) + "."
        )
    return organization, org_type


# --- making objects compliant: what the provisioning procedures write ---------------------------

HOSTING = "Hosting"
#: the administrators group each organization gets, by type; login maps these names to roles
#: (``AUTH_LDAP_MIRROR_GROUPS`` in config/settings.py)
ADMIN_GROUPS = {RESELLER: "OrgCreators", CUSTOMER: "CustomerAdministrators"}
ORGANIZATION_CLASSES = ("top", "organizationalUnit", "hostingOrganization")
USER_CLASSES = ("top", "person", "organizationalPerson", "inetOrgPerson", "hostingUser")


def hosting_root() -> str:
    """The DN of the hosting root."""
    return settings.DIRECTORY["HOSTING_ROOT"]


def is_hosting_root(dn: str) -> bool:
    """Whether ``dn`` is the hosting root itself."""
    return dn_key(dn) == dn_key(hosting_root())


def processed_marks(lineage: list[str], prescription: frozenset[str], existing: list[str] = ()) -> list[str]:
    """The ``hostingProcessedBy`` values of an object: those it has, and every procedure of the
    running call chain that the prescription names (``HostedExchange::CreateBusinessUser`` running
    ``Managed Active Directory::CreateUser`` leaves both)."""
    marks = list(existing)
    seen = {_mark_key(mark) for mark in marks}
    # The seed spells the namespace "HostedExchange::", Microsoft's pages "Hosted Exchange::":
    # the procedure answers to the pages' name and marks the object with the seed's.
    spelled = {_mark_key(name): name for name in prescription}
    for name in reversed(lineage):
        key = _mark_key(name)
        if key in spelled and key not in seen:
            marks.append(spelled[key])
            seen.add(key)
    return marks


def _mark_key(name: str) -> str:
    return name.replace(" ", "").lower()


def level_type(directory: DirectorySession, parent_dn: str, *, argument: str = "parentPath") -> str:
    """The type an organization gets directly below ``parent_dn``: Reseller below the hosting
    root, Customer below a compliant Reseller; any other place is refused."""
    if is_hosting_root(parent_dn):
        return RESELLER
    parent = entry_require(directory, parent_dn, argument=argument)
    path = dn_to_path(parent.dn)
    if parent.kind != "organization" or dn_depth_below(parent.dn, hosting_root()) != 1:
        raise PrerequisiteFailed(
            f"<{argument}> {path} is not a place for an organization: organizations lie directly "
            f"below the hosting root {hosting_root()} (resellers) or directly below a reseller "
            "(customers).",
            field=argument,
        )
    if parent.organization_type != RESELLER or not parent.compliant:
        raise PrerequisiteFailed(
            f"<{argument}> {path} is not a reseller compliant with the hosting prescription, so it "
            "cannot hold customer organizations.",
            field=argument,
        )
    return CUSTOMER


def organization_require_type(org_type: str, wanted: str, parent_dn: str) -> None:
    """Refuse an organization ``wanted`` of one type where the level calls for ``org_type``."""
    if org_type != wanted:
        where = (
            f"directly below the hosting root {hosting_root()}"
            if wanted == RESELLER
            else "directly below a reseller"
        )
        raise PrerequisiteFailed(
            f"A {wanted} organization cannot be created in {dn_to_path(parent_dn)}: a {wanted} lies {where}.",
            field="type",
        )


def admin_group_ensure(directory: DirectorySession, org_dn: str, org_type: str, marks: list[str]) -> str:
    """Give the organization its administrators group (``cn=OrgCreators`` of a reseller,
    ``cn=CustomerAdministrators`` of a customer), empty, unless it has one; returns its DN."""
    name = ADMIN_GROUPS[org_type]
    dn = dn_child("CN", name, org_dn)
    if directory.get(dn) is None:
        directory.add(
            dn,
            {
                "objectClass": ["hostingGroup"],
                "cn": name,
                "description": f"Administrators of {dn_rdn_value(org_dn)}",
                "hostingProcessedBy": marks,
            },
        )
    return dn


def organization_enable(directory: DirectorySession, entry: Entry, org_type: str, lineage: list[str]) -> None:
    """Make an existing OU an organization of the hosting tree: the ``hostingOrganization``
    class, its type and the marks of the procedures in ``lineage`` (one modify, undone on
    failure)."""
    classes = list(entry.attrs.get("objectclass", []))
    if "hostingorganization" not in entry.object_classes:
        classes.append("hostingOrganization")
    directory.modify(
        entry.dn,
        {
            "objectClass": classes,
            "hostingOrganizationType": org_type,
            "hostingProcessedBy": processed_marks(lineage, ORGANIZATION_PRESCRIPTION, entry.processed_by),
        },
    )


def user_enable(directory: DirectorySession, entry: Entry, lineage: list[str]) -> None:
    """Make an existing person a user of the hosting tree: the ``hostingUser`` class, a logon
    name (``uid``, its CN when it has none) and the marks of the procedures in ``lineage``."""
    classes = list(entry.attrs.get("objectclass", []))
    if "hostinguser" not in entry.object_classes:
        classes.append("hostingUser")
    changes: dict = {
        "objectClass": classes,
        "hostingProcessedBy": processed_marks(lineage, USER_PRESCRIPTION, entry.processed_by),
    }
    if not entry.first("uid"):
        changes["uid"] = entry.name
    directory.modify(entry.dn, changes)


def user_names_free(
    directory: DirectorySession, names: list[str], *, except_dn: str | None = None, argument: str = "name"
) -> None:
    """Refuse logon names that another user of the hosting tree already answers to.

    Login finds a user by ``uid``, ``cn`` or ``userPrincipalName`` (``AUTH_LDAP_USER_SEARCH``), so
    each name a user logs in with must match no other user in any of the three. The names are
    reserved for the rest of the batch first (``portal.engine.reserve``): a concurrent call giving
    a user one of them waits, then finds this one's user.
    """
    wanted = [name for name in names if name]
    reserve("logon", *wanted)
    terms = "".join(
        f"({attr}={filter_escape(name)})" for name in wanted for attr in ("uid", "cn", "userPrincipalName")
    )
    found = directory.search(hosting_root(), f"(&(objectClass=hostingUser)(|{terms}))")
    for entry in found:
        if except_dn is not None and dn_key(entry.dn) == dn_key(except_dn):
            continue
        # The other user may sit in another tenant's organization: its place is never named.
        raise Conflict(
            "That logon name is taken: another user of the hosting tree already logs in as "
            + " or ".join(wanted)
            + ".",
            field=argument,
        )


def smtp_domain_free(
    directory: DirectorySession, domain: str, *, holder_dn: str | None = None, argument: str = "domainName"
) -> None:
    """Refuse an SMTP domain that an organization of the hosting tree other than ``holder_dn``
    already holds, in any letter case: ``The SMTP Domain %domainName% is not available.``

    The registry of taken SMTP domains is the organizations' ``uPNSuffixes`` (the mail attribute
    of :mod:`portal.directory.mail`): every procedure that gives an organization a domain writes
    it (``Hosted Exchange::CreateBusinessOrganization``, ``Hosted Email 2007::CreateSMTPDomain``)
    and the mail server accepts mail by it. ``holder_dn``, the organization asking, may hold the
    domain already. ``domain`` is the domain as the caller normalized it.
    """
    attribute = mail_attributes(directory.flavor).domains
    wanted = domain.strip().lower()
    reserve("smtp-domain", wanted)  # a concurrent call for the same domain waits, then sees it held
    found = directory.search(hosting_root(), f"({attribute}={filter_escape(wanted)})")
    for entry in found:
        if holder_dn is not None and dn_key(entry.dn) == dn_key(holder_dn):
            continue
        if any(value.strip().lower() == wanted for value in entry.attrs.get(attribute.lower(), [])):
            # The holder may be another tenant's organization: its place is never named.
            raise Conflict(SMTP_DOMAIN_NOT_AVAILABLE.replace("%domainName%", wanted), field=argument)


def user_organization_check(
    directory: DirectorySession, org_dn: str, *, argument: str = "organization"
) -> Entry:
    """The organization a user is put in: the hosting root (the provider's staff), or a
    compliant reseller or customer at its proper level."""
    entry = entry_require(directory, org_dn, argument=argument)
    if is_hosting_root(entry.dn):
        return entry
    try:
        organization_check(directory, entry)
    except PrerequisiteFailed as exc:
        raise PrerequisiteFailed(f"<{argument}> cannot hold users: {exc.text}", field=argument) from exc
    return entry
