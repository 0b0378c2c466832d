"""The main pages fit a phone's 390 px wide screen: nothing scrolls the page sideways (wide tables
scroll inside their own card, long paths wrap), and each leaves a ``*-phone`` screenshot."""

from __future__ import annotations

import pytest

from tests.browser.conftest import accessibility_violations, fits, log_in, object_page, screenshot
from tests.conftest import ALPINE

pytestmark = pytest.mark.django_db(transaction=True)

PHONE_WIDTH = 390

# (screenshot name, who logs in, where: a path or a directory entry's DN)
PAGES = [
    ("home-staff", "administrator", "/"),
    ("home-reseller", "cm-admin", "/"),
    ("organizations", "administrator", "/organizations/"),
    ("organization", "cm-admin", ALPINE),
    ("email-organization", "alpine-admin", "/email/organization/"),
    ("billing-account", "administrator", "/billing/accounts/alpineskihouse/"),
    ("invoice", "cm-admin", "invoice"),
]


@pytest.mark.parametrize(("name", "username", "where"), PAGES, ids=[name for name, _, _ in PAGES])
def test_page_fits_a_phone_without_sideways_scrolling(phone, portal, invoice, name, username, where):
    log_in(phone, portal, username)
    if where == "invoice":
        url = f"{portal}/billing/accounts/alpineskihouse/invoices/{invoice.pk}/"
    elif where.startswith("/"):
        url = portal + where
    else:
        url = object_page(portal, where)
    assert phone.goto(url).ok
    screenshot(phone, f"{name}-phone")
    assert phone.get_by_role("heading", level=1).is_visible()
    assert fits(phone, PHONE_WIDTH), (
        f"{name} is {phone.evaluate('document.documentElement.scrollWidth')} px wide"
    )
    assert accessibility_violations(phone) == []  # e.g. a table that scrolls in its card is reachable
