"""Arrangements for the hosted e-mail service tests, made through the engine as the provider.

``email_plans``: two organization plans with user plans (``Business Basic``: two mailboxes, POP,
IMAP and OWA; ``Business Premium``: five mailboxes, every feature), both available to the two
resellers, and Plans database records for the demo organizations. ``alpine_subscribed``: on top of
that, AlpineSkiHouse may use both plans and subscribes to ``Business Basic`` with
``alpineskihouse.com``.
"""

from __future__ import annotations

import pytest

from portal.directory import dn_to_path
from portal.engine import Batch, Caller, Impersonate
from tests.conftest import ALPINE, CM, CONTOSO, DC, NORTHWIND

NS = "Hosted Email 2007"
BASIC = "Business Basic"
PREMIUM = "Business Premium"


def provider_run(calls: list[tuple[str, dict]]) -> list[dict]:
    """Run calls in one batch as the portal's service identity (the provider arranging data)."""
    out = []
    with Batch(Caller.service(), "command") as batch:
        for name, data in calls:
            out.append(
                batch.call(name, {"preferredDomainController": DC, **data}, impersonate=Impersonate.SERVICE)
            )
    return out


def features(*names: str) -> dict:
    return {"feature": list(names)}


@pytest.fixture
def email_plans(db, slapd):
    provider_run(
        [
            *(
                ("MPS Import::EnableCustomerForPlans", {"path": dn_to_path(dn)})
                for dn in (CM, CONTOSO, ALPINE, NORTHWIND)
            ),
            (
                f"{NS}::CreateOrganizationPlan",
                {
                    "name": BASIC,
                    "maxMailboxes": "2",
                    "defaultMailboxSizeMB": "1024",
                    "maxStorageMB": "4096",
                    "features": features("POP", "IMAP", "OWA"),
                },
            ),
            (
                f"{NS}::CreateUserPlan",
                {
                    "name": "Basic Mailbox",
                    "organizationPlan": BASIC,
                    "features": features("POP", "IMAP", "OWA"),
                },
            ),
            (
                f"{NS}::CreateUserPlan",
                {
                    "name": "Webmail Only",
                    "organizationPlan": BASIC,
                    "mailboxSizeMB": "512",
                    "features": features("OWA"),
                },
            ),
            (
                f"{NS}::CreateOrganizationPlan",
                {
                    "name": PREMIUM,
                    "maxMailboxes": "5",
                    "defaultMailboxSizeMB": "4096",
                    "maxStorageMB": "51200",
                    "features": features("POP", "IMAP", "OWA", "ActiveSync"),
                },
            ),
            (
                f"{NS}::CreateUserPlan",
                {
                    "name": "Premium Mailbox",
                    "organizationPlan": PREMIUM,
                    "features": features("POP", "IMAP", "OWA", "ActiveSync"),
                },
            ),
            (f"{NS}::AddAvailablePlans", {"organization": CM, "plans": {"plan": [BASIC, PREMIUM]}}),
            (f"{NS}::AddAvailablePlans", {"organization": CONTOSO, "plans": {"plan": [BASIC, PREMIUM]}}),
        ]
    )


@pytest.fixture
def alpine_subscribed(email_plans):
    provider_run(
        [
            (f"{NS}::AddAvailablePlans", {"organization": ALPINE, "plans": {"plan": [BASIC, PREMIUM]}}),
            (
                f"{NS}::Subscribe",
                {"organization": ALPINE, "organizationPlan": BASIC, "smtpDomain": "alpineskihouse.com"},
            ),
        ]
    )


@pytest.fixture
def call(api):
    """Run a Hosted Email 2007 procedure through ``POST /api/procedures/`` as a demo user."""

    def _call(procedure: str, data: dict, user: str = "administrator", namespace: str = NS):
        body = {
            "namespace": namespace,
            "procedure": procedure,
            "executeData": {"preferredDomainController": DC, **data},
        }
        return api("post", "/api/procedures/", json=body, user=user)

    return _call


def error(response) -> str:
    """The error text of a REST answer."""
    return response.json()["error"]["description"]
