"""The home dashboard of each role, through the real slapd and database."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command

from portal.engine import run
from tests.conftest import DC, NORTHWIND

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(slapd):
    call_command("load_demo", stdout=io.StringIO())


def home(client, login, username):
    client.force_login(login(username))
    response = client.get("/")
    assert response.status_code == 200
    return response.content.decode()


def stat(page, label):
    return int(re.search(r'<span class="value">(\d+)</span>' + label, page).group(1))


def section(page, title):
    return page.split(f">{title}</h2>", 1)[1].split("</section>", 1)[0]


def test_staff_see_the_resellers_and_the_whole_tree(client, login, demo):
    page = home(client, login, "administrator")
    resellers = section(page, "Resellers")
    assert "ConsolidatedMessenger" in resellers
    assert "Contoso" in resellers
    assert "AlpineSkiHouse" not in resellers
    assert stat(page, "Organizations") == 5
    assert stat(page, "Users") == 6
    assert stat(page, "Subscriptions") == 1
    assert stat(page, "Mailboxes") == 1
    assert "Billed per month" in page


def test_a_reseller_sees_its_customers_by_name_and_nothing_of_another(client, login, demo):
    page = home(client, login, "cm-admin")
    customers = section(page, "Your customer organizations")
    assert "AlpineSkiHouse" in customers
    assert "Litware" in customers
    assert "Northwind" not in page
    assert stat(page, "Organizations") == 2
    assert stat(page, "Users") == 3
    assert stat(page, "Subscriptions") == 1
    other = home(client, login, "contoso-admin")
    assert "AlpineSkiHouse" not in other
    assert stat(other, "Subscriptions") == 0


def test_a_customer_administrator_sees_its_users_and_its_usage(client, login, demo):
    page = home(client, login, "alpine-admin")
    users = section(page, "Your users")
    assert "Jane Smith" in users
    assert "Alpine Ski House administrator" in users
    usage = section(page, "Usage against plan limits")
    assert "AlpineSkiHouse" in usage
    assert "<meter" in usage
    assert "Billed per month" not in page


def test_last_changes_and_open_invoices_and_the_chart_follow_the_work(client, login, caller, demo):
    admin = caller("administrator")
    run(
        admin,
        "MPS Import::EnableCustomerForPlans",
        {"path": NORTHWIND, "preferredDomainController": DC},
        door="test",
    )
    run(
        admin,
        "Billing::AddPackageToUserWithOptionalServices",
        {
            "username": "northwind",
            "packageID": 1,
            "chargeCreditCard": "false",
            "IsChildUser": "false",
            "NextBillDate": "0001-01-01T00:00:00",
            "billNow": "true",
            "xmlOptionalServices": "",
            "xmlServiceDiscounts": "",
        },
        door="test",
    )
    page = home(client, login, "administrator")
    assert "EnableCustomerForPlans <small>Northwind</small>" in section(page, "Last changes")
    assert "1 open, 6.50 USD due" in section(page, "Open invoices")
    chart = section(page, "Billed per month")
    assert "<svg" in chart
    assert "6.50" in chart
    reseller = home(client, login, "cm-admin")
    assert "Northwind" not in section(reseller, "Last changes")  # Northwind is Contoso's
    assert "No open invoices." in section(reseller, "Open invoices")
