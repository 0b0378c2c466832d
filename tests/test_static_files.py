"""The portal serves its own CSS and JavaScript (whitenoise) and no page points at another host: no
CDN, no web font, no script from elsewhere."""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command

from portal.directory import default_gateway
from portal.navigation import object_url
from tests.conftest import ALPINE, JANE
from tests.pages import invoice_billed_now

pytestmark = pytest.mark.django_db

# Attributes through which a page loads something or sends the person somewhere.
URL_ATTRIBUTES = {"src", "href", "action", "srcset", "poster", "data", "formaction"}


class References(HTMLParser):
    """Every URL a page's markup names, and what its inline styles import."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[str, str]] = []
        self.inside_style = False

    def handle_starttag(self, tag, attrs):
        self.inside_style = tag == "style"
        for name, value in attrs:
            if name in URL_ATTRIBUTES and value:
                for part in value.split(","):  # srcset: "url size, url size"
                    self.urls.append((tag, part.strip().split(" ")[0]))
            if name == "style" and value:
                self.urls.extend(("style", url) for url in css_urls(value))

    def handle_data(self, data):
        if self.inside_style:
            self.urls.extend(("style", url) for url in css_urls(data))

    def handle_endtag(self, tag):
        self.inside_style = False


def css_urls(css: str) -> list[str]:
    return re.findall(r"""url\(\s*['"]?([^'")]+)""", css) + re.findall(r"""@import\s+['"]([^'"]+)""", css)


def elsewhere(url: str) -> bool:
    """Whether ``url`` points at another host than the portal's own."""
    parts = urlsplit(url)
    return bool(parts.netloc) and parts.hostname not in ("testserver", "localhost", "127.0.0.1")


@pytest.fixture
def demo(slapd, caller):
    """The demo data and an open invoice of alpineskihouse; returns the invoice's page."""
    call_command("load_demo", stdout=io.StringIO())
    return f"/billing/accounts/alpineskihouse/invoices/{invoice_billed_now(caller).pk}/"


def main_pages(invoice: str) -> dict[str, list[str]]:
    """The main pages, by the demo user who sees them."""
    alpine = object_url(default_gateway().get(ALPINE))
    jane = object_url(default_gateway().get(JANE))
    return {
        "administrator": [
            "/",
            "/organizations/",
            alpine,
            "/email/plans/",
            "/billing/",
            "/billing/catalogue/",
            "/billing/accounts/alpineskihouse/",
            invoice,
            "/billing/bill-run/",
            "/admin/",
            "/admin/portal/auditrecord/",
            "/api/docs/",
            "/api/redoc/",
        ],
        "cm-admin": [
            "/",
            "/organizations/users/",
            jane,
            f"{alpine}users/new/",
            "/organizations/import/",
            "/email/subscriptions/",
            "/search/?q=alpine",
        ],
        "alpine-admin": ["/", "/email/organization/"],
    }


def test_no_page_points_at_another_host(client, login, demo):
    pages = {None: ["/login/"], **main_pages(demo)}
    seen, found = 0, {}
    for username, paths in pages.items():
        if username:
            client.force_login(login(username))
        for path in paths:
            response = client.get(path)
            assert response.status_code == 200, path
            parser = References()
            parser.feed(response.content.decode())
            seen += len(parser.urls)
            outside = [f"<{tag}> {url}" for tag, url in parser.urls if elsewhere(url)]
            if outside:
                found[path] = outside
    assert seen > 100  # the pages' links and assets were read
    assert found == {}


def test_css_and_javascript_come_from_the_portal_through_whitenoise(client, login, demo):
    client.force_login(login("administrator"))
    assets = set()
    for path in ("/", "/api/docs/", "/admin/"):
        parser = References()
        parser.feed(client.get(path).content.decode())
        assets |= {
            url for _, url in parser.urls if url.startswith("/static/") and url.endswith((".css", ".js"))
        }
    assert "/static/portal/portal.css" in assets
    assets.add("/static/portal/job.js")  # the job page's progress
    for url in sorted(assets):
        response = client.get(url)
        assert response.status_code == 200, url
        assert type(response).__module__.startswith("whitenoise"), url
        assert response["Content-Type"].split(";")[0] in ("text/css", "text/javascript"), url
        served = b"".join(response.streaming_content) if response.streaming else response.content
        with open(finders.find(url.removeprefix("/static/")), "rb") as original:
            assert served == original.read(), url
        if url.endswith(".css"):
            assert not [ref for ref in css_urls(served.decode()) if elsewhere(ref)], url


def test_every_answer_carries_the_portals_content_security_policy(client, login, demo):
    from portal.middleware import CONTENT_SECURITY_POLICY
    from portal.views import DOCS_CONTENT_SECURITY_POLICY

    assert "script-src 'self';" in CONTENT_SECURITY_POLICY  # no inline script anywhere
    assert client.get("/login/")["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    client.force_login(login("administrator"))
    for url in ("/", demo, "/admin/", "/api/procedures/", "/no-such-page/"):
        assert client.get(url)["Content-Security-Policy"] == CONTENT_SECURITY_POLICY, url
    for url in ("/api/docs/", "/api/redoc/"):  # their own, wider policy is kept
        assert client.get(url)["Content-Security-Policy"] == DOCS_CONTENT_SECURITY_POLICY, url
