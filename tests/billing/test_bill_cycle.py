"""``Billing::RunBillCycle``: discounts and their occurrences, rounding, idempotency (also of two
runs at once), card charges and their retry."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from billing.models import ChargeAttempt, Invoice, InvoiceLine, PaymentMethod, ServiceDiscount, UserPackage
from portal.engine import Caller, run
from portal.errors import PortalError
from portal.models import AuditRecord


def _discounts(*groups: tuple[str, str, str, int, str]) -> str:
    body = "".join(
        f"<ServiceName>{name}</ServiceName><discountType>{kind}</discountType><discountAmount>{amount}"
        f"</discountAmount><discountOccur>{occur}</discountOccur><discountNote>{note}</discountNote>"
        for name, kind, amount, occur, note in groups
    )
    return f"<ServiceDiscounts>{body}</ServiceDiscounts>"


def _lines(run_date: str, username: str = "northwind") -> dict[str, Decimal]:
    invoice = Invoice.objects.get(account__username=username, issued_on=run_date)
    return {line.service.name: line.amount for line in invoice.lines.all()}


def test_discounts_apply_and_count_down_across_bill_runs(add_package, bill):
    add_package(
        xmlServiceDiscounts=_discounts(
            ("My Service", "Fixed", "3.00", 2, "Two months off"),
            ("Archiving", "Percent", "50", 0, "Half price for ever"),
            ("Mailbox", "Fixed", "5.00", 1, "More than the price"),
        )
    )
    for day in ("2026-01-01", "2026-02-01", "2026-03-01"):
        bill("RunBillCycle", {"date": day})

    assert _lines("2026-01-01") == {
        "Mailbox": Decimal("0.00"),
        "My Service": Decimal("7.00"),
        "Archiving": Decimal("1.25"),
    }
    assert _lines("2026-02-01") == {
        "Mailbox": Decimal("4.00"),
        "My Service": Decimal("7.00"),
        "Archiving": Decimal("1.25"),
    }
    assert _lines("2026-03-01") == {
        "Mailbox": Decimal("4.00"),
        "My Service": Decimal("10.00"),
        "Archiving": Decimal("1.25"),
    }
    left = {d.service.name: (d.times_applied, d.occurrences_left) for d in ServiceDiscount.objects.all()}
    assert left == {"My Service": (2, 0), "Archiving": (3, None), "Mailbox": (1, 0)}
    assert UserPackage.objects.get().next_bill_date == dt.date(2026, 4, 1)


def test_odd_amounts_round_half_up_to_the_cent(bill, add_package):
    bill("CreateService", {"serviceID": 90, "name": "Odd", "price": "3.33"})
    bill("CreateService", {"serviceID": 91, "name": "Tiny", "price": "0.05"})
    bill("CreatePackage", {"packageID": 9, "name": "Odd package", "services": [90, 91]})
    add_package(
        packageID=9,
        xmlOptionalServices="",
        xmlServiceDiscounts=_discounts(("Odd", "Percent", "10", 0, ""), ("Tiny", "Percent", "50", 0, "")),
    )
    bill("RunBillCycle", {"date": "2026-01-01"})
    lines = {line.service.name: line for line in InvoiceLine.objects.all()}
    assert (lines["Odd"].discount, lines["Odd"].amount) == (Decimal("0.33"), Decimal("3.00"))  # 10% of 3.33
    assert (lines["Tiny"].discount, lines["Tiny"].amount) == (Decimal("0.03"), Decimal("0.02"))  # 0.025 up
    assert Invoice.objects.get().total == Decimal("3.02")


def test_running_the_same_date_twice_bills_nothing_twice(add_package, bill):
    add_package(xmlServiceDiscounts="")
    first = bill("RunBillCycle", {"date": "2026-03-10"})
    again = bill("RunBillCycle", {"date": "2026-03-10"})
    assert (first["invoices"], first["lines"]) == (1, 9)  # January to March caught up, 3 services each
    assert (again["invoices"], again["lines"], again["totals"]) == (0, 0, {})
    assert InvoiceLine.objects.count() == 9
    assert Invoice.objects.get().total == Decimal("49.50")


def test_the_database_refuses_a_second_line_for_the_same_period(add_package, bill):
    add_package(xmlServiceDiscounts="")
    bill("RunBillCycle", {"date": "2026-01-01"})
    line = InvoiceLine.objects.first()
    line.pk = None
    with pytest.raises(IntegrityError), transaction.atomic():
        line.save()


def test_username_bills_only_that_account(add_package, bill):
    add_package(xmlServiceDiscounts="")
    add_package(username="alpineskihouse", xmlServiceDiscounts="")
    out = bill("RunBillCycle", {"date": "2026-01-01", "username": "northwind"})
    assert out["invoices"] == 1
    assert list(Invoice.objects.values_list("account__username", flat=True)) == ["northwind"]


def test_child_user_package_is_invoiced_to_the_parent(add_package, bill):
    bill("CreateAccount", {"username": "northwind-child", "parent": "northwind"})
    add_package(username="northwind-child", IsChildUser=True, xmlServiceDiscounts="")
    bill("RunBillCycle", {"date": "2026-01-01"})
    assert list(Invoice.objects.values_list("account__username", flat=True)) == ["northwind"]


def test_yearly_package_is_billed_once_a_year(bill, add_package):
    bill("CreatePackage", {"packageID": 5, "name": "Yearly mail", "billCycle": "yearly", "services": [22]})
    add_package(
        packageID=5, xmlOptionalServices="", xmlServiceDiscounts="", NextBillDate="2026-01-31T00:00:00"
    )
    out = bill("RunBillCycle", {"date": "2026-12-31"})
    assert out["lines"] == 1
    assert UserPackage.objects.get().next_bill_date == dt.date(2027, 1, 31)


def test_declined_card_leaves_the_invoice_open_and_the_next_run_retries_it(
    add_package, bill, django_capture_on_commit_callbacks
):
    bill("SetPaymentCard", {"username": "alpineskihouse", "cardNumber": "4000 0000 0000 0002"})
    add_package(username="alpineskihouse", xmlServiceDiscounts="")
    with django_capture_on_commit_callbacks(execute=True):
        bill("RunBillCycle", {"date": "2026-01-01"})
    invoice = Invoice.objects.get()
    attempt = ChargeAttempt.objects.get()
    assert (invoice.status, attempt.approved, attempt.message) == ("open", False, "Your card was declined.")

    bill("SetPaymentCard", {"username": "alpineskihouse", "cardNumber": "4242424242424242"})
    with django_capture_on_commit_callbacks(execute=True):
        out = bill("RunBillCycle", {"date": "2026-01-15"})  # nothing new is due; the open invoice is retried
    assert out["invoices"] == 0 and out["charges"] == 1
    invoice.refresh_from_db()
    assert invoice.status == "paid"
    assert invoice.payments.get().amount == invoice.total
    keys = sorted(ChargeAttempt.objects.values_list("idempotency_key", "approved"))
    assert keys == [(f"invoice-{invoice.pk}-attempt-1", False), (f"invoice-{invoice.pk}-attempt-2", True)]


def test_full_card_numbers_are_never_stored(bill):
    bill("SetPaymentCard", {"username": "northwind", "cardNumber": "4000000000000002"})
    method = PaymentMethod.objects.get(account__username="northwind")
    row = " ".join(str(value) for value in PaymentMethod.objects.filter(pk=method.pk).values().get().values())
    assert "4000000000000002" not in row
    assert (method.token, method.last4) == ("tok_sandbox_chargeDeclined", "0002")
    record = AuditRecord.objects.filter(procedure="SetPaymentCard").latest("id")
    assert record.input["cardNumber"] == "***"


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_bill_nothing_twice(caller, billing_demo):
    admin = caller("administrator")
    for username in ("northwind", "alpineskihouse"):
        run(
            admin,
            "Billing::AddPackageToUserWithOptionalServices",
            {"username": username, "packageID": 1, "NextBillDate": "2026-01-01T00:00:00"},
            door="api",
        )
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def bill_run() -> None:
        try:
            barrier.wait()
            outcomes.append(
                run(Caller.service(), "Billing::RunBillCycle", {"date": "2026-02-01"}, door="command")
            )
        except PortalError as err:  # SQLite: the second writer may fail cleanly instead of waiting
            outcomes.append(err)
        finally:
            connection.close()

    threads = [threading.Thread(target=bill_run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert len(outcomes) == 2
    assert any(isinstance(outcome, dict) for outcome in outcomes)
    # Two accounts, two periods (January, February), two services each (Mailbox, Archiving).
    assert InvoiceLine.objects.count() == 8
    keys = list(InvoiceLine.objects.values_list("user_package_id", "service_id", "period_start"))
    assert len(keys) == len(set(keys))
    assert sum(o["lines"] for o in outcomes if isinstance(o, dict)) == 8
    assert set(UserPackage.objects.values_list("next_bill_date", flat=True)) == {dt.date(2026, 3, 1)}


def test_queries_of_a_bill_run_do_not_grow_with_the_number_of_accounts(db):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bench.billing_run import FIRST, populate
    from billing.cycle import bill_run_execute
    from portal.engine import Batch, Caller

    reads, totals = [], []
    for size in (10, 60):
        populate(size)
        with Batch(Caller.service(), "test"), CaptureQueriesContext(connection) as captured:
            summary = bill_run_execute(FIRST)  # the step of Billing::RunBillCycle, in its batch
        assert summary.invoices == size
        reads.append(sum(1 for query in captured if query["sql"].startswith("SELECT")))
        totals.append(len(captured))
    # The same reads whatever the size; writes are bulk (the database may split a bulk insert into
    # batches by its parameter limit, never one per account).
    assert reads[0] == reads[1]
    assert totals[1] <= totals[0] + 2


@pytest.mark.load
def test_bench_bill_run_over_two_thousand_accounts_bills_each_once(db):
    from bench.billing_run import throughput

    result = throughput(2000)
    assert result["lines"] == 4000
    assert result["per_second"] > 0


def test_bill_run_reports_its_progress_to_the_job_that_runs_it(add_package, caller):
    from portal.engine import Batch

    add_package(xmlServiceDiscounts="")
    add_package(username="alpineskihouse", xmlServiceDiscounts="")
    seen = []
    with Batch(
        caller("administrator"), "job", progress=lambda done, total=None: seen.append((done, total))
    ) as batch:
        summary = batch.call("Billing::RunBillCycle", {"date": "2026-03-10"})
    assert summary["accounts"] == 2
    assert seen[0] == (0, 2)
    assert seen[-1] == (2, 2)
