"""Staff see a login lockout on their home page and lift it: *Unlock* asks first, then the
lockout is gone and the account logs in again."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import accessibility_violations, log_in, screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def test_staff_unlock_a_locked_out_account(page, chromium, portal, settings):
    settings.AXES_FAILURE_LIMIT = 3
    log_in(page, portal, "administrator")  # before the lockout: it also locks this address out
    outsider = chromium.new_context().new_page()
    for _ in range(3):
        log_in(outsider, portal, "jane.smith", "Wr0ng")
    expect(outsider.get_by_text("Too many failed logins")).to_be_visible()

    page.reload()
    panel = page.locator("section", has=page.get_by_role("heading", name="Login lockouts"))
    expect(panel.get_by_role("row")).to_have_count(3)  # the header, the account, the address
    expect(panel).to_contain_text("jane.smith")
    expect(panel).to_contain_text("pages")
    screenshot(page, "home-staff-lockouts")
    assert accessibility_violations(page) == []

    panel.get_by_role("button", name="Unlock account jane.smith").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Unlock the account jane.smith?")
    page.get_by_role("button", name="Yes, unlock").click()
    expect(page.get_by_role("status")).to_contain_text("Unlocked the account jane.smith.")
    expect(page.get_by_text("No account or address is locked out.")).to_be_visible()

    log_in(outsider, portal, "jane.smith")
    expect(outsider.get_by_role("heading", level=1)).to_contain_text("Welcome")
    outsider.context.close()
