"""``manage.py jobs_sweep``: recover the background jobs whose worker died.

A running job whose worker is gone is resumed after its last recorded row (a kind that can be
resumed, such as a bulk import) or marked failed with the results it recorded; a queued job no
runner took is queued again. With Celery the resumed jobs go to the workers; without it they run
here, and the command waits until they end.
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand

from portal.jobs import jobs_sweep, jobs_wait


class Command(BaseCommand):
    help = "Resume or fail the background jobs whose worker died."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--timeout",
            type=float,
            default=3600.0,
            help="Without Celery: seconds to wait for the resumed jobs to end (default 3600).",
        )

    def handle(self, *args, timeout: float, **options) -> None:
        outcomes = jobs_sweep()
        for job_id, action in outcomes:
            self.stdout.write(f"job {job_id}: {action}")
        if not outcomes:
            self.stdout.write("No job needed recovery.")
        elif not settings.CELERY_BROKER_URL:
            jobs_wait(timeout=timeout, ids=[job_id for job_id, _ in outcomes])
            self.stdout.write("The resumed jobs ended.")
