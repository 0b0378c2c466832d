"""Cancelling in the middle of a period already invoiced and paid: by default the service runs to
the end of the bill period (PeriodEnd), nothing more is invoiced and nothing is credited; asked to
end at once with ImmediatelyWithProratedTransaction, the unused days are credited. Status, invoices
and credit notes agree, at every door that cancels (pages, REST, the EngageIP SOAP operations)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from billing.models import BillingAccount, CreditNote, Invoice, UserPackage
from tests.conftest import PASSWORD

D = Decimal
NS = "Logisense_EngageIP"
SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"

# (first day of the month, the day it is cancelled, first day of the next month, unused days of
# the month credited by a prorated cancellation of a 30.00 service)
MONTHS = [
    (dt.date(2027, 1, 1), dt.date(2027, 1, 11), dt.date(2027, 2, 1), "20.32"),  # 21 of 31 days
    (dt.date(2027, 4, 1), dt.date(2027, 4, 11), dt.date(2027, 5, 1), "20.00"),  # 20 of 30
    (dt.date(2027, 2, 1), dt.date(2027, 2, 11), dt.date(2027, 3, 1), "19.29"),  # 18 of 28
    (dt.date(2028, 2, 1), dt.date(2028, 2, 11), dt.date(2028, 3, 1), "19.66"),  # 19 of 29 (leap)
]


@pytest.fixture
def clock(monkeypatch):
    def _set(day: dt.date) -> None:
        monkeypatch.setattr("billing.money.today", lambda: day)

    return _set


@pytest.fixture
def paid(bill, clock):
    """Package "Hosting 30" (one service at 30.00 a month) on ``username`` from ``start``,
    invoiced at once and paid in full; answers the user package ID."""
    bill("CreateService", {"serviceID": 90, "name": "Hosting", "price": "30.00"})
    bill("CreatePackage", {"packageID": 90, "name": "Hosting 30", "services": [90]})

    def _paid(start: dt.date, username: str = "northwind") -> int:
        clock(start)
        up = bill(
            "AddPackageToUserWithOptionalServices",
            {"username": username, "packageID": 90, "NextBillDate": start.isoformat(), "billNow": True},
        )["userPackageID"]
        bill("AddPayment", {"username": username, "amount": "30.00", "paymenttype": "Cash"})
        assert Invoice.objects.get(account__username=username).status == "paid"
        return up

    return _paid


def _balance(username: str = "northwind") -> Decimal:
    from billing.ledger import account_ledger

    return account_ledger(BillingAccount.objects.get(username=username), as_of=dt.date(2099, 1, 1)).balance


@pytest.mark.parametrize(("start", "cancel", "next_start", "_credit"), MONTHS)
def test_a_package_cancelled_at_period_end_is_served_to_the_end_of_what_was_paid(
    bill, paid, clock, start, cancel, next_start, _credit
):
    up = paid(start)
    clock(cancel)
    done = bill("CancelUserPackage", {"username": "northwind", "userPackageID": up, "cancelOpt": "PeriodEnd"})
    assert (done["cancelDate"], done["invoiceIDs"], done["creditNoteIDs"]) == (next_start.isoformat(), [], [])
    package = UserPackage.objects.get(pk=up)
    assert (package.status, package.active, package.cancel_date) == ("Active", True, next_start)
    listed = bill("GetUserPackages", {"username": "northwind"})["userPackages"][0]
    assert listed["PaidThroughDate"] == (next_start - dt.timedelta(days=1)).isoformat() + "T00:00:00"
    bill("RunBillCycle", {"date": next_start.isoformat()})
    package.refresh_from_db()
    assert (package.status, package.canceled_on) == ("Canceled", next_start)
    assert Invoice.objects.count() == 1 and not CreditNote.objects.exists()
    assert _balance() == D("0.00")


@pytest.mark.parametrize(("start", "cancel", "_next", "credit"), MONTHS)
def test_an_account_cancelled_at_once_with_proration_is_credited_the_unused_days(
    bill, paid, clock, start, cancel, _next, credit
):
    up = paid(start)
    clock(cancel)
    done = bill(
        "UpdateUserStatusWithOption",
        {
            "username": "northwind",
            "userstatustypename": "Cancelled",
            "cancelopt": "ImmediatelyWithProratedTransaction",
        },
    )
    assert done["status"] == "Cancelled" and done["cancelledUserPackages"] == [up]
    note = CreditNote.objects.get()
    assert note.total == D(credit)
    assert note.lines.get().period_start == cancel
    assert _balance() == -D(credit)  # paid 30.00, used 30.00 - credit: the rest is credit on the account
    package = UserPackage.objects.get(pk=up)
    assert (package.status, package.canceled_on) == ("Canceled", cancel)
    assert Invoice.objects.get().total == D("30.00"), "an issued invoice is never edited"


@pytest.mark.parametrize(("start", "cancel", "next_start", "_credit"), MONTHS)
def test_an_account_cancelled_without_an_option_ends_with_its_bill_period(
    bill, paid, clock, start, cancel, next_start, _credit
):
    up = paid(start)
    clock(cancel)
    done = bill("UpdateUserStatusWithOption", {"username": "northwind", "userstatustypename": "Cancelled"})
    assert (done["status"], done["pendingStatus"], done["effectiveDate"]) == (
        "Enabled",
        "Cancelled",
        next_start.isoformat(),
    )
    account = BillingAccount.objects.get(username="northwind")
    assert (account.status, account.mail_suspended) == ("Enabled", False)
    assert UserPackage.objects.get(pk=up).cancel_option == "PeriodEnd"
    assert not CreditNote.objects.exists() and _balance() == D("0.00")
    day_before = (next_start - dt.timedelta(days=1)).isoformat()
    bill("RunDunning", {"date": day_before})
    assert BillingAccount.objects.get(username="northwind").status == "Enabled"
    bill("RunBillCycle", {"date": next_start.isoformat()})
    bill("RunDunning", {"date": next_start.isoformat()})
    account.refresh_from_db()
    assert (account.status, account.status_changed_on) == ("Cancelled", next_start)
    assert Invoice.objects.count() == 1 and _balance() == D("0.00")
    assert UserPackage.objects.get(pk=up).status == "Canceled"


def test_period_end_credits_a_later_period_already_invoiced(bill, paid, clock):
    up = paid(dt.date(2027, 1, 1))
    bill("RunBillCycle", {"date": "2027-02-01"})  # February invoiced ahead (28 days, 30.00)
    clock(dt.date(2027, 1, 20))
    done = bill("CancelUserPackage", {"username": "northwind", "userPackageID": up, "cancelOpt": "PeriodEnd"})
    assert done["cancelDate"] == "2027-02-01"
    (line,) = CreditNote.objects.get(pk=done["creditNoteIDs"][0]).lines.all()
    assert (line.amount, line.period_start, line.period_end) == (
        D("30.00"),
        dt.date(2027, 2, 1),
        dt.date(2027, 2, 28),
    )
    assert _balance() == D("0.00")  # January paid; February invoiced and credited in full


def test_a_scheduled_cancellation_outlives_a_suspension_before_its_day(bill, paid, clock):
    paid(dt.date(2027, 4, 1))
    clock(dt.date(2027, 4, 11))
    bill("UpdateUserStatusWithOption", {"username": "northwind", "userstatustypename": "Cancelled"})
    bill(
        "UpdateUserStatusWithOption",
        {"username": "northwind", "userstatustypename": "Suspended", "reason": "Asked to pause"},
    )
    account = BillingAccount.objects.get(username="northwind")
    assert (account.status, account.pending_status) == ("Suspended", "Cancelled")
    assert account.pending_status_date == dt.date(2027, 5, 1)
    bill("RunDunning", {"date": "2027-05-01"})
    assert BillingAccount.objects.get(username="northwind").status == "Cancelled"


# --- the doors ---------------------------------------------------------------------------------


def test_the_account_page_offers_period_end_first_and_cancels_the_account_with_it(bill, paid, clock, browser):
    up = paid(dt.date(2027, 4, 1))
    clock(dt.date(2027, 4, 11))
    client = browser()
    page = client.get("/billing/accounts/northwind/").content.decode()
    assert '<option value="PeriodEnd" selected>At the end of the billing period' in page
    answer = client.post(
        "/billing/accounts/northwind/",
        {"action": "status", "status-status": "Cancelled", "status-reason": "Moving away"},
        follow=True,
    )
    assert "The account is Enabled; Cancelled on 2027-05-01." in answer.content.decode()
    assert UserPackage.objects.get(pk=up).cancel_date == dt.date(2027, 5, 1)
    answer = client.post(
        "/billing/accounts/northwind/",
        {
            "action": "status",
            "status-status": "Cancelled",
            "status-cancel_option": "ImmediatelyWithProratedTransaction",
            "status-reason": "Leaves at once",
        },
    )
    assert answer.status_code == 302
    assert BillingAccount.objects.get(username="northwind").status == "Cancelled"
    assert CreditNote.objects.get().total == D("20.00")  # 20 of April's 30 days


def test_the_rest_door_cancels_at_period_end_unless_told_otherwise(bill, paid, clock, api):
    paid(dt.date(2028, 2, 1))
    clock(dt.date(2028, 2, 11))
    answer = api(
        "post",
        "/api/procedures/",
        json={
            "namespace": "Billing",
            "procedure": "UpdateUserStatusWithOption",
            "executeData": {"username": "northwind", "userstatustypename": "Cancelled"},
        },
    )
    assert answer.status_code == 200, answer.json()
    account = BillingAccount.objects.get(username="northwind")
    assert (account.status, account.pending_status_date) == ("Enabled", dt.date(2028, 3, 1))
    assert not CreditNote.objects.exists()


def _soap(client, operation: str, fields: str) -> bytes:
    body = (
        f'<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="{SOAP11}"><soap:Header>'
        f'<AuthHeader xmlns="{NS}"><Username>administrator</Username><Password>{PASSWORD}</Password>'
        f'</AuthHeader></soap:Header><soap:Body><{operation} xmlns="{NS}">{fields}</{operation}>'
        "</soap:Body></soap:Envelope>"
    )
    answer = client.post(
        "/adminportal/webservice.asmx",
        data=body.encode(),
        content_type="text/xml; charset=utf-8",
        HTTP_SOAPACTION=f'"{NS}/{operation}"',
    )
    assert answer.status_code == 200, answer.content
    return answer.content


def test_the_soap_door_cancels_at_period_end_or_at_once_with_a_credit(bill, paid, clock, client):
    up = paid(dt.date(2027, 2, 1))
    clock(dt.date(2027, 2, 11))
    _soap(
        client,
        "CancelUserPackage",
        f"<username>northwind</username><userPackageID>{up}</userPackageID><cancelOpt>PeriodEnd</cancelOpt>"
        "<specificDate>0001-01-01T00:00:00</specificDate>",
    )
    assert UserPackage.objects.get(pk=up).cancel_date == dt.date(2027, 3, 1)
    assert not CreditNote.objects.exists()
    _soap(
        client,
        "UpdateUserStatusWithOption",
        "<username>northwind</username><userstatustypename>Cancelled</userstatustypename>"
        "<cancelopt>ImmediatelyWithProratedTransaction</cancelopt><specificdate>0001-01-01T00:00:00</specificdate>",
    )
    assert BillingAccount.objects.get(username="northwind").status == "Cancelled"
    assert CreditNote.objects.get().total == D("19.29")  # 18 of February's 28 days
    assert _balance() == D("-19.29")
