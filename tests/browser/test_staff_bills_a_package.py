"""Provider staff sell a package to a customer's billing account, with an optional service and a
discount, run the bill cycle as a background job whose page shows its progress live and then its
results, and open the invoice as a page and as a PDF."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import accessibility_violations, log_in, navigate, screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def section(page, heading: str):
    return page.locator("section").filter(has=page.get_by_role("heading", name=heading, exact=True))


def test_staff_add_a_package_bill_it_and_open_the_invoice_pdf(page, demo, held_job):
    today = timezone.localdate().isoformat()
    log_in(page, demo, "administrator")
    navigate(page, "Billing")
    page.get_by_role("link", name="alpineskihouse", exact=True).click()
    expect(page).to_have_title("Billing account alpineskihouse · Fabrikam hosting")
    expect(section(page, "Packages")).to_contain_text("No packages yet.")

    # The package, its optional service and a discount of 1.50 on the mailbox for three bills.
    form = section(page, "Add a package")
    form.get_by_label("Package:", exact=True).select_option(label="1 · Hosted Email Business")
    form.get_by_label("My Service (ID 23, package 1)").check()
    form.get_by_label("Service (row 1)").fill("Mailbox")
    form.get_by_label("Type (row 1)").select_option("Fixed")
    form.get_by_label("Amount (row 1)").fill("1.50")
    form.get_by_label("Bills (0: for ever) (row 1)").fill("3")
    form.get_by_label("Note (row 1)").fill("Launch offer")
    form.get_by_role("button", name="Add package").click()
    expect(page.get_by_role("status")).to_contain_text(re.compile(r"User package \d+ added\."))
    package = section(page, "Packages").get_by_role("row").filter(has_text="Hosted Email Business")
    expect(package).to_contain_text("My Service")
    expect(package).to_contain_text("Archiving")  # on by default
    expect(package).to_contain_text("Mailbox: Fixed 1.50 (3 of 3 bills left) · Launch offer")
    expect(package).to_contain_text(today)
    expect(section(page, "Invoices")).to_contain_text("No invoices yet.")
    screenshot(page, "billing-account")
    assert accessibility_violations(page) == []

    # The bill run: a job whose page follows its progress, then shows what it billed.
    navigate(page, "Bill runs")
    page.get_by_label("Bill everything due on or before").fill(today)
    page.get_by_label("Only this account (optional)").fill("alpineskihouse")
    page.get_by_role("button", name="Run the bill cycle").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Bill run of {today} for alpineskihouse")
    expect(page.get_by_role("status")).to_have_text("Status: running — 0 of 1")
    screenshot(page, "bill-run-running")
    held_job()  # let the job go on; the page follows it on its own
    expect(page.get_by_role("heading", name="Results")).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("Status: succeeded — 1 of 1")
    expect(page.get_by_label("Progress")).to_have_attribute("value", "100")
    summary = page.locator("#job dl")
    expect(summary).to_contain_text(re.compile(r"Invoices\s*1"))
    expect(summary).to_contain_text(re.compile(r"Totals\s*15\.00 USD"))
    billed = page.get_by_role("row").filter(has_text="alpineskihouse")
    expect(billed).to_contain_text(re.compile(r"paid.*Invoice \S+: 15\.00 USD", re.IGNORECASE))
    screenshot(page, "bill-run-results")

    # The invoice: its lines with the discount, then the same as a PDF document.
    navigate(page, "Billing")
    page.get_by_role("link", name="alpineskihouse", exact=True).click()
    invoices = section(page, "Invoices")
    expect(invoices.get_by_role("row")).to_have_count(2)
    invoices.get_by_role("row").nth(1).get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"Invoice \S+"))
    expect(page.locator("dl")).to_contain_text("Paid")  # charged to the default card by the run
    mailbox = page.get_by_role("row").filter(has_text="Mailbox").first
    expect(mailbox).to_contain_text("1.50")
    expect(page.get_by_role("row", name=re.compile("Total"))).to_contain_text("15.00 USD")
    screenshot(page, "invoice")
    pdf_url = page.get_by_role("link", name="PDF", exact=True).get_attribute("href")
    response = page.context.request.get(demo + pdf_url)
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF")
