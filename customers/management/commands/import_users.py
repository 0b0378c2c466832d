"""``manage.py import_users FILE``: create the users of a CSV or LDIF file through the engine."""

from __future__ import annotations

import sys
import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from customers.bulk import users_import
from portal.engine import Caller
from portal.errors import PortalError


class ProgressBar:
    """A one-line text progress bar on stderr, redrawn at most ten times a second."""

    def __init__(self, stream=sys.stderr, width: int = 40) -> None:
        self.stream = stream
        self.width = width
        self.started = time.monotonic()
        self._drawn = 0.0

    def __call__(self, done: int, total: int | None) -> None:
        now = time.monotonic()
        if now - self._drawn < 0.1 and done != total:
            return
        self._drawn = now
        rate = done / max(now - self.started, 1e-6)
        if total:
            filled = int(self.width * done / total)
            bar = "#" * filled + "-" * (self.width - filled)
            self.stream.write(f"\r[{bar}] {done}/{total} rows, {rate:.0f}/s")
        else:
            self.stream.write(f"\r{done} rows, {rate:.0f}/s")
        self.stream.flush()

    def finish(self) -> None:
        self.stream.write("\n")
        self.stream.flush()


class Command(BaseCommand):
    help = (
        "Create the users of a CSV (organization,name,userPrincipalName,password,mail,customerTypeName) "
        "or LDIF file, each row through the engine; running the same file again creates nothing twice."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="The CSV or LDIF file.")
        parser.add_argument(
            "--as",
            dest="username",
            required=True,
            help="The portal account the import runs as (it must have logged in once); its role and "
            "scope decide what it may create.",
        )
        parser.add_argument(
            "--dc", dest="dc", default=None, help="preferredDomainController (default: the first)."
        )
        parser.add_argument("--report", default=None, help="Write the per-row result as CSV to this file.")
        parser.add_argument("--quiet-progress", action="store_true", help="No progress bar.")

    def handle(self, *args, **options) -> None:
        user = get_user_model().objects.filter(username=options["username"].lower(), is_active=True).first()
        if user is None:
            raise CommandError(f"No active portal account {options['username']!r} (log in once first).")
        bar = None if options["quiet_progress"] else ProgressBar(self.stderr._out)
        try:
            result = users_import(
                options["file"],
                caller=Caller.from_user(user),
                progress=bar,
                preferred_domain_controller=options["dc"],
            )
        except (PortalError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        finally:
            if bar is not None:
                bar.finish()
        try:
            for row in result.rows(status="failed", limit=50):
                self.stderr.write(f"line {row.line}: {row.name or '?'}: {row.message}")
            if options["report"]:
                with open(options["report"], "w", encoding="utf-8", newline="") as out:
                    for chunk in result.csv_chunks():
                        out.write(chunk)
            self.stdout.write(
                f"{result.created} created, {result.exists} already there, {result.failed} failed "
                f"({result.total} rows)."
            )
        finally:
            result.close()
        if result.failed:
            raise CommandError(f"{result.failed} row(s) failed; see the lines above.", returncode=1)
