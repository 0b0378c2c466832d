"""The billing demo data (docs/billing.md), loaded through the engine by ``manage.py load_demo``.

Idempotent: what exists already is left as it is; only what is missing is created.
"""

from __future__ import annotations

from billing.models import BillingAccount, Package, Service
from portal.directory import dn_to_path
from portal.engine import Batch, Caller, Impersonate

HOSTING = "OU=Hosting,DC=fabrikam,DC=com"
# (ServiceID, name, recurring, price)
DEMO_SERVICES = [
    (22, "Mailbox", True, "4.00"),
    (23, "My Service", True, "10.00"),
    (24, "Archiving", True, "2.50"),
]
DEMO_PACKAGE = {
    "packageID": 1,
    "name": "Hosted Email Business",
    "billCycle": "monthly",
    "services": [22],
    "optionalServices": [23, 24],
    "defaultOptionalServices": [24],
}
# (username, organization DN, sandbox card number or None, billing contact or "")
DEMO_ACCOUNTS = [
    (
        "alpineskihouse",
        f"OU=AlpineSkiHouse,OU=ConsolidatedMessenger,{HOSTING}",
        "4242424242424242",
        # a hosted mailbox: the notices dunning e-mails can be read over the demo's IMAP
        "jane.smith@alpineskihouse.com",
    ),
    ("northwind", f"OU=Northwind,OU=Contoso,{HOSTING}", None, ""),
]


def billing_demo_load(batch: Batch) -> list[str]:
    """Create the missing demo services, package and accounts in ``batch``; returns what was made."""
    made: list[str] = []

    def call(name: str, data: dict) -> None:
        batch.call(name, data, impersonate=Impersonate.SERVICE)

    for service_id, name, recurring, price in DEMO_SERVICES:
        if not Service.objects.filter(pk=service_id).exists():
            call(
                "Billing::CreateService",
                {"serviceID": service_id, "name": name, "recurring": recurring, "price": price},
            )
            made.append(f"service {name}")
    if not Package.objects.filter(pk=DEMO_PACKAGE["packageID"]).exists():
        call("Billing::CreatePackage", DEMO_PACKAGE)
        made.append(f"package {DEMO_PACKAGE['name']}")
    for username, dn, card, contact in DEMO_ACCOUNTS:
        account = BillingAccount.objects.filter(username=username).first()
        if account is None:
            data = {"username": username, "path": dn_to_path(dn), "currency": "USD"}
            call("Billing::CreateAccount", {**data, "email": contact} if contact else data)
            made.append(f"account {username}")
        elif contact and not account.billing_email:
            call("Billing::SetBillingContact", {"username": username, "email": contact})
            made.append(f"billing contact of {username}")
        if card and (account is None or account.default_payment_method_id is None):
            call("Billing::SetPaymentCard", {"username": username, "cardNumber": card})
            made.append(f"card of {username}")
    return made


def demo_load(dc: str) -> str:
    """Billing's part of ``manage.py load_demo`` (after the customer records it links to)."""
    with Batch(Caller.service(), "command") as batch:
        made = billing_demo_load(batch)
    return ", ".join(made) if made else "already there"
