"""Nobody reaches another reseller's or another customer's objects by typing their addresses: the
page refuses in plain words and shows nothing of them."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import accessibility_violations, log_in, screenshot
from tests.conftest import ALPINE, BOB, CM, CONTOSO, DC, LITWARE, NORTHWIND

pytestmark = pytest.mark.django_db(transaction=True)


def guid(dn: str) -> str:
    from portal.directory import get_gateway

    return str(get_gateway(DC).get(dn).guid)


def refused(page, url: str, status: int, *, reason: str) -> str:
    """Open ``url``; the answer is ``status`` with a page that says ``reason``. Returns its text."""
    response = page.goto(url)
    assert response.status == status, url
    expect(page.get_by_role("alert")).to_contain_text(reason)
    return page.inner_text("main")


def test_reseller_cannot_open_another_resellers_objects(page, demo):
    log_in(page, demo, "cm-admin")
    not_found = [
        (f"/organizations/{guid(NORTHWIND)}/", "No organization with that GUID in your scope."),
        (f"/organizations/{guid(CONTOSO)}/", "No organization with that GUID in your scope."),
        (f"/organizations/{guid(NORTHWIND)}/users/new/", "No organization with that GUID in your scope."),
        (f"/organizations/{guid(NORTHWIND)}/delete/", "No organization with that GUID in your scope."),
        (f"/organizations/users/{guid(BOB)}/", "No user with that GUID in your scope."),
        (f"/organizations/users/{guid(BOB)}/delete/", "No user with that GUID in your scope."),
        ("/billing/accounts/northwind/", "No such billing account."),
    ]
    for url, reason in not_found:
        text = refused(page, demo + url, 404, reason=reason)
        assert "Northwind" not in text and "Bob Kelly" not in text and "Contoso" not in text, url
        # The portal's frame is still there, to go on from.
        expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    screenshot(page, "not-found")
    assert accessibility_violations(page) == []

    # Another reseller's customer's e-mail service: the engine's refusal, no plan, domain or user.
    northwind = f"LDAP://{NORTHWIND}"
    text = refused(
        page,
        f"{demo}/email/organization/?organization={northwind}",
        403,
        reason=f"<organization> {NORTHWIND} is outside the scope of cm-admin.",
    )
    assert "Bob Kelly" not in text and "Your plan" not in text and "SMTP domains" not in text
    screenshot(page, "email-service-out-of-scope")

    # Lists and search show nothing of the other reseller either.
    for url in ("/organizations/", "/organizations/users/", "/billing/", "/email/subscriptions/", "/"):
        page.goto(demo + url)
        body = page.inner_text("main")
        assert "Northwind" not in body and "Bob Kelly" not in body and "Contoso" not in body, url
    page.get_by_label("Search organizations, users, SMTP domains and billing accounts").fill("Northwind")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("status")).to_have_text("0 found for “Northwind”.")


def test_customer_administrator_cannot_open_a_sibling_customer_or_its_reseller(page, demo):
    log_in(page, demo, "alpine-admin")
    for url, reason in [
        (f"/organizations/{guid(LITWARE)}/", "No organization with that GUID in your scope."),
        (f"/organizations/{guid(CM)}/", "No organization with that GUID in your scope."),
        (f"/organizations/{guid(CM)}/users/new/", "No organization with that GUID in your scope."),
        (f"/organizations/users/{guid(f'CN=cm-admin,{CM}')}/", "No user with that GUID in your scope."),
        ("/billing/accounts/northwind/", "No such billing account."),
    ]:
        text = refused(page, demo + url, 404, reason=reason)
        assert "Litware" not in text and "cm-admin" not in text, url

    text = refused(
        page,
        f"{demo}/email/organization/?organization=LDAP://{LITWARE}",
        403,
        reason=f"<organization> {LITWARE} is outside the scope of alpine-admin.",
    )
    assert "Your plan" not in text

    # The reseller's own pages show only what is the customer's.
    page.goto(f"{demo}/email/subscriptions/")
    rows = page.get_by_role("row")
    expect(rows.filter(has_text="AlpineSkiHouse").first).to_be_visible()
    expect(page.get_by_role("button", name="Unsubscribe AlpineSkiHouse")).to_have_count(0)
    expect(page.get_by_role("heading", name="Subscribe a customer")).to_have_count(0)
    page.goto(f"{demo}/organizations/new/")
    expect(
        page.get_by_text("There is no reseller in your scope where you may create an organization.")
    ).to_be_visible()
    page.goto(f"{demo}/billing/bill-run/")
    expect(page.get_by_role("button", name="Run the bill cycle")).to_have_count(0)
    page.goto(f"{demo}/organizations/{guid(ALPINE)}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("AlpineSkiHouse")
    expect(page.get_by_role("navigation", name="Breadcrumb")).not_to_contain_text("ConsolidatedMessenger")
