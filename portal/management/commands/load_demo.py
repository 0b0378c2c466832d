"""``manage.py load_demo``: every app's part of the demo data, through the engine; safe to run
again (each part is idempotent)."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand

from portal.contributions import demo_loaders


class Command(BaseCommand):
    help = "Load the demo data of every app, in order (idempotent)."

    def handle(self, *args, **options) -> None:
        dc = next(iter(settings.DIRECTORY["DOMAIN_CONTROLLERS"]))
        for loader in demo_loaders():
            self.stdout.write(f"demo {loader.name}: {loader.load(dc)}")
