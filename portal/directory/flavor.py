"""The two directory flavors the gateway speaks: OpenLDAP with the portal's schema, and Active
Directory (a Samba AD DC or Windows) with AD's own schema and no extension.

The portal's code speaks one vocabulary, the one of ``schema/hosting.ldif``: users are
``inetOrgPerson`` + ``hostingUser`` with a logon name in ``uid``, organizations are
``organizationalUnit`` + ``hostingOrganization`` with ``hostingOrganizationType``, roles are
``hostingGroup`` entries with ``member``, and every object the hosting procedures made or processed
carries ``hostingProcessedBy``. A flavor translates that vocabulary on the way to the directory
(entries added, attributes changed, search filters, attributes asked for) and back (entries read).

On Active Directory (docs/samba.md):

==========================  ==================================================================
portal                      Active Directory
==========================  ==================================================================
``inetOrgPerson``           ``user`` (``top``, ``person``, ``organizationalPerson``, ``user``);
                            searched as ``sAMAccountType=805306368`` (user accounts)
``hostingUser``             a user with a logon name of its own (not AD's ``$...`` stand-in)
``uid`` (logon name)        ``sAMAccountName`` (AD's ``$...`` stand-in is no logon name)
``hostingGroup``            ``group`` (a global security group, AD's default ``groupType``)
``hostingOrganization``     an ``organizationalUnit`` whose ``adminDescription`` is one of the
``hostingOrganizationType`` organization types (Hosting, Reseller, Customer, Default)
``hostingProcessedBy``      ``extensionName`` (multi-valued, on every class of AD's base schema)
``userPassword``            ``unicodePwd`` (set only, over LDAPS; never read)
``entryUUID``               ``objectGUID`` (16 octets in AD's order: ``uuid.UUID(bytes_le=...)``)
==========================  ==================================================================
"""

from __future__ import annotations

import re
import uuid

from portal.directory.dn import filter_escape

ORGANIZATION_TYPES = ("Hosting", "Reseller", "Customer", "Default")

#: AD's ``sAMAccountType`` of a user account (not a computer, not a trust)
USER_ACCOUNT = "805306368"
#: ``userAccountControl``: a normal account; the same, disabled (no password yet)
NORMAL_ACCOUNT = "512"
DISABLED_ACCOUNT = "514"

# Leaf items of an RFC 4515 filter: values cannot hold a bare parenthesis (it is escaped as \28).
_ITEM = re.compile(r"\(([A-Za-z][A-Za-z0-9;.-]*)(~=|>=|<=|:=|=)([^()]*)\)")


def _values(value) -> list[bytes]:
    items = value if isinstance(value, list | tuple) else [value]
    return [item if isinstance(item, bytes) else str(item).encode("utf-8") for item in items]


class OpenLdapFlavor:
    """The portal's own schema on OpenLDAP: nothing to translate."""

    name = "openldap"
    guid_attr = "entryUUID"
    password_attr = "userPassword"
    #: RFC 2696 paging is not needed: slapd has no server-side size limit for the service DN
    page_size = 0

    def guid(self, value: bytes) -> uuid.UUID:
        return uuid.UUID(value.decode())

    def guid_filter(self, guid: uuid.UUID) -> str:
        return f"(entryUUID={filter_escape(str(guid))})"

    def filter(self, filterstr: str) -> str:
        return filterstr

    def attr_list(self, attrs: list[str] | None) -> list[str] | None:
        return attrs

    def entry(self, raw: dict[str, list[bytes]]) -> dict[str, list[bytes]]:
        return raw

    def add_attrs(self, attrs: dict) -> dict[str, list[bytes]]:
        return {name: _values(value) for name, value in attrs.items() if value not in (None, [])}

    def modify_changes(self, changes: dict) -> dict:
        return dict(changes)


class ActiveDirectoryFlavor(OpenLdapFlavor):
    """AD's schema, with no extension: see the module's table."""

    name = "ad"
    guid_attr = "objectGUID"
    password_attr = "unicodePwd"
    #: AD answers at most MaxPageSize (1000) entries per search without RFC 2696 paging
    page_size = 500

    #: portal attribute -> AD attribute
    RENAMED = {
        "uid": "sAMAccountName",
        "hostingorganizationtype": "adminDescription",
        "hostingprocessedby": "extensionName",
        "entryuuid": "objectGUID",
    }
    #: AD attribute (lower case) -> portal attribute, for entries read
    VIRTUAL = {
        "samaccountname": "uid",
        "extensionname": "hostingProcessedBy",
    }
    USER_CLASSES = frozenset({"inetorgperson", "hostinguser", "person", "organizationalperson", "user"})
    GROUP_CLASSES = frozenset({"hostinggroup", "group", "groupofnames"})
    #: what AD keeps for itself: never written back when an entry is re-created
    SYSTEM = frozenset(
        {
            "objectguid", "objectsid", "whencreated", "whenchanged", "usncreated", "usnchanged",
            "instancetype", "objectcategory", "samaccounttype", "distinguishedname", "name",
            "memberof", "dscorepropagationdata", "pwdlastset", "badpwdcount", "badpasswordtime",
            "lastlogon", "lastlogoff", "lastlogontimestamp", "logoncount",
            "codepage", "countrycode", "primarygroupid", "lastknownparent", "isdeleted",
            "isrecycled", "admincount", "operatorcount", "msds-lastknownrdn", "entryuuid",
            "userpassword", "hostingorganizationtype", "uid", "hostingprocessedby", "objectclass",
            "supplementalcredentials", "unicodepwd", "ntpwdhistory", "lmpwdhistory",
        }
    )  # fmt: skip

    def guid(self, value: bytes) -> uuid.UUID:
        return uuid.UUID(bytes_le=value)

    def guid_filter(self, guid: uuid.UUID) -> str:
        return "(objectGUID=" + "".join(f"\\{byte:02x}" for byte in guid.bytes_le) + ")"

    # --- filters ------------------------------------------------------------------------------
    def filter(self, filterstr: str) -> str:
        return _ITEM.sub(self._item, filterstr)

    def _item(self, match: re.Match) -> str:
        attr, op, value = match.group(1), match.group(2), match.group(3)
        key = attr.lower()
        if key == "objectclass" and op == "=":
            kind = value.lower()
            if kind == "inetorgperson":
                return f"(sAMAccountType={USER_ACCOUNT})"
            if kind == "hostinguser":
                return f"(&(sAMAccountType={USER_ACCOUNT})(!(sAMAccountName=$*)))"
            if kind in ("hostinggroup", "groupofnames"):
                return "(objectClass=group)"
            if kind == "hostingorganization":
                types = "".join(f"(adminDescription={name})" for name in ORGANIZATION_TYPES)
                return f"(&(objectClass=organizationalUnit)(|{types}))"
            return match.group(0)
        if key in self.RENAMED:
            return f"({self.RENAMED[key]}{op}{value})"
        return match.group(0)

    def attr_list(self, attrs: list[str] | None) -> list[str] | None:
        if attrs is None:
            return None
        out = []
        for name in attrs:
            mapped = self.RENAMED.get(name.lower(), name)
            if mapped not in out:
                out.append(mapped)
        return out

    # --- entries read ------------------------------------------------------------------------------
    def entry(self, raw: dict[str, list[bytes]]) -> dict[str, list[bytes]]:
        """The entry as the portal's vocabulary names it: AD's attributes stay, the portal's are
        added (``uid``, ``hostingProcessedBy``, ``hostingOrganizationType`` and the classes)."""
        out = dict(raw)
        lower = {name.lower(): name for name in raw}
        classes = {value.decode().lower() for value in raw.get(lower.get("objectclass", ""), [])}
        extra: list[bytes] = []
        logon = raw.get(lower.get("samaccountname", ""), [b""])[0]
        placeholder = logon.startswith(b"$")  # AD's own stand-in for an object given no logon name
        if "user" in classes and "computer" not in classes:
            extra.append(b"inetOrgPerson")
            if not placeholder:
                extra.append(b"hostingUser")
        if "group" in classes:
            extra.append(b"hostingGroup")
        if "organizationalunit" in classes:
            kind = raw.get(lower.get("admindescription", ""), [b""])[0].decode("utf-8", "replace")
            if kind.lower() in (name.lower() for name in ORGANIZATION_TYPES):
                extra.append(b"hostingOrganization")
                out["hostingOrganizationType"] = [kind.encode()]
        if extra and "objectclass" in lower:
            out[lower["objectclass"]] = list(raw[lower["objectclass"]]) + extra
        for native, virtual in self.VIRTUAL.items():
            if native in lower and not (native == "samaccountname" and placeholder):
                out[virtual] = list(raw[lower[native]])
        return out

    # --- writes --------------------------------------------------------------------------------------
    def add_attrs(self, attrs: dict) -> dict[str, list[bytes]]:
        """An entry to add, in AD's form: classes and names translated, what AD keeps for itself
        (SID, GUID, counters, back links) left out, a user enabled when it gets a password."""
        out: dict[str, list[bytes]] = {}
        keys: dict[str, str] = {}
        classes: set[str] = set()
        for name, value in attrs.items():
            if value in (None, []):
                continue
            key = name.lower()
            if key == "objectclass":
                classes |= {item.decode().lower() for item in _values(value)}
                continue
            if key == "unicodepwd":
                out["unicodePwd"] = _values(value)
                keys[key] = "unicodePwd"
                continue
            target = self.RENAMED.get(key, name)
            if key in self.SYSTEM and key not in self.RENAMED:
                continue
            if target.lower() in keys:
                continue  # AD's own name and the portal's for the same thing: keep the first
            keys[target.lower()] = target
            out[target] = _values(value)
        if classes & self.USER_CLASSES:
            out["objectClass"] = [b"top", b"person", b"organizationalPerson", b"user"]
            if "unicodepwd" not in keys:
                # AD enables no account without a password (a user re-created by an undo has none)
                out["userAccountControl"] = [DISABLED_ACCOUNT.encode()]
            elif "useraccountcontrol" not in keys:
                out["userAccountControl"] = [NORMAL_ACCOUNT.encode()]
        elif classes & self.GROUP_CLASSES:
            out["objectClass"] = [b"top", b"group"]
        elif "organizationalunit" in classes:
            out["objectClass"] = [b"top", b"organizationalUnit"]
        else:
            kept = [c for c in classes if not c.startswith("hosting")]
            out["objectClass"] = [c.encode() for c in kept] or [b"top"]
        return out

    def modify_changes(self, changes: dict) -> dict:
        """Changes in AD's names; the classes are left out (AD never changes an object's class:
        the portal's are read from the attributes)."""
        out = {}
        for name, value in changes.items():
            key = name.lower()
            if key == "objectclass" or (
                key in self.SYSTEM and key not in self.RENAMED and key != "unicodepwd"
            ):
                continue
            out[self.RENAMED.get(key, name)] = value
        return out


FLAVORS = {"openldap": OpenLdapFlavor(), "ad": ActiveDirectoryFlavor(), "samba": ActiveDirectoryFlavor()}


def flavor_of(name: str) -> OpenLdapFlavor:
    """The flavor named ``name`` (``openldap``, ``ad``; ``samba`` is ``ad``)."""
    return FLAVORS[(name or "openldap").lower()]
