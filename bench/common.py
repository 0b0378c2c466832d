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


@contextmanager
def portal_environment():
    """Start a private slapd, point a fresh SQLite database and the portal at it, set Django up.

    Yields the running :class:`~portal.directory.server.PortalSlapd`.
    """
    from portal.directory.server import PortalSlapd, load_entries, read_ldif

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

        call_command("migrate", verbosity=0)
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
