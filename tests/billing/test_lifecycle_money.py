"""Money of the lifecycle, with exact amounts (docs/billing.md "Money rules"): proration by days
across month lengths 28 to 31 and leap years, credit notes, balances, credit used by the next
invoice, idempotent payments."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from billing.models import BillingAccount, CreditNote, Invoice, Payment, UserPackage
from billing.money import prorate
from portal.errors import Conflict, InvalidArgument, NotFound, PrerequisiteFailed

D = Decimal


@pytest.fixture
def clock(monkeypatch):
    """Set billing's today: ``clock(dt.date(2028, 2, 10))``."""

    def _set(day: dt.date) -> None:
        monkeypatch.setattr("billing.money.today", lambda: day)

    return _set


@pytest.fixture
def hosting(bill):
    """Package "Hosting 30" (monthly, one service at 30.00), and a function adding it to
    ``northwind`` from a day, optionally invoiced at once; answers the user package ID."""
    bill("CreateService", {"serviceID": 90, "name": "Hosting", "price": "30.00"})
    bill("CreatePackage", {"packageID": 90, "name": "Hosting 30", "services": [90]})

    def _add(start: dt.date, *, bill_now: bool = True, username: str = "northwind") -> int:
        return bill(
            "AddPackageToUserWithOptionalServices",
            {
                "username": username,
                "packageID": 90,
                "NextBillDate": start.isoformat(),
                "billNow": bill_now,
                "chargeCreditCard": False,
                "IsChildUser": False,
            },
        )["userPackageID"]

    return _add


def ledger(username: str = "northwind"):
    from billing.ledger import account_ledger

    return account_ledger(BillingAccount.objects.get(username=username), as_of=dt.date(2099, 1, 1))


@pytest.mark.parametrize(
    ("price", "used", "days", "expected"),
    [
        ("10.00", 15, 31, "4.84"),  # 31-day month: 4.8387 rounds down
        ("10.00", 10, 30, "3.33"),  # 30-day month
        ("10.00", 14, 28, "5.00"),  # February
        ("10.00", 10, 29, "3.45"),  # February of a leap year: 3.4482
        ("0.05", 15, 30, "0.03"),  # exactly half a cent: half up, not to even
        ("30.00", 31, 31, "30.00"),
        ("30.00", 0, 31, "0.00"),
    ],
)
def test_prorate_is_price_times_days_used_over_days_in_period_half_up(price, used, days, expected):
    assert prorate(D(price), used, days, "USD") == D(expected)


@pytest.mark.parametrize(
    ("start", "cancel", "credit"),
    [
        (dt.date(2027, 1, 1), dt.date(2027, 1, 11), "20.32"),  # 21 of 31 days unused
        (dt.date(2027, 4, 1), dt.date(2027, 4, 11), "20.00"),  # 20 of 30
        (dt.date(2027, 2, 1), dt.date(2027, 2, 11), "19.29"),  # 18 of 28
        (dt.date(2028, 2, 1), dt.date(2028, 2, 11), "19.66"),  # 19 of 29 (leap year)
    ],
)
def test_prorated_cancel_credits_the_unused_days_on_a_credit_note(
    bill, hosting, clock, start, cancel, credit
):
    clock(start)
    up = hosting(start)
    invoice = Invoice.objects.get(account__username="northwind")
    assert invoice.total == D("30.00")
    clock(cancel)
    done = bill(
        "CancelUserPackage",
        {"username": "northwind", "userPackageID": up, "cancelOpt": "ImmediatelyWithProratedTransaction"},
    )
    note = CreditNote.objects.get(pk=done["creditNoteIDs"][0])
    assert note.total == D(credit)
    assert note.number == f"CN-{note.pk:06d}"
    (line,) = note.lines.all()
    assert line.period_start == cancel and line.amount == D(credit)
    invoice.refresh_from_db()
    assert invoice.total == D("30.00"), "an issued invoice is never edited"
    assert ledger().balance == D("30.00") - D(credit)
    assert UserPackage.objects.get(pk=up).status == "Canceled"


def test_prorated_cancel_of_an_unbilled_period_invoices_the_days_used(bill, hosting, clock):
    clock(dt.date(2027, 1, 1))
    up = hosting(dt.date(2027, 1, 1), bill_now=False)
    clock(dt.date(2027, 1, 11))
    done = bill(
        "CancelUserPackage",
        {"username": "northwind", "userPackageID": up, "cancelOpt": "ImmediatelyWithProratedTransaction"},
    )
    invoice = Invoice.objects.get(pk=done["invoiceIDs"][0])
    assert invoice.total == D("9.68")  # 10 of 31 days: 9.677
    assert done["creditNoteIDs"] == []


def test_full_transaction_charges_the_whole_period_and_credits_nothing(bill, hosting, clock):
    clock(dt.date(2027, 1, 1))
    up = hosting(dt.date(2027, 1, 1), bill_now=False)
    clock(dt.date(2027, 1, 11))
    done = bill(
        "CancelUserPackage",
        {"username": "northwind", "userPackageID": up, "cancelOpt": "ImmediatelyWithFullTransaction"},
    )
    assert Invoice.objects.get(pk=done["invoiceIDs"][0]).total == D("30.00")
    assert not CreditNote.objects.exists()


def test_no_transaction_invoices_and_credits_nothing(bill, hosting, clock):
    clock(dt.date(2027, 1, 1))
    up = hosting(dt.date(2027, 1, 1))
    clock(dt.date(2027, 1, 11))
    bill(
        "CancelUserPackage",
        {"username": "northwind", "userPackageID": up, "cancelOpt": "ImmediatelyWithNoTransaction"},
    )
    assert Invoice.objects.count() == 1 and not CreditNote.objects.exists()
    assert ledger().balance == D("30.00")


def test_period_end_bills_nothing_more_and_ends_with_the_period(bill, hosting, clock):
    clock(dt.date(2027, 1, 1))
    up = hosting(dt.date(2027, 1, 1))
    clock(dt.date(2027, 1, 20))
    done = bill("CancelUserPackage", {"username": "northwind", "userPackageID": up, "cancelOpt": "PeriodEnd"})
    assert done["cancelDate"] == "2027-02-01"
    assert UserPackage.objects.get(pk=up).status == "Active"
    bill("RunBillCycle", {"date": "2027-02-01"})
    assert Invoice.objects.count() == 1
    package = UserPackage.objects.get(pk=up)
    assert (package.status, package.canceled_on) == ("Canceled", dt.date(2027, 2, 1))


def test_specific_date_later_bills_the_last_period_up_to_that_day(bill, hosting, clock):
    clock(dt.date(2027, 1, 1))
    up = hosting(dt.date(2027, 1, 1))
    clock(dt.date(2027, 1, 5))
    bill(
        "CancelUserPackage",
        {
            "username": "northwind",
            "userPackageID": up,
            "cancelOpt": "SpecificDate",
            "specificDate": "2027-02-15T00:00:00",
        },
    )
    bill("RunBillCycle", {"date": "2027-02-01"})
    february = Invoice.objects.get(issued_on=dt.date(2027, 2, 1))
    assert february.total == D("15.00")  # 14 of 28 days
    assert "14 of 28 days" in february.lines.get().description
    assert UserPackage.objects.get(pk=up).status == "Active"
    clock(dt.date(2027, 2, 15))  # a bill run is dated at most BILLING_RUN_HORIZON_DAYS ahead
    bill("RunBillCycle", {"date": "2027-02-15"})
    package = UserPackage.objects.get(pk=up)
    assert (package.status, package.canceled_on) == ("Canceled", dt.date(2027, 2, 15))
    assert Invoice.objects.count() == 2


def test_specific_date_inside_a_billed_period_credits_the_days_after_it(bill, hosting, clock):
    clock(dt.date(2028, 2, 1))
    up = hosting(dt.date(2028, 2, 1))
    done = bill(
        "CancelUserPackage",
        {
            "username": "northwind",
            "userPackageID": up,
            "cancelOpt": "SpecificDate",
            "specificDate": "2028-02-20",
        },
    )
    assert CreditNote.objects.get(pk=done["creditNoteIDs"][0]).total == D("10.34")  # 10 of 29 days


def test_adding_a_package_mid_period_bills_the_rest_of_the_period_prorated(hosting, clock):
    clock(dt.date(2028, 2, 10))
    up = hosting(dt.date(2028, 3, 1))  # bill date the 1st: 20 of February's 29 days
    invoice = Invoice.objects.get(account__username="northwind")
    assert invoice.total == D("20.69")
    line = invoice.lines.get()
    assert (line.period_start, line.period_end) == (dt.date(2028, 2, 10), dt.date(2028, 2, 29))
    assert UserPackage.objects.get(pk=up).next_bill_date == dt.date(2028, 3, 1)


def test_a_package_change_is_a_cancel_and_an_add_on_the_same_day(bill, hosting, clock):
    clock(dt.date(2027, 4, 1))
    first = hosting(dt.date(2027, 4, 1))
    clock(dt.date(2027, 4, 16))
    bill(
        "CancelUserPackage",
        {"username": "northwind", "userPackageID": first, "cancelOpt": "ImmediatelyWithProratedTransaction"},
    )
    hosting(dt.date(2027, 5, 1))  # the new package from today to the bill date: 15 of 30 days
    assert ledger().invoiced == D("30.00") + D("15.00")
    assert ledger().credited == D("15.00")
    assert ledger().balance == D("30.00")


def test_credit_on_the_account_pays_the_next_invoice_first(bill, hosting, clock):
    clock(dt.date(2027, 4, 1))
    up = hosting(dt.date(2027, 4, 1))
    bill("AddPayment", {"username": "northwind", "amount": "30.00", "paymenttype": "Cash"})
    clock(dt.date(2027, 4, 11))
    bill(
        "CancelUserPackage",
        {"username": "northwind", "userPackageID": up, "cancelOpt": "ImmediatelyWithProratedTransaction"},
    )
    assert ledger().balance == D("-20.00")  # credit on the account
    hosting(dt.date(2027, 4, 11))
    newest = Invoice.objects.order_by("-pk").first()
    assert newest.total == D("30.00")
    assert newest.dispersals.get().amount == D("20.00")
    assert newest.status == "open"
    assert ledger().balance == D("10.00")


def test_a_payment_is_dispersed_to_the_oldest_open_invoice_first(bill, hosting, clock):
    clock(dt.date(2027, 1, 1))
    hosting(dt.date(2027, 1, 1))
    clock(dt.date(2027, 2, 1))
    hosting(dt.date(2027, 2, 1))
    bill(
        "AddPayment",
        {"username": "northwind", "amount": "45.00", "paymenttype": "Check", "CheckNumber": "1001"},
    )
    old, new = Invoice.objects.order_by("issued_on")
    assert old.status == "paid" and old.dispersals.get().amount == D("30.00")
    assert new.status == "open" and new.dispersals.get().amount == D("15.00")


def test_a_retried_payment_with_the_same_reference_records_one_payment(bill, hosting, clock):
    clock(dt.date(2027, 1, 1))
    hosting(dt.date(2027, 1, 1))
    data = {"username": "northwind", "amount": "12.50", "paymenttype": "ACH", "reference": "bank-77"}
    first = bill("AddPayment", data)
    again = bill("AddPayment", data)
    assert first["created"] is True and again["created"] is False
    assert again["paymentID"] == first["paymentID"]
    assert Payment.objects.count() == 1
    check = {"username": "northwind", "amount": "5.00", "paymenttype": "Check", "CheckNumber": "42"}
    bill("AddPayment", check)
    bill("AddPayment", check)
    assert Payment.objects.count() == 2
    with pytest.raises(Conflict):
        bill("AddPayment", {**data, "amount": "12.51"})
    assert ledger().balance == D("12.50")


@pytest.mark.parametrize(
    ("data", "error", "text"),
    [
        ({"username": "nobody"}, NotFound, "INVALID USERNAME"),
        ({"amount": "0"}, InvalidArgument, "INVALID AMOUNT"),
        ({"amount": "-5.00"}, InvalidArgument, "INVALID AMOUNT"),
        ({"amount": "1.005"}, InvalidArgument, "INVALID AMOUNT"),
        ({"amount": "ten"}, InvalidArgument, "INVALID AMOUNT"),
        ({"amount": "1e3"}, InvalidArgument, "INVALID AMOUNT"),
        ({"amount": "5E+1"}, InvalidArgument, "INVALID AMOUNT"),
        ({"amount": "1.5e1"}, InvalidArgument, "INVALID AMOUNT"),
        ({"amount": "NaN"}, InvalidArgument, "INVALID AMOUNT"),
        ({"paymenttype": "Gold bars"}, InvalidArgument, "INVALID PAYMENT TYPE"),
        ({"paymenttype": "Credit Card", "cardType": "Bank of Mum"}, InvalidArgument, "INVALID CARD TYPE"),
        ({"paymenttype": "Check"}, InvalidArgument, "INVALID CHECK NUMBER"),
        ({"paymenttype": "Check", "CheckNumber": "12a"}, InvalidArgument, "INVALID CHECK NUMBER"),
    ],
)
def test_add_payment_exceptions_change_nothing(bill, data, error, text):
    with pytest.raises(error) as caught:
        bill("AddPayment", {"username": "northwind", "amount": "10.00", "paymenttype": "Cash", **data})
    assert caught.value.text == text
    assert not Payment.objects.exists()


def test_a_prospect_may_not_pay(bill):
    bill("UpdateUserStatusWithOption", {"username": "northwind", "userstatustypename": "Prospect"})
    with pytest.raises(PrerequisiteFailed) as caught:
        bill("AddPayment", {"username": "northwind", "amount": "10.00", "paymenttype": "Cash"})
    assert caught.value.text == "USER STATUS DOES NOT ALLOW PAYMENT"


@pytest.mark.parametrize(
    ("data", "text"),
    [
        ({"username": "nobody"}, "INVALID USERNAME"),
        ({"userPackageID": 999999}, "INVALID USER PACKAGE ID"),
        ({"cancelOpt": "SpecificDate"}, "DATE NOT SUPPLIED WHEN REQUIRED"),
        (
            {"cancelOpt": "SpecificDate", "specificDate": "0001-01-01T00:00:00"},
            "DATE NOT SUPPLIED WHEN REQUIRED",
        ),
    ],
)
def test_cancel_user_package_exceptions(bill, hosting, clock, data, text):
    clock(dt.date(2027, 1, 1))
    up = hosting(dt.date(2027, 1, 1))
    with pytest.raises((NotFound, InvalidArgument)) as caught:
        bill(
            "CancelUserPackage",
            {
                "username": "northwind",
                "userPackageID": up,
                "cancelOpt": "ImmediatelyWithNoTransaction",
                **data,
            },
        )
    assert caught.value.text == text
    assert UserPackage.objects.get(pk=up).status == "Active"


def test_a_package_of_another_account_is_an_invalid_user_package_id(bill, hosting, clock):
    clock(dt.date(2027, 1, 1))
    up = hosting(dt.date(2027, 1, 1), username="alpineskihouse")
    with pytest.raises(NotFound) as caught:
        bill("CancelUserPackage", {"username": "northwind", "userPackageID": up, "cancelOpt": "PeriodEnd"})
    assert caught.value.text == "INVALID USER PACKAGE ID"


def test_cancelling_a_cancelled_package_is_user_package_not_active(bill, hosting, clock):
    clock(dt.date(2027, 1, 1))
    up = hosting(dt.date(2027, 1, 1))
    data = {"username": "northwind", "userPackageID": up, "cancelOpt": "ImmediatelyWithNoTransaction"}
    bill("CancelUserPackage", data)
    with pytest.raises(PrerequisiteFailed) as caught:
        bill("CancelUserPackage", data)
    assert caught.value.text == "USER PACKAGE NOT ACTIVE"


def test_balance_due_counts_invoices_due_by_the_day(bill, hosting, clock):
    clock(dt.date(2027, 1, 1))
    hosting(dt.date(2027, 1, 1))
    clock(dt.date(2027, 2, 1))
    hosting(dt.date(2027, 2, 1))
    bill("AddPayment", {"username": "northwind", "amount": "10.00", "paymenttype": "Cash"})
    due = bill("GetUserBalanceDue", {"username": "northwind", "dueDate": "2027-01-15T00:00:00"})
    assert due["balanceDue"] == "20.00"
    due = bill("GetUserBalanceDue", {"username": "northwind", "dueDate": "2027-02-01"})
    assert (due["balanceDue"], due["balance"]) == ("50.00", "50.00")
    with pytest.raises(InvalidArgument) as caught:
        bill("GetUserBalanceDue", {"username": "northwind", "dueDate": "soon"})
    assert caught.value.text == "INVALID DATE"


def test_deleting_an_optional_service_prorated_credits_only_its_unused_days(bill, clock):
    from billing.models import UserService

    clock(dt.date(2027, 4, 1))
    up = bill(
        "AddPackageToUserWithOptionalServices",
        {
            "username": "northwind",
            "packageID": 1,
            "NextBillDate": "2027-04-01",
            "billNow": True,
            "xmlOptionalServices": "<OptionalServices><ServiceID>23</ServiceID></OptionalServices>",
        },
    )["userPackageID"]
    assert Invoice.objects.get().total == D("16.50")  # Mailbox 4.00, Archiving 2.50, My Service 10.00
    user_service = UserService.objects.get(user_package_id=up, service__name="My Service")
    clock(dt.date(2027, 4, 16))
    done = bill(
        "DeleteOptionalUserService",
        {"userServiceID": user_service.pk, "deleteOption": "ImmediatelyWithProratedTransaction"},
    )
    assert CreditNote.objects.get(pk=done["creditNoteIDs"][0]).total == D("5.00")  # 15 of 30 days
    bill("RunBillCycle", {"date": "2027-05-01"})
    assert Invoice.objects.get(issued_on=dt.date(2027, 5, 1)).total == D("6.50")
    with pytest.raises(NotFound) as caught:
        bill(
            "DeleteOptionalUserService",
            {"userServiceID": user_service.pk, "deleteOption": "ImmediatelyWithNoTransaction"},
        )
    assert caught.value.text == "INVALID SERVICE"
