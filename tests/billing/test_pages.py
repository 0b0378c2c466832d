"""The billing pages: catalogue, account with its add-package form, invoices as HTML and PDF, bill run."""

from __future__ import annotations

import pytest

from billing.models import Invoice, Service, UserPackage
from portal.jobs import jobs_wait
from portal.models import Job


@pytest.fixture
def browser(browser, billing_demo):
    """The logged-in test client, with the billing demo data."""
    return browser


def _add_form(**fields) -> dict:
    data = {
        "add-package": "1",
        "add-next_bill_date": "2026-01-01",
        "discount-TOTAL_FORMS": "3",
        "discount-INITIAL_FORMS": "0",
        "discount-MIN_NUM_FORMS": "0",
        "discount-MAX_NUM_FORMS": "20",
    }
    data.update(fields)
    return data


def test_catalogue_lists_the_demo_services_and_package_and_adds_a_service(browser):
    page = browser().get("/billing/catalogue/")
    text = page.content.decode()
    assert page.status_code == 200
    for word in ("Mailbox", "My Service", "Archiving", "Hosted Email Business", "on by default"):
        assert word in text
    response = browser().post(
        "/billing/catalogue/",
        {
            "add_service": "1",
            "service-name": "Journaling",
            "service-price": "1.75",
            "service-recurring": "on",
        },
    )
    assert response.status_code == 302
    assert Service.objects.get(name="Journaling").price.as_tuple().exponent == -2


def test_add_package_form_with_checkboxes_and_discount_rows(browser):
    response = browser().post(
        "/billing/accounts/northwind/",
        _add_form(
            **{
                "add-optional_services": ["23"],
                "discount-0-service_name": "My Service",
                "discount-0-discount_type": "Percent",
                "discount-0-amount": "25",
                "discount-0-occurrences": "3",
                "discount-0-note": "Launch",
            }
        ),
    )
    assert response.status_code == 302
    up = UserPackage.objects.get(account__username="northwind")
    assert sorted(up.optional_services.values_list("pk", flat=True)) == [23, 24]
    discount = up.discounts.get()
    assert (discount.discount_type, str(discount.amount), discount.occurrences, discount.note) == (
        "Percent",
        "25.00",
        3,
        "Launch",
    )
    page = browser().get("/billing/accounts/northwind/").content.decode()
    assert "Hosted Email Business" in page and "Launch" in page


def test_add_package_form_shows_the_engine_error_beside_the_field(browser):
    response = browser().post(
        "/billing/accounts/northwind/",
        _add_form(
            **{
                "discount-0-service_name": "Nope",
                "discount-0-discount_type": "Fixed",
                "discount-0-amount": "1",
            }
        ),
    )
    assert response.status_code == 200
    assert "the service &#x27;Nope&#x27; is not billed" in response.content.decode()
    assert UserPackage.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_invoice_as_html_and_pdf_and_bill_run_page(browser):
    client = browser()
    client.post("/billing/accounts/northwind/", _add_form())
    started = client.post("/billing/bill-run/", {"date": "2026-01-01"})
    assert started.status_code == 302
    assert started["Location"].startswith("/jobs/")
    jobs_wait()
    text = client.get(started["Location"]).content.decode()
    assert "Bill run of 2026-01-01" in text
    assert "succeeded" in text
    assert "6.50 USD" in text
    invoice = Invoice.objects.get()
    job = Job.objects.get(kind="bill-run")
    assert [(item.status, item.subject, item.message) for item in job.items.all()] == [
        ("open", "northwind", f"Invoice {invoice.number}: 6.50 USD")  # no card: the invoice stays open
    ]
    html = client.get(f"/billing/accounts/northwind/invoices/{invoice.pk}/").content.decode()
    assert invoice.number in html and "Mailbox" in html and "6.50" in html
    pdf = client.get(f"/billing/accounts/northwind/invoices/{invoice.pk}/pdf")
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")


def test_reseller_sees_only_its_customers_accounts(browser):
    client = browser("cm-admin")
    assert "alpineskihouse" in client.get("/billing/").content.decode()
    assert "northwind" not in client.get("/billing/").content.decode()
    assert client.get("/billing/accounts/northwind/").status_code == 404
    assert client.get("/billing/accounts/alpineskihouse/").status_code == 200


def test_bill_run_page_refuses_callers_without_billing_rights(browser):
    response = browser("cm-admin").post("/billing/bill-run/", {"date": "2026-01-01"})
    assert response.status_code == 200
    assert "requires BillingAdmins" in response.content.decode()
    assert Invoice.objects.count() == 0
    assert not Job.objects.exists()
