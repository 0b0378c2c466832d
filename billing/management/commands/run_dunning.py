"""``manage.py run_dunning [--date YYYY-MM-DD]``: dunning for a day (today by default), as the
portal's service identity; what cron runs when Celery beat is not used."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand

from billing.tasks import dunning_daily


class Command(BaseCommand):
    help = "Run dunning (Billing::RunDunning) for a day, today by default."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--date", type=dt.date.fromisoformat, default=None, help="The day (ISO 8601).")

    def handle(self, *args, date: dt.date | None = None, **options) -> None:
        result = dunning_daily(date)
        r = result
        self.stdout.write(
            f"Dunning of {r['date']}: {r['accounts']} accounts past due, {r['notices']} notices, "
            f"{r['retries']} card retries, {r['suspended']} suspended, {r['cancelled']} cancelled."
        )
