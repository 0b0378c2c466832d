"""A property of every invoice: its total is the sum of its lines, and no line is below zero."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing.cycle import bill_run_execute
from billing.models import BillingAccount, Invoice, Package, Service, ServiceDiscount, UserPackage
from portal.engine import Batch, Caller

prices = st.decimals(min_value=0, max_value=500, places=2)
discounts = st.lists(
    st.one_of(
        st.tuples(st.just("Fixed"), st.decimals(min_value=0, max_value=600, places=2)),
        st.tuples(st.just("Percent"), st.decimals(min_value=0, max_value=100, places=2)),
    ),
    max_size=3,
)


class _Rollback(Exception):
    pass


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    services=st.lists(
        st.tuples(prices, discounts, st.integers(min_value=0, max_value=3)), min_size=1, max_size=4
    ),
    runs=st.integers(min_value=1, max_value=4),
)
def test_invoice_total_is_the_sum_of_its_lines_and_no_line_is_negative(db, services, runs):
    try:
        with Batch(Caller.service(), "test"):  # the bill run's transaction, rolled back after each example
            account = BillingAccount.objects.create(username="prop", currency="USD")
            package = Package.objects.create(name="Prop")
            up = UserPackage.objects.create(
                account=account,
                package=package,
                start_date=dt.date(2026, 1, 31),
                next_bill_date=dt.date(2026, 1, 31),
                bill_day=31,
            )
            for number, (price, service_discounts, occur) in enumerate(services):
                service = Service.objects.create(name=f"S{number}", price=price)
                package.services.add(service)
                for kind, amount in service_discounts:
                    ServiceDiscount.objects.create(
                        user_package=up, service=service, discount_type=kind, amount=amount, occurrences=occur
                    )
            day = dt.date(2026, 1, 31)
            for _ in range(runs):
                bill_run_execute(day)
                day = up.period_after(day)
            invoices = list(Invoice.objects.prefetch_related("lines"))
            assert len(invoices) == runs
            for invoice in invoices:
                amounts = [line.amount for line in invoice.lines.all()]
                assert invoice.total == sum(amounts, Decimal("0"))
                assert all(amount >= 0 for amount in amounts)
                assert all(line.amount == line.gross - line.discount for line in invoice.lines.all())
                assert all(amount == amount.quantize(Decimal("0.01")) for amount in amounts)
            raise _Rollback
    except _Rollback:
        pass
