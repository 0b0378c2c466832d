"""A customer's administrator changes its users' mailbox plans and sees the usage against its
organization plan's limits move, on the e-mail service page, the organization page and the home
dashboard; a change past a limit is refused beside the field."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import accessibility_violations, log_in, navigate, screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def user_row(page, name: str):
    """The row of one user in the e-mail service page's table of users."""
    return page.get_by_role("row").filter(has=page.get_by_role("link", name=name, exact=True))


def change_plan(page, name: str, plan: str) -> None:
    row = user_row(page, name)
    row.get_by_label(f"Plan for {name}").select_option(plan)
    row.get_by_role("button", name="Change plan").click()


def usage_row(page):
    """AlpineSkiHouse's row of the dashboard's usage against plan limits."""
    usage = page.locator("section").filter(has=page.get_by_role("heading", name="Usage against plan limits"))
    return usage.get_by_role("row").filter(has_text="AlpineSkiHouse")


def test_plan_changes_move_the_usage_and_a_change_past_the_limit_is_refused(page, demo):
    from email_service.models import OrganizationPlan

    # A tight storage limit, so that two mailboxes of the larger kind no longer fit.
    OrganizationPlan.objects.filter(name="Business Premium").update(max_storage_mb=5000)
    log_in(page, demo, "alpine-admin")
    expect(usage_row(page)).to_contain_text("1 of 50")
    expect(usage_row(page)).to_contain_text("2048 of 5000 MB")

    navigate(page, "E-mail service")
    expect(page.get_by_role("heading", level=1)).to_have_text("E-mail service of AlpineSkiHouse")
    expect(page.get_by_label("Mailboxes: 1 of 50")).to_have_attribute("value", "1")
    expect(page.get_by_label("Storage: 2048 MB of 5000 MB")).to_have_attribute("value", "2048")
    expect(user_row(page, "Jane Smith")).to_contain_text("Standard Mailbox")

    change_plan(page, "Jane Smith", "Premium Mailbox")
    expect(page.get_by_role("status")).to_contain_text("The user's plan was changed.")
    expect(user_row(page, "Jane Smith")).to_contain_text("Premium Mailbox")
    expect(page.get_by_label("Storage: 4096 MB of 5000 MB")).to_have_attribute("value", "4096")
    expect(page.get_by_label("Mailboxes: 1 of 50")).to_be_visible()

    # A second mailbox would pass the storage limit: refused beside that user's plan, as chosen.
    change_plan(page, "Alpine Ski House administrator", "Standard Mailbox")
    chosen = page.get_by_label("Plan for Alpine Ski House administrator")
    expect(chosen).to_have_accessible_description(
        "The user plan 'Standard Mailbox' (2048 MB) does not fit the storage limit of the organization "
        "plan 'Business Premium': 4096 of 5000 MB are allocated."
    )
    expect(chosen).to_have_value("Standard Mailbox")
    expect(user_row(page, "Alpine Ski House administrator")).to_contain_text("no mailbox")
    expect(page.get_by_label("Storage: 4096 MB of 5000 MB")).to_be_visible()
    screenshot(page, "email-service-refused")
    assert accessibility_violations(page) == []

    # Jane back on the smaller plan makes room for the administrator's mailbox.
    change_plan(page, "Jane Smith", "Standard Mailbox")
    expect(page.get_by_label("Storage: 2048 MB of 5000 MB")).to_be_visible()
    change_plan(page, "Alpine Ski House administrator", "Standard Mailbox")
    expect(page.get_by_role("status")).to_contain_text("The user's plan was changed.")
    expect(user_row(page, "Alpine Ski House administrator")).to_contain_text("Standard Mailbox")
    expect(page.get_by_label("Mailboxes: 2 of 50")).to_have_attribute("value", "2")
    expect(page.get_by_label("Storage: 4096 MB of 5000 MB")).to_have_attribute("value", "4096")
    screenshot(page, "email-service")

    navigate(page, "Home")
    expect(usage_row(page)).to_contain_text("2 of 50")
    expect(usage_row(page)).to_contain_text("4096 of 5000 MB")
    screenshot(page, "dashboard-alpine-admin")


def test_plan_change_on_the_users_page_shows_on_its_organization(page, demo):
    log_in(page, demo, "alpine-admin")
    navigate(page, "Users")
    page.get_by_role("link", name="Jane Smith", exact=True).click()
    mailbox = page.locator("section").filter(has=page.get_by_role("heading", name="E-mail plan"))
    expect(mailbox).to_contain_text("Standard Mailbox (2048 MB; POP, IMAP, OWA)")
    expect(mailbox.get_by_label("User plan")).to_have_value("Standard Mailbox")

    mailbox.get_by_label("User plan").select_option("Premium Mailbox")
    mailbox.get_by_role("button", name="Change e-mail plan").click()
    expect(page.get_by_role("status")).to_contain_text(
        "The e-mail plan of Jane Smith is now Premium Mailbox."
    )
    expect(mailbox).to_contain_text("Premium Mailbox (4096 MB; POP, IMAP, OWA, ActiveSync)")
    history = page.locator("section").filter(has=page.get_by_role("heading", name="History"))
    newest = history.get_by_role("row").nth(1)  # after the header row
    expect(newest.get_by_role("cell")).to_have_text(
        [re.compile(r"\d{4}-\d\d-\d\d"), "ModifyUserPlan", "alpine-admin", "page", "succeeded"]
    )

    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="AlpineSkiHouse").click()
    email = page.locator("section").filter(has=page.get_by_role("heading", name="E-mail service"))
    expect(email.get_by_label("Storage: 4096 MB of 102400 MB")).to_have_attribute("value", "4096")
    expect(email.get_by_label("Mailboxes: 1 of 50")).to_be_visible()
