"""Dunning's reminders by e-mail, on the real Postfix and Dovecot: the demo's alpineskihouse has
Jane Smith's hosted mailbox as its billing contact; a reminder that dunning takes arrives in that
mailbox (read over IMAP) once the run has committed, and a run that rolls back sends nothing."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import time

import pytest

from billing.models import DunningNotice
from portal.errors import PortalError
from tests.conftest import PASSWORD
from tests.mail.helpers import imap_login

UPN = "jane.smith@alpineskihouse.com"
DAY0 = dt.date(2027, 3, 1)


@pytest.fixture
def smtp(mail_servers, settings):
    """Django's e-mail through the harness's Postfix (as settings EMAIL_HOST/EMAIL_PORT point
    ``make run`` at its own)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = mail_servers.smtp_port
    return mail_servers


@pytest.fixture
def owing(smtp, billing_demo, bill, monkeypatch):
    """alpineskihouse owes 6.50 from DAY0 (invoiced at once; its card declines)."""
    monkeypatch.setattr("billing.money.today", lambda: DAY0)
    bill("SetPaymentCard", {"username": "alpineskihouse", "cardNumber": "4000000000000002"})
    bill(
        "AddPackageToUserWithOptionalServices",
        {"username": "alpineskihouse", "packageID": 1, "NextBillDate": DAY0.isoformat(), "billNow": True},
    )
    return smtp


def inbox(servers) -> list[email.message.EmailMessage]:
    """Every message in Jane Smith's INBOX, oldest first."""
    imap = imap_login(servers, UPN, PASSWORD)
    try:
        imap.select("INBOX", readonly=True)
        _, data = imap.search(None, "ALL")
        messages = []
        for num in data[0].split():
            _, parts = imap.fetch(num, "(BODY.PEEK[])")
            messages.append(email.message_from_bytes(parts[0][1], policy=email.policy.default))
        return messages
    finally:
        imap.logout()


def reminders(servers, notice_ids) -> list[email.message.EmailMessage]:
    return [m for m in inbox(servers) if m["X-Dunning-Notice"] in {str(pk) for pk in notice_ids}]


def test_the_demo_account_has_a_hosted_mailbox_as_its_billing_contact(billing_demo):
    from billing.models import BillingAccount

    assert BillingAccount.objects.get(username="alpineskihouse").billing_email == UPN


def test_a_reminder_arrives_in_the_billing_contacts_mailbox(owing, bill, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        summary = bill("RunDunning", {"date": (DAY0 + dt.timedelta(days=1)).isoformat()})
    assert summary["notices"] == 1
    notice = DunningNotice.objects.get()
    deadline = time.monotonic() + 5
    while not (found := reminders(owing, [notice.pk])) and time.monotonic() < deadline:
        time.sleep(0.05)
    (message,) = found
    assert message["To"] == UPN and message["From"] == "billing@fabrikam.com"
    assert message["Subject"] == f"Payment reminder: 6.50 USD past due (invoice {notice.invoice.number})"
    body = message.get_content()
    assert notice.message in body and "Billing account: alpineskihouse" in body
    assert "Amount due: 6.50 USD" in body


def test_a_dunning_run_that_rolls_back_sends_nothing(
    owing, bill, monkeypatch, django_capture_on_commit_callbacks
):
    def fault(*args, **kwargs):
        raise RuntimeError("the database went away")  # after the notices were taken

    monkeypatch.setattr("billing.procedures.dunning.charges_after_commit", fault)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises((PortalError, RuntimeError)),
    ):
        bill("RunDunning", {"date": (DAY0 + dt.timedelta(days=1)).isoformat()})
    assert callbacks == [] and not DunningNotice.objects.exists()
    before = {m["Message-ID"] for m in inbox(owing)}

    monkeypatch.undo()
    monkeypatch.setattr("billing.money.today", lambda: DAY0)
    with django_capture_on_commit_callbacks(execute=True):
        bill("RunDunning", {"date": (DAY0 + dt.timedelta(days=1)).isoformat()})
    notice = DunningNotice.objects.get()
    deadline = time.monotonic() + 5
    while not reminders(owing, [notice.pk]) and time.monotonic() < deadline:
        time.sleep(0.05)
    new = [m for m in inbox(owing) if m["Message-ID"] not in before]
    assert [m["X-Dunning-Notice"] for m in new] == [str(notice.pk)], "one reminder: the committed run's"


def test_a_notice_the_mail_server_refuses_is_logged_and_the_run_stands(
    owing, bill, caplog, django_capture_on_commit_callbacks
):
    # the catch-up run of day 14 suspends the account: Jane Smith's mailbox is disabled in the
    # same transaction, so its notices, sent after the commit, are refused at RCPT
    with django_capture_on_commit_callbacks(execute=True):
        summary = bill("RunDunning", {"date": (DAY0 + dt.timedelta(days=14)).isoformat()})
    assert summary["suspended"] == 1 and summary["notices"] == 4
    refused = [
        r for r in caplog.records if r.name == "billing.reminders" and "not accepted" in r.getMessage()
    ]
    assert len(refused) == 4 and "550" in refused[0].getMessage()
    assert DunningNotice.objects.count() == 4


def test_the_billing_contact_is_set_through_the_engine_and_checked(billing_demo, bill):
    from billing.models import BillingAccount
    from portal.errors import InvalidArgument

    with pytest.raises(InvalidArgument, match="is not an e-mail address"):
        bill("SetBillingContact", {"username": "northwind", "email": "bob at northwind"})
    assert BillingAccount.objects.get(username="northwind").billing_email == ""
    assert bill("SetBillingContact", {"username": "northwind", "email": "ap@northwindtraders.com"})[
        "email"
    ] == ("ap@northwindtraders.com")
    with pytest.raises(InvalidArgument):
        bill("CreateAccount", {"username": "tailspin", "email": "nowhere"})
    assert not BillingAccount.objects.filter(username="tailspin").exists()
    bill("CreateAccount", {"username": "tailspin", "email": "billing@tailspintoys.com"})
    assert BillingAccount.objects.get(username="tailspin").billing_email == "billing@tailspintoys.com"
