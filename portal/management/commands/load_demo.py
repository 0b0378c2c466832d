"""``manage.py load_demo``: every app's part of the demo data, through the engine; safe to run
again (each part is idempotent)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from portal.contributions import demo_loaders
from portal.directory import domain_controller_default


class Command(BaseCommand):
    help = "Load the demo data of every app, in order (idempotent)."

    def handle(self, *args, **options) -> None:
        dc = domain_controller_default()
        for loader in demo_loaders():
            self.stdout.write(f"demo {loader.name}: {loader.load(dc)}")
