"""The account page's status, balance, timeline and actions; the dunning page and its job; the
daily dunning command."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command

from billing.models import BillingAccount, DunningRun, Payment, UserPackage
from portal.models import Job


@pytest.fixture(autouse=True)
def _clock(monkeypatch):
    monkeypatch.setattr("billing.money.today", lambda: dt.date(2026, 1, 1))


def _owing(bill):
    return bill(
        "AddPackageToUserWithOptionalServices",
        {"username": "northwind", "packageID": 1, "NextBillDate": "2026-01-01", "billNow": True},
    )["userPackageID"]


def test_the_account_page_shows_status_balance_and_timeline(browser, bill):
    _owing(bill)
    bill("AddPayment", {"username": "northwind", "amount": "2.00", "paymenttype": "Cash", "reference": "r-1"})
    page = browser().get("/billing/accounts/northwind/").content.decode()
    assert "Status and balance" in page and "Enabled" in page
    assert "4.50 USD" in page  # 6.50 invoiced, 2.00 paid
    assert "Timeline" in page and "Cash · r-1" in page
    assert (
        "Cancel a package" in page
        and "Record a payment" in page
        and "Suspend, enable again or cancel" in page
    )


def test_a_customer_administrator_sees_the_standing_but_no_actions(browser, bill):
    bill("AddPayment", {"username": "alpineskihouse", "amount": "3.00", "paymenttype": "Cash"})
    page = browser("alpine-admin").get("/billing/accounts/alpineskihouse/").content.decode()
    assert "-3.00 USD (credit on the account)" in page
    assert "Record a payment" not in page


@pytest.mark.parametrize("amount", ["1.5e1", "1E+3"])
def test_the_payment_form_refuses_an_amount_with_an_exponent(browser, bill, amount):
    _owing(bill)
    answer = browser().post(
        "/billing/accounts/northwind/",
        {"action": "payment", "payment-amount": amount, "payment-payment_type": "Cash"},
    )
    assert answer.status_code == 200
    assert "INVALID AMOUNT" in answer.content.decode()
    assert not Payment.objects.exists()


def test_actions_on_the_account_page_run_the_procedures(browser, bill):
    up = _owing(bill)
    client = browser()
    url = "/billing/accounts/northwind/"
    answer = client.post(
        url,
        {
            "action": "payment",
            "payment-amount": "6.50",
            "payment-payment_type": "Check",
            "payment-check_number": "77",
        },
    )
    assert answer.status_code == 302
    assert Payment.objects.get().check_number == 77
    answer = client.post(
        url, {"action": "status", "status-status": "Suspended", "status-reason": "Asked to pause"}
    )
    assert answer.status_code == 302
    account = BillingAccount.objects.get(username="northwind")
    assert (account.status, account.status_reason) == ("Suspended", "Asked to pause")
    answer = client.post(
        url, {"action": "cancel", "cancel-user_package": up, "cancel-cancel_option": "SpecificDate"}
    )
    assert answer.status_code == 200
    assert "DATE NOT SUPPLIED WHEN REQUIRED" in answer.content.decode()
    answer = client.post(
        url, {"action": "cancel", "cancel-user_package": up, "cancel-cancel_option": "PeriodEnd"}
    )
    assert answer.status_code == 302
    assert UserPackage.objects.get(pk=up).cancel_option == "PeriodEnd"


def test_the_dunning_page_runs_dunning_as_a_job(browser, bill):
    _owing(bill)
    answer = browser().post("/billing/dunning/", {"date": "2026-02-01"})
    assert answer.status_code == 302
    job = Job.objects.get(kind="dunning")
    assert answer["Location"] == f"/jobs/{job.pk}/"


def test_the_daily_command_runs_dunning_as_the_service_identity(bill):
    _owing(bill)
    out = io.StringIO()
    call_command("run_dunning", "--date", "2026-02-01", stdout=out)
    assert "1 accounts past due" in out.getvalue() and "1 suspended" in out.getvalue()
    run = DunningRun.objects.get()
    assert (run.run_date, run.started_by) == (dt.date(2026, 2, 1), "portal-service")


def test_the_reseller_sees_a_suspended_customer_with_reason_and_amount(browser, bill):
    _owing(bill)
    bill("RunDunning", {"date": "2026-02-01"})
    home = browser("contoso-admin").get("/").content.decode()
    assert "northwind" in home and "Unpaid: 6.50 USD past due 31 days" in home
    org = browser("contoso-admin").get("/billing/accounts/northwind/").content.decode()
    assert "Suspended" in org and "disabled for non-payment" in org
    api = browser("contoso-admin").get("/api/billing/accounts/northwind/").json()
    assert (api["status"], api["statusAmount"]) == ("Suspended", "6.50")
