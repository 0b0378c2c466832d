"""What the benchmarks share: a private slapd with the demo tree and a Django set up against it."""

from __future__ import annotations

import os
import sys
import tempfile
import tracemalloc
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


class SambaServer:
    """The benchmarks' view of a Samba AD DC: ``connect()`` gives an administrator's connection
    that takes entries in the portal's vocabulary (the floor's adds cost what AD's adds cost)."""

    def __init__(self) -> None:
        from portal.directory.samba import SambaDomain, free_loopback_address, temporary_rundir

        self.rundir = temporary_rundir()
        self.domain = SambaDomain(self.rundir, free_loopback_address(count=1))
        self.dc = self.domain.first

    def start(self) -> None:
        from portal.directory import samba
        from portal.directory.server import read_ldif

        self.domain.start()
        conn = self.dc.connect()
        samba.load_demo(conn, read_ldif(ROOT / "demo" / "directory.ldif"), password="Passw0rd!")
        conn.unbind_s()
        os.environ.update(
            {
                "LDAP_FLAVOR": "ad",
                "LDAP_DOMAIN_CONTROLLERS": f"AD01.fabrikam.com={self.dc.ldap_uri}",
                "LDAP_BIND_DN": samba.ADMIN_DN,
                "LDAP_BIND_PASSWORD": samba.ADMIN_PASSWORD,
                "LDAP_TLS_CACERT": str(self.dc.ca_file),
            }
        )

    def connect(self):
        from portal.directory.samba import PortalVocabularyConnection

        return PortalVocabularyConnection(self.dc.connect())

    def stop(self) -> None:
        import shutil

        self.domain.stop()
        shutil.rmtree(self.rundir, ignore_errors=True)


#: ``DIRECTORY=samba make bench`` measures against a Samba AD DC instead of the private slapd
DIRECTORY = os.environ.get("DIRECTORY", "openldap").lower()


def migrate_databases(call_command) -> None:
    """The database's tables, and the journal's where it is a database of its own (as ``make run``
    migrates them)."""
    from django.conf import settings

    call_command("migrate", verbosity=0)
    if settings.PORTAL_JOURNAL_SEPARATE:
        call_command("migrate", database="journal", verbosity=0)


@contextmanager
def portal_environment():
    """Start a private slapd (or, with ``DIRECTORY=samba``, a Samba AD DC), point a fresh SQLite
    database and the portal at it, set Django up.

    Yields the running server (``connect()`` gives an administrator's connection).
    """
    from portal.directory.server import PortalSlapd, load_entries, read_ldif

    if DIRECTORY == "samba":
        server = SambaServer()
        server.start()
        workdir = tempfile.mkdtemp(prefix="portal-bench-")
        os.environ.setdefault("PORTAL_DEMO", "1")
        os.environ["PORTAL_VAR_DIR"] = workdir
        os.environ.setdefault("DATABASE_URL", f"sqlite:///{workdir}/bench.sqlite3")
        os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
        try:
            import django

            django.setup()
            from django.core.management import call_command

            migrate_databases(call_command)
            yield server
        finally:
            server.stop()
        return

    server = PortalSlapd()
    server.start()
    workdir = tempfile.mkdtemp(prefix="portal-bench-")
    os.environ.setdefault("PORTAL_DEMO", "1")
    os.environ["PORTAL_VAR_DIR"] = workdir
    os.environ["LDAP_URI"] = server.ldap_uri.rstrip("/")
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{workdir}/bench.sqlite3")
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    try:
        conn = server.connect()
        load_entries(conn, read_ldif(ROOT / "demo" / "directory.ldif"), skip_existing=True)
        conn.unbind_s()
        import django

        django.setup()
        from django.core.management import call_command

        migrate_databases(call_command)
        yield server
    finally:
        server.stop()


@contextmanager
def peak_memory():
    """Measure the peak of Python allocations inside the block (``result["peak_mb"]``)."""
    result: dict = {}
    tracemalloc.start()
    try:
        yield result
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        result["peak_mb"] = peak / 1024 / 1024


def table(rows: list[tuple], headers: tuple) -> str:
    """A plain Markdown table."""
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows, strict=True)]

    def line(values: tuple) -> str:
        return "| " + " | ".join(str(v).ljust(w) for v, w in zip(values, widths, strict=True)) + " |"

    return "\n".join([line(headers), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, rows)])
