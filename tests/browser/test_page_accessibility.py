"""Every main page, as the role that uses it sees it with the demo data, has no serious or critical
accessibility violation (axe-core), and leaves a screenshot in ``var/screenshots/<name>.png``."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.browser.conftest import accessibility_violations, log_in, object_page, screenshot
from tests.conftest import ALPINE, JANE

pytestmark = pytest.mark.django_db(transaction=True)


def _user_create(page, portal, invoice):
    page.goto(object_page(portal, ALPINE))
    page.get_by_role("link", name="Create a user").click()
    page.get_by_role("heading", name="New user in AlpineSkiHouse").wait_for()


def _invoice(page, portal, invoice):
    page.goto(f"{portal}/billing/accounts/alpineskihouse/")
    page.get_by_role("link", name=invoice.number, exact=True).click()
    page.get_by_role("heading", name=f"Invoice {invoice.number}").wait_for()


def _search(page, portal, invoice):
    page.goto(f"{portal}/")
    page.get_by_role("searchbox").fill("alpine")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Search", exact=True).wait_for()


def _job(page, portal, invoice):
    page.goto(f"{portal}/billing/bill-run/")
    page.get_by_label("Bill everything due on or before").fill(dt.date.today().isoformat())
    page.get_by_role("button", name="Run the bill cycle").click()
    page.get_by_role("heading", name="Results").wait_for()  # shown once the job has finished


def _confirm(page, portal, invoice):
    page.goto(f"{portal}/email/subscriptions/")
    page.get_by_role("button", name="Unsubscribe AlpineSkiHouse").click()
    page.get_by_role("button", name="Yes, unsubscribe").wait_for()


def _audit_record(page, portal, invoice):
    page.goto(f"{portal}/admin/portal/auditrecord/")
    page.locator("#result_list tbody a").first.click()
    page.get_by_role("heading", name="View audit record").wait_for()


# (screenshot name, who logs in (None: nobody), where: a path, a directory entry's DN, or steps)
PAGES = [
    ("login", None, "/login/"),
    ("home-staff", "administrator", "/"),
    ("home-reseller", "cm-admin", "/"),
    ("home-customer", "alpine-admin", "/"),
    ("organizations", "cm-admin", "/organizations/"),
    ("organization", "cm-admin", ALPINE),
    ("users", "cm-admin", "/organizations/users/"),
    ("user", "cm-admin", JANE),
    ("user-create", "cm-admin", _user_create),
    ("import", "cm-admin", "/organizations/import/"),
    ("email-plans", "administrator", "/email/plans/"),
    ("email-subscriptions", "cm-admin", "/email/subscriptions/"),
    ("email-organization", "alpine-admin", "/email/organization/"),
    ("billing", "administrator", "/billing/"),
    ("billing-catalogue", "administrator", "/billing/catalogue/"),
    ("billing-account", "administrator", "/billing/accounts/alpineskihouse/"),
    ("invoice", "cm-admin", _invoice),
    ("bill-run", "administrator", "/billing/bill-run/"),
    ("dunning", "administrator", "/billing/dunning/"),
    ("search", "cm-admin", _search),
    ("job", "administrator", _job),
    ("confirm", "cm-admin", _confirm),
    ("admin", "administrator", "/admin/"),
    ("admin-audit-records", "administrator", "/admin/portal/auditrecord/"),
    ("admin-audit-record", "administrator", _audit_record),
]


@pytest.mark.parametrize(("name", "username", "where"), PAGES, ids=[name for name, _, _ in PAGES])
def test_page_has_no_serious_accessibility_violation(page, portal, invoice, name, username, where):
    if username:
        log_in(page, portal, username)
    if callable(where):
        where(page, portal, invoice)
    else:
        response = page.goto(portal + where if where.startswith("/") else object_page(portal, where))
        assert response.ok, f"{where} answered {response.status}"
    screenshot(page, name)
    assert accessibility_violations(page) == []
