"""A cancelled account's mail on the real Postfix and Dovecot: cancelled without an option, Jane
Smith's mail is delivered to the end of the bill period that was paid for and refused from the day
the cancellation takes effect; cancelled at once with proration, it is refused at once and the
unused days are credited."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from billing.models import BillingAccount, CreditNote
from portal.models import AuditRecord
from tests.conftest import PASSWORD
from tests.mail.helpers import rcpt_status, send, wait_for

UPN = "jane.smith@alpineskihouse.com"


@pytest.fixture
def paid_april(mail_servers, billing_demo, bill, monkeypatch):
    """alpineskihouse with package 1 (6.50 a month) from 1 April 2027, invoiced and paid; today
    is 11 April."""
    monkeypatch.setattr("billing.money.today", lambda: dt.date(2027, 4, 1))
    bill(
        "AddPackageToUserWithOptionalServices",
        {"username": "alpineskihouse", "packageID": 1, "NextBillDate": "2027-04-01", "billNow": True},
    )
    bill("AddPayment", {"username": "alpineskihouse", "amount": "6.50", "paymenttype": "Cash"})
    monkeypatch.setattr("billing.money.today", lambda: dt.date(2027, 4, 11))
    return mail_servers


def test_mail_runs_to_the_end_of_the_paid_period_then_stops(paid_april, bill):
    servers = paid_april
    bill("UpdateUserStatusWithOption", {"username": "alpineskihouse", "userstatustypename": "Cancelled"})
    msg = send(servers, UPN)
    wait_for(servers, UPN, PASSWORD, msg["Subject"])
    bill("RunDunning", {"date": "2027-04-30"})
    assert rcpt_status(servers, UPN)[0] == 250
    bill("RunDunning", {"date": "2027-05-01"})
    account = BillingAccount.objects.get(username="alpineskihouse")
    assert (account.status, account.mail_suspended) == ("Cancelled", True)
    assert rcpt_status(servers, UPN)[0] == 550
    disabled = AuditRecord.objects.get(procedure="DisableMailbox", status="succeeded")
    assert disabled.parent.procedure == "RunDunning"
    assert not CreditNote.objects.exists()


def test_cancelled_at_once_with_proration_mail_stops_now_and_the_unused_days_are_credited(paid_april, bill):
    servers = paid_april
    bill(
        "UpdateUserStatusWithOption",
        {
            "username": "alpineskihouse",
            "userstatustypename": "Cancelled",
            "cancelopt": "ImmediatelyWithProratedTransaction",
        },
    )
    assert rcpt_status(servers, UPN)[0] == 550
    # 4.00 + 2.50 for 20 of April's 30 days: 2.67 + 1.67, half up per line
    assert CreditNote.objects.get().total == Decimal("4.34")
    disabled = AuditRecord.objects.get(procedure="DisableMailbox", status="succeeded")
    assert disabled.parent.procedure == "UpdateUserStatusWithOption"
