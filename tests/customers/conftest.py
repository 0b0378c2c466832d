"""Helpers of the provisioning tests: running procedures, reading entries, injecting faults."""

from __future__ import annotations

import contextlib
import dataclasses

import ldap
import pytest

from tests.conftest import DC, HOSTING

IMPORTS = "OU=Imports,DC=fabrikam,DC=com"
STRONG = "Str0ng-Secret"


@pytest.fixture
def call(caller):
    """Run one procedure through the engine as a demo user: ``call("cm-admin", "NS::P", {...})``."""
    from portal.engine import run

    def _call(username: str, full_name: str, data: dict, *, door: str = "command"):
        return run(caller(username), full_name, {"preferredDomainController": DC, **data}, door=door)

    return _call


@pytest.fixture
def read(ldap_admin):
    """The attributes of an entry as the root DN reads them (text values), or None."""

    def _read(dn: str, attrs: list[str] | None = None):
        try:
            found = ldap_admin.search_s(dn, ldap.SCOPE_BASE, "(objectClass=*)", attrs or ["*", "entryUUID"])
        except ldap.NO_SUCH_OBJECT:
            return None
        return {key.lower(): [v.decode() for v in values] for key, values in found[0][1].items()}

    return _read


@pytest.fixture
def tree(ldap_admin):
    """Every DN under the hosting root and the imports OU, lower-cased (to compare before/after)."""

    def _tree() -> set[str]:
        found = []
        for base in (HOSTING, IMPORTS):
            found += ldap_admin.search_s(base, ldap.SCOPE_SUBTREE, "(objectClass=*)", ["entryUUID"])
        return {(dn.lower(), attrs["entryUUID"][0].decode()) for dn, attrs in found}

    return _tree


@contextlib.contextmanager
def fail_procedure(full_name: str):
    """Replace the registered procedure ``full_name`` by one that raises, for the ``with`` block
    (fault injection)."""
    from portal.engine import registry

    proc = registry.lookup(*registry.split_name(full_name))

    def boom(ctx, **kwargs):
        raise RuntimeError(f"injected fault in {full_name}")

    registry.replace(dataclasses.replace(proc, fn=boom))
    try:
        yield
    finally:
        registry.replace(proc)
