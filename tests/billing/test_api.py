"""The billing REST resources, scoped by the caller, and ``Billing::RunBillCycle`` through
``/api/procedures/``."""

from __future__ import annotations

import pytest


@pytest.fixture
def billed(api, add_package, bill):
    add_package(xmlOptionalServices="", xmlServiceDiscounts="")
    add_package(username="alpineskihouse", xmlOptionalServices="", xmlServiceDiscounts="")
    response = api(
        "post",
        "/api/procedures/",
        json={"namespace": "Billing", "procedure": "RunBillCycle", "executeData": {"date": "2026-01-01"}},
    )
    assert response.status_code == 200, response.json()
    return response.json()["executeData"]


def _usernames(api, url: str, user: str) -> list[str]:
    response = api("get", url, user=user)
    assert response.status_code == 200
    return sorted(item.get("username") or item.get("account") for item in response.json()["results"])


def test_run_bill_cycle_through_the_procedures_door(billed):
    assert (billed["date"], billed["invoices"], billed["lines"]) == ("2026-01-01", 2, 4)
    assert billed["totals"] == {"USD": "13.00"}


def test_run_bill_cycle_refuses_a_bad_date(api, billing_demo):
    response = api(
        "post",
        "/api/procedures/",
        json={"namespace": "Billing", "procedure": "RunBillCycle", "executeData": {"date": "next tuesday"}},
    )
    assert response.status_code == 400
    assert "date" in response.json()["error"]["description"]


@pytest.mark.parametrize(
    ("user", "expected"),
    [
        ("administrator", ["alpineskihouse", "northwind"]),
        ("cm-admin", ["alpineskihouse"]),
        ("contoso-admin", ["northwind"]),
        ("alpine-admin", ["alpineskihouse"]),
    ],
)
def test_accounts_and_invoices_are_scoped(api, billed, user, expected):
    assert _usernames(api, "/api/billing/accounts/", user) == expected
    assert _usernames(api, "/api/billing/invoices/", user) == expected
    assert _usernames(api, "/api/billing/user-packages/", user) == expected


def test_invoice_shape_and_account_filter(api, billed):
    response = api("get", "/api/billing/invoices/?account=northwind")
    [invoice] = response.json()["results"]
    assert invoice["account"] == "northwind"
    assert invoice["total"] == "6.50"
    assert sorted((line["description"].split(" (")[0], line["amount"]) for line in invoice["lines"]) == [
        ("Hosted Email Business: Archiving", "2.50"),
        ("Hosted Email Business: Mailbox", "4.00"),
    ]


def test_reseller_cannot_read_another_resellers_account(api, billed):
    assert api("get", "/api/billing/accounts/northwind/", user="cm-admin").status_code == 404
    assert api("get", "/api/billing/invoices/?account=northwind", user="cm-admin").json()["results"] == []


def test_packages_list_the_demo_package_with_its_optional_services(api, billing_demo):
    [package] = api("get", "/api/billing/packages/").json()["results"]
    assert (package["ID"], package["name"], package["billCycle"]) == (1, "Hosted Email Business", "monthly")
    assert [(s["ServiceID"], s["name"], s["default"]) for s in package["optionalServices"]] == [
        (23, "My Service", False),
        (24, "Archiving", True),
    ]
    assert [s["price"] for s in package["services"]] == ["4.00"]
