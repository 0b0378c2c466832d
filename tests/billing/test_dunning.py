"""Dunning: reminders with card retries, suspension with the mailboxes disabled through the mail
service's procedures, cancellation, restoration by a payment in the same call, per-reseller
policies, scheduled status changes, and what was paid for honoured until its paid-through date."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from billing.models import BillingAccount, ChargeAttempt, DunningNotice, UserPackage
from portal.models import AuditRecord
from tests.conftest import CONTOSO

D = Decimal
DAY0 = dt.date(2027, 3, 1)


@pytest.fixture
def clock(monkeypatch):
    def _set(day: dt.date) -> None:
        monkeypatch.setattr("billing.money.today", lambda: day)

    return _set


@pytest.fixture
def owing(bill, clock):
    """northwind with package 1 invoiced on DAY0 (6.50 due that day) and nothing paid."""
    clock(DAY0)
    bill(
        "AddPackageToUserWithOptionalServices",
        {"username": "northwind", "packageID": 1, "NextBillDate": DAY0.isoformat(), "billNow": True},
    )
    return BillingAccount.objects.get(username="northwind")


def dun(bill, day: dt.date) -> dict:
    return bill("RunDunning", {"date": day.isoformat()})


def steps(account: str = "northwind") -> list[tuple[str, int]]:
    return sorted(DunningNotice.objects.filter(account__username=account).values_list("step", "day"))


def test_reminders_then_suspension_then_cancellation(bill, owing, clock):
    assert dun(bill, DAY0)["accounts"] == 0  # due today: not past due yet
    for days in (1, 3, 7):
        dun(bill, DAY0 + dt.timedelta(days=days))
    assert steps() == [("retry", 1), ("retry", 3), ("retry", 7)]
    summary = dun(bill, DAY0 + dt.timedelta(days=14))
    assert (summary["suspended"], summary["suspendedAccounts"]) == (1, ["northwind"])
    account = BillingAccount.objects.get(username="northwind")
    assert account.status == "Suspended" and account.status_amount == D("6.50")
    assert account.status_reason.startswith("Unpaid: 6.50 USD past due 14 days")
    assert account.mail_suspended
    summary = dun(bill, DAY0 + dt.timedelta(days=60))
    account.refresh_from_db()
    assert summary["cancelled"] == 1 and account.status == "Cancelled"
    assert not UserPackage.objects.filter(account=account, active=True).exists()
    assert dun(bill, DAY0 + dt.timedelta(days=61))["accounts"] == 0


def test_dunning_is_idempotent_for_a_date(bill, owing):
    first = dun(bill, DAY0 + dt.timedelta(days=20))
    assert (first["notices"], first["suspended"]) == (4, 1)  # the three missed reminders and the suspension
    again = dun(bill, DAY0 + dt.timedelta(days=20))
    assert (again["notices"], again["suspended"], again["retries"]) == (0, 0, 0)
    assert DunningNotice.objects.count() == 4


def test_a_declined_card_is_retried_on_each_retry_day(bill, clock, django_capture_on_commit_callbacks):
    clock(DAY0)
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
    assert ChargeAttempt.objects.filter(approved=False).count() == 1
    for days in (1, 2, 3):
        with django_capture_on_commit_callbacks(execute=True):
            dun(bill, DAY0 + dt.timedelta(days=days))
    assert ChargeAttempt.objects.filter(approved=False).count() == 3  # days 1 and 3 retried, not day 2
    assert steps("alpineskihouse") == [("retry", 1), ("retry", 3)]


def test_a_partial_payment_restores_nothing(bill, owing):
    dun(bill, DAY0 + dt.timedelta(days=14))
    done = bill("AddPayment", {"username": "northwind", "amount": "6.49", "paymenttype": "Cash"})
    assert "restored" not in done
    assert BillingAccount.objects.get(username="northwind").status == "Suspended"


def test_an_organization_without_mailboxes_is_suspended_all_the_same(bill, owing):
    dun(bill, DAY0 + dt.timedelta(days=14))
    record = AuditRecord.objects.get(procedure="RunDunning")
    assert record.status == "succeeded"
    account = BillingAccount.objects.get(username="northwind")
    assert account.status == "Suspended" and account.status_amount == D("6.50")


def test_users_without_a_mailbox_are_skipped_without_a_call(bill, owing):
    """northwind's users have a mail address but no mailbox: billing reads that first and calls
    neither DisableMailbox nor EnableMailbox for them, so no failed call is recorded."""
    suspended = bill(
        "UpdateUserStatusWithOption", {"username": "northwind", "userstatustypename": "Suspended"}
    )
    assert suspended["mailboxes"] == [] and suspended["skipped"]
    dun(bill, DAY0 + dt.timedelta(days=14))
    enabled = bill("UpdateUserStatusWithOption", {"username": "northwind", "userstatustypename": "Enabled"})
    assert enabled["skipped"] == suspended["skipped"]
    assert not AuditRecord.objects.filter(procedure__in=["DisableMailbox", "EnableMailbox"]).exists()


def test_a_reseller_policy_governs_its_customers(bill, owing):
    bill(
        "SetDunningPolicy",
        {"path": f"LDAP://{CONTOSO}", "retryDays": "2", "suspendAfter": 5, "cancelAfter": 9},
    )
    dun(bill, DAY0 + dt.timedelta(days=5))
    assert steps() == [("retry", 2), ("suspended", 5)]
    dun(bill, DAY0 + dt.timedelta(days=9))
    assert BillingAccount.objects.get(username="northwind").status == "Cancelled"


def test_what_was_paid_for_is_honoured_until_its_paid_through_date(bill, clock):
    clock(DAY0)
    bill("SetDunningPolicy", {"retryDays": "1,3,7", "suspendAfter": 14, "cancelAfter": 9999})
    bill("CreateService", {"serviceID": 91, "name": "Annual archive", "price": "120.00"})
    bill(
        "CreatePackage", {"packageID": 91, "name": "Archive yearly", "billCycle": "yearly", "services": [91]}
    )
    bill(
        "AddPackageToUserWithOptionalServices",
        {"username": "northwind", "packageID": 91, "NextBillDate": DAY0.isoformat(), "billNow": True},
    )
    bill("AddPayment", {"username": "northwind", "amount": "120.00", "paymenttype": "Cash"})
    clock(DAY0 + dt.timedelta(days=31))  # a monthly package, not paid
    bill(
        "AddPackageToUserWithOptionalServices",
        {"username": "northwind", "packageID": 1, "NextBillDate": "0001-01-01T00:00:00", "billNow": True},
    )
    suspended_on = DAY0 + dt.timedelta(days=31 + 14)
    result = dun(bill, suspended_on)
    assert result["suspended"] == 1
    account = BillingAccount.objects.get(username="northwind")
    assert account.status == "Suspended" and not account.mail_suspended  # paid through 2028-02-29
    dun(bill, dt.date(2028, 2, 29))
    assert not BillingAccount.objects.get(username="northwind").mail_suspended
    dun(bill, dt.date(2028, 3, 1))
    assert BillingAccount.objects.get(username="northwind").mail_suspended


def test_a_status_change_scheduled_for_a_day_is_applied_by_that_days_dunning(bill, clock):
    clock(DAY0)
    done = bill(
        "UpdateUserStatusWithOption",
        {
            "username": "northwind",
            "userstatustypename": "Suspended",
            "cancelopt": "SpecificDate",
            "specificdate": "2027-03-20T00:00:00",
            "reason": "Asked for a pause",
        },
    )
    assert (done["pendingStatus"], done["effectiveDate"]) == ("Suspended", "2027-03-20")
    assert BillingAccount.objects.get(username="northwind").status == "Enabled"
    assert dun(bill, dt.date(2027, 3, 19))["scheduled"] == 0
    assert dun(bill, dt.date(2027, 3, 20))["scheduled"] == 1
    assert BillingAccount.objects.get(username="northwind").status == "Suspended"


def test_run_dunning_needs_billing_rights(bill, owing):
    from portal.errors import AccessDenied

    with pytest.raises(AccessDenied):
        bill("RunDunning", {"date": "2027-04-01"}, user="cm-admin")


def test_a_users_history_shows_billings_change_to_their_mailbox(bill, browser, gateway):
    """Suspending alpineskihouse disables Jane Smith's mailbox in a nested call: her history
    shows it, with the billing call it was part of, to whoever may see her page."""
    from portal.directory import dn_key
    from portal.selectors import audit_history
    from tests.conftest import JANE

    suspended = bill(
        "UpdateUserStatusWithOption", {"username": "alpineskihouse", "userstatustypename": "Suspended"}
    )
    assert [path.lower() for path in suspended["mailboxes"]] == [f"LDAP://{JANE}".lower()]
    history = audit_history(dn=JANE, reads=False)
    newest = history[0]
    assert (newest.name, newest.status, newest.part_of.name) == (
        "Hosted Email 2007::DisableMailbox",
        "succeeded",
        "Billing::UpdateUserStatusWithOption",
    )
    assert all(r.part_of is None for r in history[1:])  # the demo's own calls, top-level
    assert newest.subject == dn_key(JANE)
    url = f"/organizations/users/{gateway.get(JANE).guid}/"
    for user in ("administrator", "cm-admin"):
        page = browser(user).get(url)
        assert page.status_code == 200
        assert "DisableMailbox (as part of Billing::UpdateUserStatusWithOption)" in page.content.decode()
    assert browser("contoso-admin").get(url).status_code == 404
