"""Arrangements for the hosted e-mail service tests, made through the engine as the provider.

``email_plans``: two organization plans with user plans (``Business Basic``: two mailboxes, POP,
IMAP and OWA; ``Business Premium``: five mailboxes, every protocol), both available to the two
resellers, and Plans database records for the demo organizations. ``alpine_subscribed``: on top of
that, AlpineSkiHouse may use both plans, subscribes to ``Business Basic`` and has the SMTP domain
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


MEBIBYTE = 1024 * 1024


def organization_plan(name: str, mailboxes: int, default_mb: int, storage_mb: int, *protocols: str) -> dict:
    """``CreateOrganizationPlan``'s input as the page nests it, with the portal's limits."""
    return {
        "planName": name,
        "description": f"{name} plan",
        "features": {
            "mailStore": {
                "dynamicQuota": "0",
                "megabytes": str(storage_mb),
                "shared": "1",
                "algorithm": "level",
            },
            "maxMailboxes": str(mailboxes),
            "defaultMailboxMegabytes": str(default_mb),
            "protocols": {"protocol": list(protocols)},
        },
    }


def user_plan(name: str, organization_plan_name: str, size_mb: int, *protocols: str) -> dict:
    """``CreateUserPlan``'s input: sizes in bytes."""
    return {
        "planName": name,
        "description": f"{name} plan",
        "organizationPlanName": organization_plan_name,
        "features": {
            "prohibitSendQuota": str(min(size_mb * MEBIBYTE, 2_147_483_647)),
            "prohibitSendReceiveQuota": str(size_mb * MEBIBYTE),
            "protocols": {"protocol": list(protocols)},
        },
    }


def available(*names: str) -> dict:
    return {"planName": list(names)}


@pytest.fixture
def email_plans(db, slapd):
    provider_run(
        [
            *(
                ("MPS Import::EnableCustomerForPlans", {"path": dn_to_path(dn)})
                for dn in (CM, CONTOSO, ALPINE, NORTHWIND)
            ),
            (f"{NS}::CreateOrganizationPlan", organization_plan(BASIC, 2, 1024, 4096, "POP", "IMAP", "OWA")),
            (f"{NS}::CreateUserPlan", user_plan("Basic Mailbox", BASIC, 1024, "POP", "IMAP", "OWA")),
            (f"{NS}::CreateUserPlan", user_plan("Webmail Only", BASIC, 512, "OWA")),
            (
                f"{NS}::CreateOrganizationPlan",
                organization_plan(PREMIUM, 5, 4096, 51200, "POP", "IMAP", "OWA", "ActiveSync"),
            ),
            (
                f"{NS}::CreateUserPlan",
                user_plan("Premium Mailbox", PREMIUM, 4096, "POP", "IMAP", "OWA", "ActiveSync"),
            ),
            (f"{NS}::AddAvailablePlans", {"organization": CM, "availablePlans": available(BASIC, PREMIUM)}),
            (
                f"{NS}::AddAvailablePlans",
                {"organization": CONTOSO, "availablePlans": available(BASIC, PREMIUM)},
            ),
        ]
    )


@pytest.fixture
def alpine_subscribed(email_plans):
    provider_run(
        [
            (
                f"{NS}::AddAvailablePlans",
                {"organization": ALPINE, "availablePlans": available(BASIC, PREMIUM)},
            ),
            (f"{NS}::Subscribe", {"organization": ALPINE, "planName": BASIC}),
            (f"{NS}::CreateSMTPDomain", {"organization": ALPINE, "domainName": "alpineskihouse.com"}),
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
