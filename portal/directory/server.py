"""A private slapd for the demo (`make run`) and the test harness, from the project's own schema.

Both run Debian's slapd with the same configuration: the stock ``core``, ``cosine``,
``inetorgperson`` and ``nis`` schemas plus ``schema/hosting.ldif``, one MDB database for
``dc=fabrikam,dc=com`` with the indexes the gateway's searches use. The test harness keeps the
data in a temporary folder and removes it; the demo keeps it under ``var/ldap`` so that a second
``make run`` finds the data it left.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import zlib
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
olcDbIndex: proxyAddresses,uPNSuffixes eq,sub
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
            self._upgrade_schema()
            self._start_slapd()
            return
        if self.persistent:
            os.makedirs(self.testrundir, exist_ok=True)
            os.makedirs(self._db_directory, exist_ok=True)
            os.makedirs(self._slapd_conf, exist_ok=True)
            self._write_config()
            self._test_config()
            (Path(self.testrundir) / "hosting-schema.sha256").write_text(
                hashlib.sha256(SCHEMA_FILE.read_bytes()).hexdigest() + "\n"
            )
            self._start_slapd()
            return
        super().start()

    def _upgrade_schema(self) -> None:
        # A directory kept from an earlier `make run` has the project's schema of that day. The
        # schema only ever gains attributes and classes, so the stored schema entry is rewritten
        # (offline, before slapd starts) from the current file when the file changed; it keeps
        # its place, so the indexes that name its attributes stay valid.
        stamp = Path(self.testrundir) / "hosting-schema.sha256"
        digest = hashlib.sha256(SCHEMA_FILE.read_bytes()).hexdigest()
        if stamp.exists() and stamp.read_text().strip() == digest:
            return
        schema_dir = Path(self._slapd_conf) / "cn=config" / "cn=schema"
        for stored in schema_dir.glob("cn={*}hosting.ldif"):
            _schema_entry_rewrite(stored)
        stamp.write_text(digest + "\n")

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


def _schema_entry_rewrite(stored: Path) -> None:
    """Rewrite a schema entry of slapd's cn=config folder with the definitions of SCHEMA_FILE,
    keeping its name, ordinal and operational attributes (and the checksum slapd verifies)."""
    (_, record), *_ = read_ldif(SCHEMA_FILE)
    rdn = stored.name[: -len(".ldif")]
    kept = [
        line
        for line in stored.read_text().split("\n")
        if line.split(":", 1)[0]
        in ("structuralObjectClass", "entryUUID", "creatorsName", "createTimestamp", "entryCSN")
    ]
    lines = [f"dn: {rdn}", "objectClass: olcSchemaConfig", f"cn: {rdn[3:]}"]
    for name in ("olcAttributeTypes", "olcObjectClasses"):
        lines += [f"{name}: {{{i}}}{value.decode()}" for i, value in enumerate(record.get(name, []))]
    body = "\n".join([*lines, *kept]) + "\n"
    crc = zlib.crc32(body.encode()) & 0xFFFFFFFF
    stored.write_text(f"# AUTO-GENERATED FILE - DO NOT EDIT!! Use ldapmodify.\n# CRC32 {crc:08x}\n{body}")


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


def reset_tree(conn, records) -> None:
    """Put the directory back to exactly ``records`` below the suffix (the suffix entry stays)."""
    top = [dn for dn, _ in records if dn.count(",") == SUFFIX.count(",") + 1]
    for dn in top:
        delete_subtree(conn, dn)
    try:
        children = conn.search_s(SUFFIX, ldap.SCOPE_ONELEVEL, "(objectClass=*)", ["1.1"])
    except ldap.NO_SUCH_OBJECT:
        children = []
    for dn, _ in children:
        delete_subtree(conn, dn)
    load_entries(conn, records, skip_existing=True)
