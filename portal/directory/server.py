"""A private slapd for the demo (`make run`) and the test harness, from the project's own schema.

Both run Debian's slapd with the same configuration: the stock ``core``, ``cosine``,
``inetorgperson`` and ``nis`` schemas plus ``schema/hosting.ldif``, one MDB database for
``dc=fabrikam,dc=com`` with the indexes the gateway's searches use. The test harness keeps the
data in a temporary folder and removes it; the demo keeps it under ``var/ldap`` so that a second
``make run`` finds the data it left.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import ldap
import ldif
import slapdtest

HERE = Path(__file__).resolve().parent
SCHEMA_FILE = HERE / "schema" / "hosting.ldif"

SUFFIX = "dc=fabrikam,dc=com"
ROOT_DN = "cn=admin,dc=fabrikam,dc=com"
ROOT_PW = "Passw0rd!"

# Appended to the database entry of slapdtest's cn=config template: indexes for the gateway's
# lookups, room for bulk imports (MDB's default map is 10 MB), and ACLs that keep passwords
# unreadable and the tree closed to anonymous readers.
_DATABASE_EXTRA = """olcDbMaxSize: 4294967296
olcDbIndex: objectClass eq
olcDbIndex: entryUUID eq
olcDbIndex: cn,uid,ou,userPrincipalName,mail eq,sub
olcDbIndex: member eq
olcAccess: {0}to attrs=userPassword by self write by anonymous auth by * none
olcAccess: {1}to * by users read by * none
"""


class PortalSlapd(slapdtest.SlapdObject):
    """slapd with the portal's schema and suffix, on a free (or given) loopback port."""

    suffix = SUFFIX
    root_cn = "admin"
    root_pw = ROOT_PW
    slapd_loglevel = "none"
    TMPDIR = tempfile.gettempdir()
    openldap_schema_files = (
        "core.ldif",
        "cosine.ldif",
        "inetorgperson.ldif",
        "nis.ldif",
        str(SCHEMA_FILE),
    )

    def __init__(self, *, port: int | None = None, rundir: str | os.PathLike | None = None) -> None:
        super().__init__()
        if port is not None:
            self._port = port
            self.server_id = port % 4096
            self.ldap_uri = f"ldap://{self.local_host}:{port}/"
        if rundir is not None:
            self.testrundir = str(Path(rundir).resolve())
            self._slapd_conf = os.path.join(self.testrundir, "slapd.d")
            self._db_directory = os.path.join(self.testrundir, "openldap-data")
            if self.ldapi_uri:
                from urllib.parse import quote_plus

                # a UNIX socket path is limited to ~100 bytes; keep it short and private
                sock = os.path.join(tempfile.gettempdir(), f"portal-slapd-{port or self._port}.sock")
                self.ldapi_uri = "ldapi://" + quote_plus(sock)
                self.default_ldap_uri = self.ldapi_uri
        self.persistent = rundir is not None

    def _write_config(self) -> None:
        # slapdtest adds its whole template before the schemas; the indexes name attributes of
        # those schemas, so the database entry goes in last.
        base = self.gen_config()
        head, sep, database = base.partition("dn: olcDatabase=")
        self.slapadd(head, ["-n0"])
        for schema in self.openldap_schema_files:
            path = schema if os.path.exists(schema) else os.path.join(self.SCHEMADIR, schema)
            self.slapadd(None, ["-n0", "-l", path])
        self.slapadd(sep + database + _DATABASE_EXTRA, ["-n0"])

    def start(self) -> None:
        """Start slapd; a persistent instance keeps its configuration and data across starts."""
        if self._proc is not None:
            return
        if self.persistent and os.path.isdir(os.path.join(self._slapd_conf, "cn=config")):
            self._start_slapd()
            return
        if self.persistent:
            os.makedirs(self.testrundir, exist_ok=True)
            os.makedirs(self._db_directory, exist_ok=True)
            os.makedirs(self._slapd_conf, exist_ok=True)
            self._write_config()
            self._test_config()
            self._start_slapd()
            return
        super().start()

    def stop(self) -> None:
        """Stop slapd; a temporary instance also removes its data."""
        if self.persistent:
            if self._proc is not None:
                self._proc.terminate()
                self.wait()
            return
        super().stop()

    def connect(self) -> ldap.ldapobject.LDAPObject:
        """A connection bound as the root DN (for loading and resetting data)."""
        conn = ldap.initialize(self.ldap_uri)
        conn.protocol_version = 3
        conn.simple_bind_s(ROOT_DN, ROOT_PW)
        return conn


def read_ldif(path: str | os.PathLike) -> list[tuple[str, dict[str, list[bytes]]]]:
    """The records of an LDIF file, in file order."""
    with open(path, "rb") as fh:
        parser = ldif.LDIFRecordList(fh)
        parser.parse()
    return parser.all_records


def load_entries(conn, records, *, skip_existing: bool = False) -> int:
    """Add the records in order; returns how many were added."""
    added = 0
    for dn, entry in records:
        try:
            conn.add_s(dn, list(entry.items()))
            added += 1
        except ldap.ALREADY_EXISTS:
            if not skip_existing:
                raise
    return added


def delete_subtree(conn, dn: str) -> None:
    """Delete ``dn`` and everything below it, leaves first; a missing entry is not an error."""
    try:
        found = conn.search_s(dn, ldap.SCOPE_SUBTREE, "(objectClass=*)", ["1.1"])
    except ldap.NO_SUCH_OBJECT:
        return
    for entry_dn in sorted((d for d, _ in found), key=lambda d: d.count(","), reverse=True):
        conn.delete_s(entry_dn)


def reset_tree(conn, records, *, keep: frozenset[str] = frozenset()) -> None:
    """Put the directory back to exactly ``records`` below the suffix (the suffix entry stays, and
    so do the suffix's children named in ``keep``, lower-cased: an AD domain's own containers)."""
    top = [dn for dn, _ in records if dn.count(",") == SUFFIX.count(",") + 1]
    for dn in top:
        delete_subtree(conn, dn)
    try:
        children = conn.search_s(SUFFIX, ldap.SCOPE_ONELEVEL, "(objectClass=*)", ["1.1"])
    except ldap.NO_SUCH_OBJECT:
        children = []
    for dn, _ in children:
        if dn and dn.lower() not in keep:
            delete_subtree(conn, dn)
    load_entries(conn, records, skip_existing=True)
