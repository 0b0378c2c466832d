"""Fixtures of the billing tests: the demo data, and running billing procedures as a demo user."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from tests.fixtures.seeds import seeds

# The seed's examples of the two XML arguments of AddPackageToUserWithOptionalServices.
SEED_OPTIONAL = seeds.example("AddPackageToUserWithOptionalServices", "xmlOptionalServices").decode()
SEED_DISCOUNTS = seeds.example("AddPackageToUserWithOptionalServices", "xmlServiceDiscounts").decode()


@pytest.fixture
def billing_demo(db, slapd):
    """The demo data of docs/billing.md (organizations, services, package 1, the two accounts)."""
    call_command("load_demo", stdout=io.StringIO())


@pytest.fixture
def bill(caller, billing_demo):
    """Run a billing procedure through the engine as a demo user (administrator by default)."""
    from portal.engine import run

    def _run(name: str, data: dict, user: str = "administrator") -> dict:
        return run(caller(user), f"Billing::{name}", data, door="api")

    return _run


@pytest.fixture
def add_package(bill):
    """``AddPackageToUserWithOptionalServices`` with the seed's defaults, overridable."""

    def _add(user: str = "administrator", **overrides) -> dict:
        data = {
            "username": "northwind",
            "packageID": 1,
            "chargeCreditCard": False,
            "IsChildUser": False,
            "NextBillDate": "2026-01-01T00:00:00",
            "billNow": False,
            "xmlOptionalServices": SEED_OPTIONAL,
            "xmlServiceDiscounts": SEED_DISCOUNTS,
        }
        data.update(overrides)
        return bill("AddPackageToUserWithOptionalServices", data, user)

    return _add
