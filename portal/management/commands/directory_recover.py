"""``manage.py directory_recover``: run the directory recovery now (``Portal::DirectoryRecover``,
as the portal's service identity, audited) and say what it did. The exit status is 1 when a batch
is left unfinished (its domain controller or the database does not answer yet): docs/operations.md."""

from __future__ import annotations

import uuid

from django.core.management.base import BaseCommand, CommandError

from portal.engine import Caller, run
from portal.errors import PortalError


class Command(BaseCommand):
    help = (
        "Finish the directory batches a crash, a lost commit or an unreachable domain controller "
        "left unfinished (Portal::DirectoryRecover); exit status 1 when some are left."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--batch", help="Only this batch (its id, as its audit records name it).")

    def handle(self, *args, **options) -> None:
        data = {}
        if options["batch"]:
            try:
                data["batch"] = str(uuid.UUID(options["batch"]))
            except ValueError as exc:
                raise CommandError(f"--batch {options['batch']!r} is not a batch id.") from exc
        try:
            report = run(Caller.service(), "Portal::DirectoryRecover", data, door="command")
        except PortalError as err:
            raise CommandError(err.text) from err
        for item in report["repaired"]:
            undone = ", ".join(item["undone"]) or "nothing left to undo"
            self.stdout.write(f"repaired {item['batch']} ({item['procedure']}): {undone}")
        for batch in report["committed"]:
            self.stdout.write(f"committed {batch}: nothing to undo, journal row removed")
        for batch in report["running"]:
            self.stdout.write(f"running {batch}: its process still runs it")
        for item in report["left"]:
            self.stdout.write(f"LEFT {item['batch']} ({item['procedure']}): {item['error']}")
        if not any(report.values()):
            self.stdout.write("nothing to repair")
        if report["left"]:
            raise SystemExit(1)
