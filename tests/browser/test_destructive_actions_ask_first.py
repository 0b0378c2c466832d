"""Deleting a user or an organization, or ending a subscription, first shows a page that asks;
cancelling there changes nothing, confirming does it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import accessibility_violations, log_in, navigate, screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def test_deleting_a_user_asks_first_and_cancel_keeps_it(page, demo):
    log_in(page, demo, "alpine-admin")
    navigate(page, "Users")
    page.get_by_role("link", name="Jane Smith", exact=True).click()
    jane = page.url

    page.get_by_role("link", name="Delete this user").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete the user Jane Smith?")
    expect(page.get_by_text("This deletes LDAP://CN=Jane Smith,OU=AlpineSkiHouse")).to_be_visible()
    screenshot(page, "user-delete-confirm")
    assert accessibility_violations(page) == []
    page.get_by_role("link", name="Cancel").click()
    expect(page).to_have_url(jane)
    expect(page.get_by_role("heading", level=1)).to_have_text("Jane Smith")

    page.get_by_role("link", name="Delete this user").click()
    page.get_by_role("button", name="Delete").click()
    expect(page.get_by_role("status")).to_contain_text("The user Jane Smith was deleted.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Users")
    expect(page.get_by_role("link", name="Jane Smith", exact=True)).to_have_count(0)
    assert page.goto(jane).status == 404


def test_deleting_an_organization_asks_first_and_says_what_stops_it(page, demo):
    log_in(page, demo, "cm-admin")
    navigate(page, "Organizations")
    page.get_by_role("link", name="AlpineSkiHouse", exact=True).click()
    alpine = page.url

    page.get_by_role("link", name="Delete this organization").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete the organization AlpineSkiHouse?")
    page.get_by_role("link", name="Cancel").click()
    expect(page).to_have_url(alpine)
    expect(page.get_by_role("heading", level=1)).to_have_text("AlpineSkiHouse")

    # Confirmed without its users: the engine says why not, on the same page.
    page.get_by_role("link", name="Delete this organization").click()
    page.get_by_role("button", name="Delete").click()
    expect(page.get_by_role("alert")).to_contain_text("still holds 2 user(s)")
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete the organization AlpineSkiHouse?")
    screenshot(page, "organization-delete-refused")
    assert page.goto(alpine).status == 200

    page.get_by_role("link", name="Delete this organization").click()
    page.get_by_label("Also delete every user and organization it holds").check()
    page.get_by_role("button", name="Delete").click()
    expect(page.get_by_role("status")).to_contain_text("The organization AlpineSkiHouse was deleted.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Organizations")
    expect(page.get_by_role("link", name="AlpineSkiHouse", exact=True)).to_have_count(0)
    assert page.goto(alpine).status == 404


def test_ending_a_subscription_asks_first(page, demo):
    log_in(page, demo, "cm-admin")
    navigate(page, "Subscriptions")
    page.get_by_role("button", name="Unsubscribe AlpineSkiHouse").click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text(
        "will lose its subscription, its SMTP domains and its users' mailbox plans."
    )
    screenshot(page, "unsubscribe-confirm")
    dialog.get_by_role("link", name="Cancel").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Customers' e-mail subscriptions")
    expect(page.get_by_role("row").filter(has_text="alpineskihouse.com")).to_be_visible()

    page.get_by_role("button", name="Unsubscribe AlpineSkiHouse").click()
    page.get_by_role("button", name="Yes, unsubscribe").click()
    expect(page.get_by_role("status")).to_contain_text("The customer was unsubscribed.")
    expect(page.get_by_text("No customer of yours subscribes to hosted e-mail yet.")).to_be_visible()
