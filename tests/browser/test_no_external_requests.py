"""In a real browser, the portal's pages (its own, the admin's and the API's documentation) load
everything from the portal: not one request leaves for another host."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import log_in, object_page
from tests.conftest import ALPINE

pytestmark = pytest.mark.django_db(transaction=True)

API_TITLE = "Hosting provisioning and billing portal API"


PAGES = (
    "/",
    "/email/plans/",
    "/billing/accounts/alpineskihouse/",
    "/billing/bill-run/",
    "/admin/",
    "/admin/portal/auditrecord/",
    "/api/procedures/",
)


def test_pages_load_nothing_from_another_host_and_keep_their_content_security_policy(page, demo, portal):
    own = urlsplit(portal).netloc
    asked, outside, refused = [], [], []

    def only_the_portal(route):
        url = route.request.url
        if urlsplit(url).netloc == own:
            asked.append(url)
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    def policy_refusals(message):
        if "Content Security Policy" in message.text:
            refused.append(message.text)

    page.route("**/*", only_the_portal)
    page.on("console", policy_refusals)
    log_in(page, portal, "administrator")
    for where in (*PAGES, object_page(portal, ALPINE).removeprefix(portal)):
        assert page.goto(portal + where).ok, where
    page.goto(f"{portal}/api/docs/")
    page.get_by_role("heading", name=API_TITLE).wait_for()  # Swagger UI drew the schema it fetched
    assert refused == []
    # ReDoc's page keeps a policy of its own that blocks, on purpose, the logo ReDoc would fetch
    # from its CDN; only that it draws from the portal's files alone is checked there.
    page.goto(f"{portal}/api/redoc/")
    page.get_by_role("heading", name=API_TITLE).wait_for()
    page.wait_for_load_state("networkidle")
    assert any("/static/portal/portal.css" in url for url in asked)
    assert any("redoc.standalone.js" in url for url in asked)
    assert outside == []
