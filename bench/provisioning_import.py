"""Bulk import speed and memory: ``users_import`` against the raw python-ldap add floor.

Starts a private slapd with the demo tree, then measures in the same run:

1. the import of N users from a CSV file into one customer organization through
   ``customers.bulk.users_import`` (every row an engine batch: validation, security, the directory
   add, the Plans database record, the audit records), as that reseller's OrgCreators;
2. the floor: ``add_s`` of N inetOrgPerson entries (the attributes a created user gets) on one
   bound python-ldap connection. The floor's adds are interleaved with the import, one after each
   imported row (from the import's progress callback, whose time is taken out of the import's),
   so that both see the same load on the machine and the same size of directory;
3. the same import again into another organization under tracemalloc, reading the memory held
   (current) and the highest it reached (peak) after 2,000 rows, halfway and after N rows, to show
   that memory stays flat as the file grows.

The import must reach at least 50% of the floor's users per second.

``DIRECTORY=samba`` measures the same against a Samba AD DC provisioned for the run (the floor's
adds then set ``unicodePwd`` over LDAPS, as the import's do); ``BENCH_USERS`` sets N.
"""

from __future__ import annotations

import csv
import os
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
USERS = int(os.environ.get("BENCH_USERS", "10000"))
CHECKPOINT = 2000
SAMBA = os.environ.get("DIRECTORY", "openldap").lower() == "samba"
TARGET = 0.5
DC = "AD01.fabrikam.com"
HOSTING = "OU=Hosting,DC=fabrikam,DC=com"
CM = f"OU=ConsolidatedMessenger,{HOSTING}"
PASSWORD = "Str0ng-Secret"
CLASSES = [b"top", b"person", b"organizationalPerson", b"inetOrgPerson", b"hostingUser"]


def _django(workdir: str) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("PORTAL_DEMO", "1")
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir}/bench.sqlite3"
    os.environ["PORTAL_VAR_DIR"] = workdir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django
    from django.core.management import call_command

    django.setup()
    from bench.common import migrate_databases

    migrate_databases(call_command)


def _csv(path: Path, organization: str, prefix: str, count: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(
            ["container", "sAMAccountName", "userPrincipalName", "newPassword", "mail", "customerTypeName"]
        )
        for i in range(count):
            name = f"{prefix}{i:06d}"
            mail = f"{name}@bench.example"
            writer.writerow([f"LDAP://{organization}", name, mail, PASSWORD, mail, "BusinessUser"])


class Floor:
    """Bare ``add_s`` calls on one connection, one per call, timed."""

    def __init__(self, server) -> None:
        from portal.directory import password_ssha

        self.conn = server.connect()
        self.base = "ou=Floor,ou=Imports,dc=fabrikam,dc=com"
        self.conn.add_s(self.base, [("objectClass", [b"organizationalUnit"]), ("ou", [b"Floor"])])
        # AD hashes for itself and takes the clear password (as unicodePwd over LDAPS)
        self.hashed = PASSWORD.encode() if SAMBA else password_ssha(PASSWORD).encode()
        self.count = 0
        self.seconds = 0.0

    def add(self) -> None:
        name = f"floor{self.count:06d}".encode()
        started = time.perf_counter()
        self.conn.add_s(
            f"cn={name.decode()},{self.base}",
            [
                ("objectClass", CLASSES),
                ("cn", [name]),
                ("sn", [name]),
                ("displayName", [name]),
                ("uid", [name]),
                ("userPrincipalName", [name + b"@floor.example"]),
                ("mail", [name + b"@floor.example"]),
                ("hostingProcessedBy", [b"Managed Active Directory::CreateUser"]),
                ("userPassword", [self.hashed]),
            ],
        )
        self.seconds += time.perf_counter() - started
        self.count += 1

    @property
    def rate(self) -> float:
        return self.count / self.seconds


def _organization(name: str) -> str:
    from portal.engine import Caller, Impersonate, run

    run(
        Caller.service(),
        "Hosted Exchange::CreateBusinessOrganization",
        {
            "container": f"LDAP://{CM}",
            "name": name,
            "SMTPDomain": name.lower().replace(" ", "-") + ".example.com",
            "preferredDomainController": DC,
        },
        door="command",
        impersonate=Impersonate.SERVICE,
    )
    return f"OU={name},{CM}"


def _reseller_caller():
    from portal.engine import ORG_CREATORS, Caller

    return Caller(
        username="cm-admin",
        dn=f"CN=cm-admin,{CM}",
        roles=frozenset({ORG_CREATORS}),
        scope_dn=CM,
    )


def main() -> int:
    """Run the measurement; prints the rates, their ratio and the memory; 1 when below target."""
    with tempfile.TemporaryDirectory(prefix="bench-provisioning-") as workdir:
        sys.path.insert(0, str(ROOT))
        if SAMBA:
            from bench.common import SambaServer

            server = SambaServer()
            server.start()  # before Django: the settings read the DC from the environment
        _django(workdir)
        from django.conf import settings

        from customers.bulk import users_import
        from portal.directory import reset_gateways
        from portal.directory.server import PortalSlapd, read_ldif, reset_tree

        if not SAMBA:
            server = PortalSlapd()
            server.start()
        try:
            if not SAMBA:
                conn = server.connect()
                reset_tree(conn, read_ldif(ROOT / "demo" / "directory.ldif"))
                conn.unbind_s()
                settings.DIRECTORY["DOMAIN_CONTROLLERS"] = {DC: server.ldap_uri.rstrip("/")}
                reset_gateways()

            timed_org = _organization("Bench Timed")
            timed_csv = Path(workdir) / "timed.csv"
            _csv(timed_csv, timed_org, "t", USERS)
            floor = Floor(server)
            in_callback = 0.0

            def interleave(done: int, total: int | None) -> None:
                nonlocal in_callback
                started = time.perf_counter()
                floor.add()
                in_callback += time.perf_counter() - started

            started = time.perf_counter()
            result = users_import(timed_csv, caller=_reseller_caller(), progress=interleave)
            elapsed = time.perf_counter() - started - in_callback
            import_rate = result.created / elapsed
            ratio = import_rate / floor.rate
            print(f"raw python-ldap add_s floor: {floor.count} users, {floor.rate:,.0f} users/s")
            print(
                f"users_import: {result.created} created, {result.failed} failed, "
                f"{import_rate:,.0f} users/s ({elapsed:.1f} s)"
            )
            for row in result.rows(status="failed", limit=3):
                print(f"  line {row.line}: {row.message}")
            result.close()
            print(f"ratio import/floor: {ratio:.0%} (target at least {TARGET:.0%})")

            traced_org = _organization("Bench Traced")
            traced_csv = Path(workdir) / "traced.csv"
            _csv(traced_csv, traced_org, "m", USERS)
            memory: dict[int, tuple[int, int]] = {}
            checkpoints = {min(CHECKPOINT, USERS), USERS // 2, USERS}

            def progress(done: int, total: int | None) -> None:
                if done in checkpoints:
                    memory[done] = tracemalloc.get_traced_memory()

            tracemalloc.start()
            traced = users_import(traced_csv, caller=_reseller_caller(), progress=progress)
            tracemalloc.stop()
            traced.close()
            for rows, (current, peak) in sorted(memory.items()):
                print(
                    f"memory after {rows:>6} rows: {current / 1024 / 1024:.2f} MiB held, "
                    f"{peak / 1024 / 1024:.2f} MiB peak"
                )
            ok = ratio >= TARGET and result.failed == 0
            print("provisioning_import:", "OK" if ok else "BELOW TARGET")
            return 0 if ok else 1
        finally:
            server.stop()


if __name__ == "__main__":
    sys.exit(main())
