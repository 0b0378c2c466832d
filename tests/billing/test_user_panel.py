"""A user's page shows the billing standing of the account that bills it (its organization's):
status, balance, due now, next bill date and a link to the account page, for those who see the
account (the account page's scope rule). Through the page, on the real directory."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from tests.conftest import BOB, CM, JANE


@pytest.fixture(autouse=True)
def _clock(monkeypatch):
    monkeypatch.setattr("billing.money.today", lambda: dt.date(2026, 1, 1))


@pytest.fixture
def user_url(gateway):
    def _url(dn: str) -> str:
        return f"/organizations/users/{gateway.get(dn).guid}/"

    return _url


def _billing(page: str) -> str:
    """The billing section of a user's page."""
    start = page.index('id="billing-title"')
    return page[start : page.index("</section>", start)]


def _owing(bill, username: str) -> None:
    """Package 1 (Mailbox 4.00 + Archiving 2.50) from 1 January 2026, invoiced at once: 6.50."""
    bill(
        "AddPackageToUserWithOptionalServices",
        {"username": username, "packageID": 1, "NextBillDate": "2026-01-01", "billNow": True},
    )


def test_an_active_account_shows_status_balance_next_bill_date_and_a_link(browser, bill, user_url):
    _owing(bill, "alpineskihouse")
    bill("AddPayment", {"username": "alpineskihouse", "amount": "2.00", "paymenttype": "Cash"})
    for who in ("cm-admin", "alpine-admin", "administrator"):
        response = browser(who).get(user_url(JANE))
        assert response.status_code == 200
        section = _billing(response.content.decode())
        assert '<a href="/billing/accounts/alpineskihouse/">alpineskihouse</a>' in section, who
        assert re.search(r'<dt>Status</dt><dd><strong class="status-enabled">Enabled</strong></dd>', section)
        assert "<dt>Balance</dt><dd>4.50 USD</dd>" in section  # 6.50 invoiced, 2.00 paid
        assert "<dt>Due now</dt><dd>4.50 USD</dd>" in section
        assert "<dt>Next bill date</dt><dd>2026-02-01</dd>" in section
        assert "Mailboxes" not in section


def test_a_suspended_account_shows_the_reason_and_the_amount_due(browser, bill, user_url):
    _owing(bill, "northwind")
    bill("RunDunning", {"date": "2026-02-01"})
    section = _billing(browser("contoso-admin").get(user_url(BOB)).content.decode())
    assert '<a href="/billing/accounts/northwind/">northwind</a>' in section
    assert '<strong class="status-suspended">Suspended</strong>' in section
    assert "Unpaid: 6.50 USD past due 31 days · 6.50 USD due (since 2026-02-01)" in section
    assert "<dt>Mailboxes</dt><dd>disabled</dd>" in section
    assert "<dt>Balance</dt><dd>6.50 USD</dd>" in section


def test_a_scheduled_cancellation_is_shown_with_its_day(browser, bill, user_url):
    _owing(bill, "northwind")
    bill("UpdateUserStatusWithOption", {"username": "northwind", "userstatustypename": "Cancelled"})
    section = _billing(browser("contoso-admin").get(user_url(BOB)).content.decode())
    assert '<strong class="status-enabled">Enabled</strong>' in section
    assert "<dt>Scheduled</dt><dd>Cancelled on 2026-02-01</dd>" in section


def test_a_reseller_sees_no_other_resellers_account_data(browser, bill, user_url):
    _owing(bill, "alpineskihouse")
    _owing(bill, "northwind")
    bill("AddPayment", {"username": "northwind", "amount": "1.25", "paymenttype": "Cash"})
    contoso = browser("contoso-admin")
    page = contoso.get(user_url(BOB)).content.decode()
    section = _billing(page)
    assert "northwind" in section and "<dt>Balance</dt><dd>5.25 USD</dd>" in section
    assert "alpineskihouse" not in page and "6.50" not in section
    assert contoso.get(user_url(JANE)).status_code == 404
    consolidated = browser("cm-admin").get(user_url(JANE)).content.decode()
    assert "northwind" not in consolidated and "5.25" not in consolidated


def test_a_user_whose_organization_has_no_account_has_no_billing_section(
    browser, billing_demo, user_factory, organization_factory, user_url
):
    org = organization_factory("Fabrikam Tea", CM, organization_type="Customer")
    user = user_factory("Ann Lee", org, hosting=True)
    page = browser("cm-admin").get(user_url(user)).content.decode()
    assert "<h1>" in page and 'id="billing-title"' not in page
