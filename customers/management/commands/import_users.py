"""``manage.py import_users FILE``: create the users of a CSV or LDIF file through the engine, as a
background job (the same kind the upload page starts), with a progress bar while it runs."""

from __future__ import annotations

import csv
import shutil
import sys
import time
import uuid
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from customers.jobs import uploads_dir
from portal.jobs import job_progress, job_start
from portal.models import Job


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
        "or LDIF file, each row through the engine, as a background job shown at /jobs/<id>/; running "
        "the same file again creates nothing twice."
    )

    POLL_SECONDS = 0.1

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
        parser.add_argument(
            "--no-wait",
            action="store_true",
            help="Queue the job and return at once (its page shows progress and the result).",
        )

    def handle(self, *args, **options) -> None:
        user = get_user_model().objects.filter(username=options["username"].lower(), is_active=True).first()
        if user is None:
            raise CommandError(f"No active portal account {options['username']!r} (log in once first).")
        source = Path(options["file"])
        stored = uploads_dir() / f"{uuid.uuid4().hex}{source.suffix.lower()[:8]}"
        try:
            shutil.copyfile(source, stored)  # the job removes its copy when it ends
        except OSError as exc:
            raise CommandError(f"{source}: {exc.strerror or exc}") from exc
        job = job_start(
            "users-import",
            user=user,
            params={"path": str(stored), "name": source.name, "dc": options["dc"]},
            title=f"Import of {source.name}",
        )
        self.stderr.write(f"Job {job.pk}: its page is /jobs/{job.pk}/")
        if options["no_wait"]:
            return
        job = self._wait(job, None if options["quiet_progress"] else ProgressBar(self.stderr._out))
        if job.status == Job.Status.FAILED and not job.summary:
            raise CommandError(job.error)  # the job itself stopped, not only its rows
        failed = job.items.filter(status="failed").order_by("line")
        for item in failed[:50]:
            self.stderr.write(f"line {item.line}: {item.subject or '?'}: {item.message}")
        if options["report"]:
            with open(options["report"], "w", encoding="utf-8", newline="") as out:
                writer = csv.writer(out)
                writer.writerow(["line", "status", "subject", "message"])
                for item in job.items.order_by("line").iterator(chunk_size=2000):
                    writer.writerow([item.line, item.status, item.subject, item.message])
        summary = job.summary
        self.stdout.write(
            f"{summary['Created']} created, {summary['Already there']} already there, "
            f"{summary['Failed']} failed ({summary['Rows']} rows)."
        )
        if summary["Failed"]:
            raise CommandError(f"{summary['Failed']} row(s) failed; see the lines above.", returncode=1)

    def _wait(self, job: Job, bar: ProgressBar | None) -> Job:
        """Follow the job until it ends, drawing its progress."""
        ended = Job.ENDED
        try:
            while True:
                job.refresh_from_db()
                if bar is not None and job.status != Job.Status.QUEUED:
                    done, total = job_progress(job)
                    bar(done, total or None)
                if job.status in ended:
                    return job
                time.sleep(self.POLL_SECONDS)
        except KeyboardInterrupt:
            raise CommandError(f"Stopped waiting; the job goes on at /jobs/{job.pk}/.") from None
        finally:
            if bar is not None:
                bar.finish()
