"""Each role logs in through a real browser and sees who it is and what it reaches."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import accessibility_violations, log_in, screenshot

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(
    ("username", "role", "scope"),
    [
        ("administrator", "DomainAdmins", "LDAP://OU=Hosting,DC=fabrikam,DC=com"),
        ("cm-admin", "OrgCreators", "LDAP://OU=ConsolidatedMessenger,OU=Hosting,DC=fabrikam,DC=com"),
        (
            "alpine-admin",
            "CustomerAdministrators",
            "LDAP://OU=AlpineSkiHouse,OU=ConsolidatedMessenger,OU=Hosting,DC=fabrikam,DC=com",
        ),
    ],
)
def test_each_role_logs_in_and_sees_its_role_and_scope(page, portal, username, role, scope):
    log_in(page, portal, username)
    assert page.get_by_role("heading", level=1).inner_text().startswith("Welcome")
    assert role in page.inner_text(".who")
    page.get_by_text("Who you are").click()
    assert scope in page.inner_text("details")
    screenshot(page, f"home-{username}")
    assert accessibility_violations(page) == []


def test_wrong_password_keeps_the_name_and_says_why(page, portal):
    log_in(page, portal, "cm-admin", "wrong")
    assert page.get_by_role("alert").is_visible()
    assert page.get_by_label("User name").input_value() == "cm-admin"
    screenshot(page, "login-refused")
    assert accessibility_violations(page) == []


def test_login_page_works_with_the_keyboard_alone(page, portal):
    page.goto(f"{portal}/login/")
    # focus starts in the form (autofocus is applied at the next rendering, maybe after "load")
    expect(page.get_by_label("User name")).to_be_focused()
    page.keyboard.type("alpine-admin")
    page.keyboard.press("Tab")
    page.keyboard.type("Passw0rd!")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{portal}/")
    assert "CustomerAdministrators" in page.inner_text("body")


def test_login_page_reads_on_a_phone(phone, portal):
    phone.goto(f"{portal}/login/")
    screenshot(phone, "login-phone")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    assert accessibility_violations(phone) == []
