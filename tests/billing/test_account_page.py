"""The account and invoice pages: breadcrumbs down the hosting tree to the account's organization,
the account's history (billing calls name it by ``username``), and scope."""

from __future__ import annotations

import re
import uuid

import pytest

from billing.models import Invoice
from portal.models import AuditRecord, Job
from tests.pages import crumbs


@pytest.fixture
def browser(browser, billing_demo):
    """The logged-in test client, with the billing demo data."""
    return browser


def test_account_trail_starts_at_the_reseller_for_its_staff(browser):
    page = browser("cm-admin").get("/billing/accounts/alpineskihouse/").content.decode()
    assert crumbs(page) == ["Home", "ConsolidatedMessenger", "AlpineSkiHouse", "Account alpineskihouse"]
    assert re.search(r'<a href="/organizations/[0-9a-f-]+/">AlpineSkiHouse</a>', page)


def test_account_trail_starts_at_the_hosting_root_for_domain_admins(browser):
    page = browser("administrator").get("/billing/accounts/northwind/").content.decode()
    assert crumbs(page) == ["Home", "Hosting", "Contoso", "Northwind", "Account northwind"]


def test_another_resellers_account_is_not_found(browser):
    assert browser("contoso-admin").get("/billing/accounts/alpineskihouse/").status_code == 404


def test_billing_calls_are_the_accounts_history(browser, add_package):
    add_package(billNow=True)
    record = AuditRecord.objects.filter(procedure="AddPackageToUserWithOptionalServices").get()
    assert record.subject == "username:northwind"
    page = browser("contoso-admin").get("/billing/accounts/northwind/").content.decode()
    history = page[page.index('id="history-title"') :]
    assert re.search(
        r"<td>AddPackageToUserWithOptionalServices</td><td>administrator</td><td>api</td>", history
    )
    assert "<td>CreateAccount</td>" in history


def test_open_invoices_show_on_the_organizations_billing_panel(browser, add_package, gateway):
    add_package(billNow=True)
    invoice = Invoice.objects.get(account__username="northwind")
    guid = gateway.get("OU=Northwind,OU=Contoso,OU=Hosting,DC=fabrikam,DC=com").guid
    page = browser("contoso-admin").get(f"/organizations/{guid}/").content.decode()
    assert re.search(
        rf'<a href="/billing/accounts/northwind/">northwind</a></th><td>Northwind</td><td>1</td><td>{invoice.total} USD</td>',
        page,
    )


def test_invoice_trail_ends_with_the_invoice_after_a_linked_account(browser, add_package):
    add_package(billNow=True)
    invoice = Invoice.objects.get(account__username="northwind")
    page = (
        browser("contoso-admin").get(f"/billing/accounts/northwind/invoices/{invoice.pk}/").content.decode()
    )
    assert crumbs(page) == ["Home", "Contoso", "Northwind", "Account northwind", f"Invoice {invoice.number}"]
    assert '<a href="/billing/accounts/northwind/">Account northwind</a>' in page


def test_job_page_trail_is_home_then_the_job(browser, login):
    user = login("administrator")
    job = Job.objects.create(
        id=uuid.uuid4(), kind="bill-run", title="Bill run of 2026-01-01", created_by=user
    )
    page = browser("administrator").get(f"/jobs/{job.pk}/").content.decode()
    assert crumbs(page) == ["Home", "Bill run of 2026-01-01"]


def test_the_add_form_ticks_the_packages_default_optional_services(browser):
    page = browser().get("/billing/accounts/alpineskihouse/").content.decode()
    archiving = re.search(
        r'<input type="checkbox" name="add-optional_services" value="24"[^>]*>', page
    ).group(0)
    my_service = re.search(
        r'<input type="checkbox" name="add-optional_services" value="23"[^>]*>', page
    ).group(0)
    assert "checked" in archiving  # on by default in package 1
    assert "checked" not in my_service
