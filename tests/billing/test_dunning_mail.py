"""An unpaid account loses its mail on the real Postfix and Dovecot, and gets it back when it pays:
one account from a declined card through dunning to suspension (mail refused, IMAP refused), then
a payment on the EngageIP HTTP POST form, then mail delivered again — the mailbox calls nested in
the billing calls and audited."""

from __future__ import annotations

import datetime as dt
import imaplib

import pytest

from billing.models import BillingAccount, ChargeAttempt
from portal.models import AuditRecord
from tests.conftest import PASSWORD, basic
from tests.mail.helpers import imap_login, rcpt_status, send, wait_for

UPN = "jane.smith@alpineskihouse.com"
DAY0 = dt.date(2027, 3, 1)


@pytest.fixture
def jane(mail_servers, billing_demo):
    """The demo: Jane Smith of AlpineSkiHouse (billing account ``alpineskihouse``) has a working
    mailbox."""
    return mail_servers


def test_a_declined_card_leads_to_suspension_and_a_payment_brings_the_mail_back(
    jane, api, client, bill, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr("billing.money.today", lambda: DAY0)
    bill("SetPaymentCard", {"username": "alpineskihouse", "cardNumber": "4000000000000002"})
    with django_capture_on_commit_callbacks(execute=True):
        bill(
            "AddPackageToUserWithOptionalServices",
            {
                "username": "alpineskihouse",
                "packageID": 1,
                "NextBillDate": DAY0.isoformat(),
                "billNow": True,
                "chargeCreditCard": True,
            },
        )
    assert ChargeAttempt.objects.get().message == "Your card was declined."
    before = send(jane, UPN)
    wait_for(jane, UPN, PASSWORD, before["Subject"])

    for days in (1, 3, 7, 14):
        with django_capture_on_commit_callbacks(execute=True):
            answer = api(
                "post",
                "/api/procedures/",
                json={
                    "namespace": "Billing",
                    "procedure": "RunDunning",
                    "executeData": {"date": (DAY0 + dt.timedelta(days=days)).isoformat()},
                },
            )
        assert answer.status_code == 200, answer.json()
    account = BillingAccount.objects.get(username="alpineskihouse")
    assert (account.status, account.mail_suspended) == ("Suspended", True)
    assert account.status_reason == "Unpaid: 6.50 USD past due 14 days"
    assert ChargeAttempt.objects.filter(approved=False).count() == 4  # at once, then days 1, 3, 7
    assert rcpt_status(jane, UPN)[0] == 550
    with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
        imap_login(jane, UPN, PASSWORD)
    disabled = AuditRecord.objects.get(procedure="DisableMailbox", status="succeeded")
    assert (disabled.parent.procedure, disabled.acting_as) == ("RunDunning", "portal-service")

    answer = client.post(
        "/adminportal/webservice.asmx/AddPayment",
        data="username=alpineskihouse&amount=6.50&detail=&paymenttype=Check&paymentDate=2027-03-16"
        "&isAutoDisperse=true&cardType=&CheckNumber=314",
        content_type="application/x-www-form-urlencoded",
        HTTP_AUTHORIZATION=basic("administrator"),
    )
    assert answer.status_code == 200 and answer.content == b""
    account.refresh_from_db()
    assert (account.status, account.mail_suspended) == ("Enabled", False)
    enabled = AuditRecord.objects.get(procedure="EnableMailbox", status="succeeded")
    assert enabled.parent.procedure == "AddPayment"
    after = send(jane, UPN)
    wait_for(jane, UPN, PASSWORD, after["Subject"])
