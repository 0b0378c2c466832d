"""The harness's reset between tests puts every demo entry back exactly, on both flavors: what a
test added to a kept entry (an attribute the demo entry does not have) goes, what it changed comes
back, so that no test sees what an earlier one wrote."""

from __future__ import annotations

import ldap

from tests.conftest import ALPINE, JANE

SCOPE_BASE = ldap.SCOPE_BASE


def read(ldap_admin, dn: str, *names: str) -> dict[str, list[bytes]]:
    found = ldap_admin.search_s(dn, SCOPE_BASE, "(objectClass=*)", list(names))
    return {name.lower(): values for name, values in found[0][1].items()}


def test_attributes_the_demo_entry_lacks_are_removed_and_changed_ones_put_back(directory, ldap_admin):
    ldap_admin.modify_s(ALPINE, [(ldap.MOD_ADD, "uPNSuffixes", [b"alpineskihouse.com"])])
    ldap_admin.modify_s(
        JANE,
        [
            (ldap.MOD_ADD, "proxyAddresses", [b"SMTP:jane.smith@alpineskihouse.com"]),
            (ldap.MOD_ADD, "msDS-cloudExtensionAttribute2", [b"64"]),
            (ldap.MOD_ADD, "telephoneNumber", [b"+41 1 234 56 78"]),
            (ldap.MOD_REPLACE, "displayName", [b"Jane S."]),
            (ldap.MOD_REPLACE, "mail", [b"js@alpineskihouse.com"]),
        ],
    )
    assert read(ldap_admin, ALPINE, "uPNSuffixes") == {"upnsuffixes": [b"alpineskihouse.com"]}

    directory.reset()

    assert read(ldap_admin, ALPINE, "uPNSuffixes") == {}
    jane = read(
        ldap_admin,
        JANE,
        "proxyAddresses",
        "msDS-cloudExtensionAttribute2",
        "telephoneNumber",
        "displayName",
        "mail",
    )
    assert jane == {"displayname": [b"Jane Smith"], "mail": [b"jane.smith@alpineskihouse.com"]}
