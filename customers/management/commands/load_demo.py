"""``manage.py load_demo``: the demo's database records, through the engine; safe to run again."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from email_service.demo import load_email_service
from portal.directory import dn_to_path, domain_controller_default
from portal.engine import Batch, Caller, Impersonate

HOSTING = "OU=Hosting,DC=fabrikam,DC=com"
DEMO_ORGANIZATIONS = [
    f"OU=ConsolidatedMessenger,{HOSTING}",
    f"OU=Contoso,{HOSTING}",
    f"OU=AlpineSkiHouse,OU=ConsolidatedMessenger,{HOSTING}",
    f"OU=Northwind,OU=Contoso,{HOSTING}",
]


class Command(BaseCommand):
    help = "Register the demo organizations in the Plans database (idempotent)."

    def handle(self, *args, **options) -> None:
        dc = domain_controller_default()
        with Batch(Caller.service(), "command") as batch:
            for dn in DEMO_ORGANIZATIONS:
                batch.call(
                    "MPS Import::EnableCustomerForPlans",
                    {"path": dn_to_path(dn), "preferredDomainController": dc},
                    impersonate=Impersonate.SERVICE,
                )
            load_email_service(batch, dc)
        self.stdout.write(f"demo data: {len(DEMO_ORGANIZATIONS)} organizations in the Plans database")
        self.stdout.write("demo data: e-mail plans; AlpineSkiHouse subscribed with alpineskihouse.com")
        self._billing()

    def _billing(self) -> None:
        """The billing demo data (docs/billing.md), after the customer records it links to."""
        from billing.demo import billing_demo_load

        with Batch(Caller.service(), "command") as batch:
            made = billing_demo_load(batch)
        self.stdout.write("demo billing data: " + (", ".join(made) if made else "already there"))
