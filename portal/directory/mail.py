"""The mail attributes: where the directory keeps what the mail servers read, in one place.

The mail servers (Postfix for SMTP, Dovecot for IMAP, LMTP and quota) read the directory over
LDAP; the portal writes these attributes through the engine's directory session, so a failed call
puts them back with everything else it wrote. Every name is an attribute Active Directory's base
schema already has (no Exchange schema extension), so that the same entries work on both flavors
(docs/mail.md explains each choice):

- ``proxyAddresses``: the addresses mail is accepted for, with Exchange's address-type prefixes:
  ``SMTP:`` for the primary address, ``smtp:`` for the others. The mail servers look up only these.
- the **enabled flag** is the address type: a disabled mailbox keeps its addresses under the type
  ``SMTP-DISABLED:`` / ``smtp-disabled:`` (proxyAddresses holds any address type, as Exchange's
  ``X500:`` or ``SIP:``), which no lookup matches; enabling it turns them back into ``SMTP:``.
- ``mail``: the primary SMTP address of a mailbox or distribution list (what Exchange writes), the
  address a distribution list expands a member to.
- ``msDS-cloudExtensionAttribute1``: the alias, and ``msDS-cloudExtensionAttribute2``: the quota in
  KiB that Dovecot enforces. Exchange keeps these in ``mailNickname`` and ``mDBOverHardQuotaLimit``,
  which only Exchange's schema extension brings; the cloud extension attributes are free strings
  of every user since the Windows Server 2012 schema (Samba's default), meant for exactly this.
- ``uPNSuffixes`` on the organization: its SMTP domains, the domains the mail server accepts
  (HMC's CreateSMTPDomain adds the domain to the organization's ``uPNSuffixes``).
- ``managedBy`` on a distribution list: its manager; ``member``: its members.

The mail store of a mailbox is named by a value of its entry that stays through renames, moves
and address changes: ``entryUUID`` on OpenLDAP; on Active Directory, whose ``objectGUID`` is binary
(the mail servers' LDAP lookups read text only), the logon name ``sAMAccountName``.
"""

from __future__ import annotations

from dataclasses import dataclass

ENABLED_TYPE = "smtp"
DISABLED_TYPE = "smtp-disabled"


@dataclass(frozen=True)
class MailAttributes:
    """Attribute and class names of the mail entries on one directory flavor."""

    addresses: str = "proxyAddresses"
    primary: str = "mail"
    alias: str = "msDS-cloudExtensionAttribute1"
    quota_kib: str = "msDS-cloudExtensionAttribute2"
    domains: str = "uPNSuffixes"
    managed_by: str = "managedBy"
    member: str = "member"
    logon: str = "userPrincipalName"
    guid: str = "entryUUID"
    #: the text value that names a mailbox's mail store (stays through renames and moves)
    home: str = "entryUUID"
    user_class: str = "hostingUser"
    group_class: str = "hostingGroup"
    organization_class: str = "organizationalUnit"

    # --- the LDAP filters the mail servers use; %s (Postfix) and %u (Dovecot) are the key -------
    def recipient_filter(self, key: str = "%s") -> str:
        """A mailbox that receives mail at the address ``key``."""
        return f"(&(objectClass={self.user_class})({self.addresses}={ENABLED_TYPE}:{key}))"

    def list_filter(self, key: str = "%s") -> str:
        """A distribution list with the address ``key``."""
        return f"(&(objectClass={self.group_class})({self.addresses}={ENABLED_TYPE}:{key}))"

    def domain_filter(self, key: str = "%s") -> str:
        """An organization that holds the SMTP domain ``key``."""
        return f"(&(objectClass={self.organization_class})({self.domains}={key}))"

    def login_filter(self, key: str = "%u") -> str:
        """A user with an enabled mailbox whose logon name is ``key`` (IMAP log-in)."""
        return f"(&(objectClass={self.user_class})({self.logon}={key})({self.addresses}={ENABLED_TYPE}:*))"

    def mailbox_filter(self, key: str = "%u") -> str:
        """A user with an enabled mailbox found by logon name or by any of its addresses."""
        return (
            f"(&(objectClass={self.user_class})({self.addresses}={ENABLED_TYPE}:*)"
            f"(|({self.logon}={key})({self.addresses}={ENABLED_TYPE}:{key})))"
        )


OPENLDAP = MailAttributes()
ACTIVE_DIRECTORY = MailAttributes(
    guid="objectGUID", home="sAMAccountName", user_class="user", group_class="group"
)


def mail_attributes(flavor: str = "openldap") -> MailAttributes:
    """The mail attribute names of a directory flavor (``openldap`` or ``ad``)."""
    return ACTIVE_DIRECTORY if flavor == "ad" else OPENLDAP


@dataclass(frozen=True)
class ProxyAddresses:
    """A mailbox's addresses as read from ``proxyAddresses``: primary first, enabled or not."""

    addresses: tuple[str, ...]
    enabled: bool

    @property
    def primary(self) -> str | None:
        return self.addresses[0] if self.addresses else None


def proxy_addresses_read(values: list[str]) -> ProxyAddresses | None:
    """The SMTP addresses among ``proxyAddresses`` values (other address types are kept out);
    None when the entry has none, that is when it has no mailbox."""
    found: dict[str, list[tuple[bool, str]]] = {ENABLED_TYPE: [], DISABLED_TYPE: []}
    for value in values:
        kind, sep, address = value.partition(":")
        if not sep or kind.lower() not in found:
            continue
        found[kind.lower()].append((kind.isupper(), address))
    for kind, enabled in ((ENABLED_TYPE, True), (DISABLED_TYPE, False)):
        if found[kind]:
            ordered = sorted(found[kind], key=lambda item: not item[0])
            return ProxyAddresses(tuple(address for _, address in ordered), enabled)
    return None


def proxy_addresses_write(addresses: list[str], *, enabled: bool = True) -> list[str]:
    """``proxyAddresses`` values for ``addresses`` (the first is the primary)."""
    kind = ENABLED_TYPE if enabled else DISABLED_TYPE
    return [f"{kind.upper() if index == 0 else kind}:{address}" for index, address in enumerate(addresses)]


def proxy_addresses_others(values: list[str]) -> list[str]:
    """The values of address types other than SMTP (kept as they are by every change)."""
    kinds = {ENABLED_TYPE, DISABLED_TYPE}
    return [value for value in values if value.partition(":")[0].lower() not in kinds]
