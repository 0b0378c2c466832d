"""A reseller takes on a new customer through the pages: the organization, its first user, the
hosted e-mail service on one of the reseller's plans, and the user's mailbox plan. Each step's
page shows its result; a refusal shows the engine's words beside the field, keeping what was typed."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import accessibility_violations, log_in, navigate, screenshot

pytestmark = pytest.mark.django_db(transaction=True)

STRONG = "Str0ng-Secret"


def section(page, heading: str):
    """The card headed ``heading``."""
    return page.locator("section").filter(has=page.get_by_role("heading", name=heading, exact=True))


def test_reseller_creates_a_customer_with_a_user_a_subscription_and_a_mailbox(page, demo):
    log_in(page, demo, "cm-admin")

    # The organization: a name in use is refused beside the name, the rest kept.
    navigate(page, "Organizations")
    page.get_by_role("link", name="Create an organization").click()
    expect(page.get_by_label("Create in")).to_have_value(re.compile("ConsolidatedMessenger"))
    page.get_by_label("Name", exact=True).fill("AlpineSkiHouse")
    page.get_by_label("SMTP domain", exact=True).fill("tailspintoys.com")
    page.get_by_label("Description").fill("Toys and games")
    page.get_by_role("button", name="Create").click()
    name = page.get_by_label("Name", exact=True)
    expect(name).to_have_accessible_description(
        re.compile("An organization named AlpineSkiHouse already exists")
    )
    expect(name).to_have_value("AlpineSkiHouse")
    expect(page.get_by_label("Description")).to_have_value("Toys and games")
    screenshot(page, "organization-refused")
    name.fill("Tailspin Toys")
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Tailspin Toys")
    expect(page.get_by_role("status")).to_contain_text("The organization Tailspin Toys was created.")
    details = section(page, "Details")
    expect(details).to_contain_text("Customer")
    expect(details).to_contain_text("Toys and games")
    expect(section(page, "E-mail service")).to_contain_text("Not subscribed.")
    screenshot(page, "organization")

    # Its first user: a weak password is refused beside the password; the name stays.
    page.get_by_role("link", name="Create a user").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New user in Tailspin Toys")
    page.get_by_label("User principal name").fill("kim@tailspintoys.com")
    page.get_by_label("Password").fill("password")
    page.get_by_label("Display name").fill("Kim Abercrombie")
    page.get_by_role("button", name="Create").click()
    password = page.get_by_label("Password")
    expect(password).to_have_accessible_description(re.compile("The password is too"))
    expect(password).to_have_value("")  # a password is never sent back
    expect(page.get_by_label("User principal name")).to_have_value("kim@tailspintoys.com")
    screenshot(page, "user-refused")
    password.fill(STRONG)
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_role("status")).to_contain_text("The user kim@tailspintoys.com was created.")
    expect(
        section(page, "Users").get_by_role("link", name="kim@tailspintoys.com", exact=True)
    ).to_be_visible()

    # The e-mail service, on the subscriptions page the organization page leads to.
    page.get_by_role("link", name="Subscribe Tailspin Toys on the subscriptions page").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Customers' e-mail subscriptions")
    subscribe = section(page, "Subscribe a customer")
    subscribe.get_by_label("Customer").select_option(label="Tailspin Toys")
    subscribe.get_by_label("Organization plan").select_option("Business Basic")
    subscribe.get_by_label("SMTP domain").fill("tailspintoys.com")
    subscribe.get_by_role("button", name="Subscribe").click()
    # The plan has not been passed on to the customer yet: the engine says so beside the plan.
    subscribe = section(page, "Subscribe a customer")
    expect(subscribe.get_by_label("Organization plan")).to_have_accessible_description(
        re.compile("The organization plan 'Business Basic' is not available to LDAP://OU=Tailspin Toys")
    )
    expect(subscribe.get_by_label("SMTP domain")).to_have_value("tailspintoys.com")

    pass_on = section(page, "Pass a plan on to a customer")
    pass_on.get_by_label("Organization:", exact=True).select_option(label="Tailspin Toys")
    pass_on.get_by_label("Organization plan").select_option("Business Basic")
    pass_on.get_by_role("button", name="Pass on").click()
    expect(page.get_by_role("status")).to_contain_text("The plan was passed on.")
    available = section(page, "Plans available").get_by_role("row").filter(has_text="OU=Tailspin Toys")
    expect(available).to_contain_text("Business Basic")

    # A domain another customer has (in other letters) is refused beside the domain, as typed.
    subscribe = section(page, "Subscribe a customer")
    subscribe.get_by_label("Customer").select_option(label="Tailspin Toys")
    subscribe.get_by_label("Organization plan").select_option("Business Basic")
    subscribe.get_by_label("SMTP domain").fill("AlpineSkiHouse.com")
    subscribe.get_by_role("button", name="Subscribe").click()
    subscribe = section(page, "Subscribe a customer")
    domain = subscribe.get_by_label("SMTP domain")
    expect(domain).to_have_accessible_description("The SMTP Domain alpineskihouse.com is not available.")
    expect(domain).to_have_value("AlpineSkiHouse.com")
    expect(subscribe.get_by_label("Customer")).to_have_value(re.compile("OU=Tailspin Toys"))
    screenshot(page, "subscriptions-refused")
    domain.fill("tailspintoys.com")
    subscribe.get_by_role("button", name="Subscribe").click()
    expect(page.get_by_role("status")).to_contain_text("The customer was subscribed.")
    row = section(page, "Subscriptions").get_by_role("row").filter(has_text="Tailspin Toys")
    expect(row).to_contain_text("Business Basic")
    expect(row).to_contain_text("tailspintoys.com")
    expect(row).to_contain_text("0 of 10")
    screenshot(page, "subscriptions")
    assert accessibility_violations(page) == []

    # The user's mailbox: its page offers the user plans of the customer's organization plan.
    page.get_by_label("Search organizations, users, SMTP domains and billing accounts").fill("Kim")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Kim Abercrombie", exact=True).click()
    mailbox = section(page, "E-mail plan")
    expect(mailbox).to_contain_text("No mailbox.")
    mailbox.get_by_label("User plan").select_option("Basic Mailbox")
    mailbox.get_by_role("button", name="Change e-mail plan").click()
    expect(page.get_by_role("status")).to_contain_text(
        "The e-mail plan of kim@tailspintoys.com is now Basic Mailbox."
    )
    expect(section(page, "E-mail plan")).to_contain_text(
        "Basic Mailbox (1024 MB; POP, IMAP, OWA) of the organization plan Business Basic."
    )
    screenshot(page, "user")

    # Back on the organization: subscribed, its domain, one mailbox used of ten.
    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="Tailspin Toys").click()
    email = section(page, "E-mail service")
    expect(email).to_contain_text("Business Basic")
    expect(email).to_contain_text("tailspintoys.com")
    expect(email.get_by_text("Mailboxes: 1 of 10")).to_be_visible()
    expect(email.get_by_text("Storage: 1024 MB of 10240 MB")).to_be_visible()
    assert accessibility_violations(page) == []
