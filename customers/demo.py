"""The provisioning part of the demo: the demo tree's compliant organizations registered in the
Plans database (``MPS Import::EnableCustomerForPlans``), through the engine; safe to repeat."""

from __future__ import annotations

from portal.directory import dn_to_path
from portal.engine import Batch, Caller, Impersonate

HOSTING = "OU=Hosting,DC=fabrikam,DC=com"
DEMO_ORGANIZATIONS = [
    f"OU=ConsolidatedMessenger,{HOSTING}",
    f"OU=Contoso,{HOSTING}",
    f"OU=AlpineSkiHouse,OU=ConsolidatedMessenger,{HOSTING}",
    f"OU=Northwind,OU=Contoso,{HOSTING}",
]


def demo_load(dc: str) -> str:
    """Register the demo organizations in the Plans database."""
    with Batch(Caller.service(), "command") as batch:
        for dn in DEMO_ORGANIZATIONS:
            batch.call(
                "MPS Import::EnableCustomerForPlans",
                {"path": dn_to_path(dn), "preferredDomainController": dc},
                impersonate=Impersonate.SERVICE,
            )
    return f"{len(DEMO_ORGANIZATIONS)} organizations in the Plans database"
