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


def _procedure(api, name: str, data: dict, user: str = "administrator"):
    return api(
        "post",
        "/api/procedures/",
        json={"namespace": "Billing", "procedure": name, "executeData": data},
        user=user,
    )


def test_payments_and_credit_notes_are_resources_scoped_by_the_caller(api, billed):
    answer = _procedure(
        api,
        "AddPayment",
        {"username": "northwind", "amount": "4.00", "paymenttype": "Cash", "reference": "till-9"},
    )
    assert answer.status_code == 200, answer.json()
    again = _procedure(
        api,
        "AddPayment",
        {"username": "northwind", "amount": "4.00", "paymenttype": "Cash", "reference": "till-9"},
    )
    assert again.json()["executeData"]["created"] is False
    up = api("get", "/api/billing/user-packages/?account=alpineskihouse").json()["results"][0]["id"]
    answer = _procedure(
        api,
        "CancelUserPackage",
        {
            "username": "alpineskihouse",
            "userPackageID": up,
            "cancelOpt": "ImmediatelyWithProratedTransaction",
        },
    )
    assert answer.status_code == 200, answer.json()
    (payment,) = api("get", "/api/billing/payments/").json()["results"]
    assert (payment["account"], payment["amount"], payment["reference"]) == ("northwind", "4.00", "till-9")
    assert payment["dispersals"][0]["amount"] == "4.00"
    assert _usernames(api, "/api/billing/payments/", "contoso-admin") == ["northwind"]
    assert _usernames(api, "/api/billing/payments/", "cm-admin") == []
    notes = api("get", "/api/billing/credit-notes/?account=alpineskihouse").json()["results"]
    assert all(note["number"].startswith("CN-") and note["lines"] for note in notes)
    assert _usernames(api, "/api/billing/credit-notes/", "contoso-admin") == []


def test_a_bad_payment_through_the_procedures_door_is_a_400_and_changes_nothing(api, billed):
    answer = _procedure(api, "AddPayment", {"username": "northwind", "amount": "abc", "paymenttype": "Cash"})
    assert answer.status_code == 400
    assert answer.json()["error"]["description"] == "INVALID AMOUNT"
    assert api("get", "/api/billing/payments/").json()["results"] == []


def test_the_openapi_schema_describes_payments_and_credit_notes(api, db):
    schema = api("get", "/api/schema/?format=json").json()
    assert "/api/billing/payments/" in schema["paths"]
    assert "/api/billing/credit-notes/" in schema["paths"]
    assert "dispersals" in schema["components"]["schemas"]["Payment"]["properties"]


def _post_json(api, name: str, body: str):
    """A procedure call whose JSON is written by hand, so that its numbers are JSON numbers."""
    return api(
        "post",
        "/api/procedures/",
        json=f'{{"namespace": "Billing", "procedure": "{name}", "executeData": {body}}}',
    )


@pytest.mark.parametrize(("number", "amount"), [("1.1", "1.10"), ("1000.0", "1000.00"), ("7", "7.00")])
def test_a_json_number_amount_is_answered_with_two_places(api, billed, number, amount):
    answer = _post_json(
        api, "AddPayment", f'{{"username": "northwind", "amount": {number}, "paymenttype": "Cash"}}'
    )
    assert answer.status_code == 200, answer.json()
    assert answer.json()["executeData"]["amount"] == amount
    (payment,) = api("get", "/api/billing/payments/").json()["results"]
    assert payment["amount"] == amount


@pytest.mark.parametrize("number", ["1e3", "5E+1", "1.5e1", "1E-2", "1.1e0"])
def test_an_amount_with_an_exponent_is_refused_and_changes_nothing(api, billed, number):
    answer = _post_json(
        api, "AddPayment", f'{{"username": "northwind", "amount": {number}, "paymenttype": "Cash"}}'
    )
    assert answer.status_code == 400
    assert answer.json()["error"]["description"] == "INVALID AMOUNT"
    quoted = _procedure(api, "AddPayment", {"username": "northwind", "amount": number, "paymenttype": "Cash"})
    assert quoted.status_code == 400
    assert quoted.json()["error"]["description"] == "INVALID AMOUNT"
    assert api("get", "/api/billing/payments/").json()["results"] == []


def test_a_price_as_a_json_number_is_stored_with_two_places_and_an_exponent_is_refused(api, billing_demo):
    refused = _post_json(api, "CreateService", '{"name": "Exponent", "price": 1e3}')
    assert refused.status_code == 400
    assert "price" in refused.json()["error"]["description"]
    answer = _post_json(api, "CreateService", '{"name": "Backup", "price": 4.1}')
    assert answer.status_code == 200, answer.json()
    from billing.models import Service

    assert str(Service.objects.get(name="Backup").price) == "4.10"
    assert not Service.objects.filter(name="Exponent").exists()
