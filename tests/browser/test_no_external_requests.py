"""In a real browser, the portal's pages (its own, the admin's and the API's documentation) load
everything from the portal: not one request leaves for another host."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import log_in, object_page
from tests.conftest import ALPINE

pytestmark = pytest.mark.django_db(transaction=True)

API_TITLE = "Hosting provisioning and billing portal API"


def test_pages_load_nothing_from_another_host(page, demo, portal):
    own = urlsplit(portal).netloc
    asked, outside = [], []

    def only_the_portal(route):
        url = route.request.url
        if urlsplit(url).netloc == own:
            asked.append(url)
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    page.route("**/*", only_the_portal)
    log_in(page, portal, "administrator")
    for where in (
        "/",
        object_page(portal, ALPINE).removeprefix(portal),
        "/billing/accounts/alpineskihouse/",
        "/admin/",
    ):
        assert page.goto(portal + where).ok, where
    page.goto(f"{portal}/api/docs/")
    page.get_by_role("heading", name=API_TITLE).wait_for()  # Swagger UI drew the schema it fetched
    page.goto(f"{portal}/api/redoc/")
    page.get_by_role("heading", name=API_TITLE).wait_for()  # so did ReDoc
    page.wait_for_load_state("networkidle")
    assert any("/static/portal/portal.css" in url for url in asked)
    assert any("redoc.standalone.js" in url for url in asked)
    assert outside == []


def test_the_pages_break_no_rule_of_their_content_security_policy(page, demo, portal):
    """(ReDoc's page is left out: its policy blocks the logo ReDoc fetches from its CDN, on purpose.)"""
    refused = []
    page.on(
        "console",
        lambda message: refused.append(message.text) if "Content Security Policy" in message.text else None,
    )
    log_in(page, portal, "administrator")
    for where in (
        "/",
        object_page(portal, ALPINE).removeprefix(portal),
        "/email/plans/",
        "/billing/accounts/alpineskihouse/",
        "/billing/bill-run/",
        "/admin/",
        "/admin/portal/auditrecord/",
        "/api/procedures/",
    ):
        assert page.goto(portal + where).ok, where
    page.goto(f"{portal}/api/docs/")  # the documentation pages have a wider policy of their own
    page.get_by_role("heading", name=API_TITLE).wait_for()
    assert refused == []
