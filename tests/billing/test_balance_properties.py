"""A property of every account: for any sequence of package adds, cancellations and payments,
the balance equals invoices - payments - credits to the cent, and the dispersals agree with it
(open invoice amounts less undispersed payments and credits); no invoice or payment is dispersed
beyond its amount, and an invoice is paid exactly when its dispersals reach its total."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing.ledger import account_ledger
from billing.models import BillingAccount, CreditNote, Dispersal, Invoice, Payment, UserPackage
from portal.engine import Batch, Caller

OPTIONS = (
    "ImmediatelyWithFullTransaction",
    "ImmediatelyWithProratedTransaction",
    "ImmediatelyWithNoTransaction",
    "PeriodEnd",
    "SpecificDate",
)
steps = st.lists(
    st.one_of(
        st.tuples(st.just("add"), st.decimals(min_value="0.01", max_value=500, places=2), st.booleans()),
        st.tuples(st.just("cancel"), st.sampled_from(OPTIONS), st.integers(min_value=0, max_value=40)),
        st.tuples(st.just("pay"), st.decimals(min_value="0.01", max_value=400, places=2), st.booleans()),
        st.tuples(st.just("wait"), st.integers(min_value=1, max_value=45), st.booleans()),
    ),
    min_size=1,
    max_size=12,
)


class _Rollback(Exception):
    pass


def _sum(queryset, field: str) -> Decimal:
    return Decimal(str(queryset.aggregate(total=Sum(field))["total"] or 0)).quantize(Decimal("0.01"))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=steps, start=st.dates(min_value=dt.date(2027, 1, 1), max_value=dt.date(2029, 12, 31)))
def test_balance_is_invoices_less_payments_less_credits(billing_demo, monkeypatch, steps, start):
    day = [start]
    monkeypatch.setattr("billing.money.today", lambda: day[0])
    try:
        # one engine batch per example (its calls share it), rolled back at the end
        with Batch(Caller.service(), "test") as batch:

            def bill(name: str, data: dict) -> dict:
                return batch.call(f"Billing::{name}", data)

            number = 0
            for step in steps:
                if step[0] == "add":
                    number += 1
                    service = bill("CreateService", {"name": f"P{number}", "price": str(step[1])})[
                        "serviceID"
                    ]
                    package = bill("CreatePackage", {"name": f"K{number}", "services": [service]})[
                        "packageID"
                    ]
                    bill(
                        "AddPackageToUserWithOptionalServices",
                        {
                            "username": "northwind",
                            "packageID": package,
                            "NextBillDate": (day[0] + dt.timedelta(days=3 if step[2] else 0)).isoformat(),
                            "billNow": True,
                        },
                    )
                elif step[0] == "cancel":
                    up = UserPackage.objects.filter(account__username="northwind", active=True).first()
                    if up is not None and up.cancel_date is None:
                        bill(
                            "CancelUserPackage",
                            {
                                "username": "northwind",
                                "userPackageID": up.pk,
                                "cancelOpt": step[1],
                                "specificDate": (day[0] + dt.timedelta(days=step[2] - 20)).isoformat(),
                            },
                        )
                elif step[0] == "pay":
                    bill(
                        "AddPayment",
                        {
                            "username": "northwind",
                            "amount": str(step[1]),
                            "paymenttype": "Cash",
                            "isAutoDisperse": step[2],
                        },
                    )
                else:
                    day[0] += dt.timedelta(days=step[1])
                    if step[2]:
                        bill("RunBillCycle", {"date": day[0].isoformat()})
            account = BillingAccount.objects.get(username="northwind")
            invoices = Invoice.objects.filter(account=account)
            payments = Payment.objects.filter(account=account)
            credits = CreditNote.objects.filter(account=account)
            invoiced, paid, credited = (
                _sum(invoices, "total"),
                _sum(payments, "amount"),
                _sum(credits, "total"),
            )
            ledger = account_ledger(account, as_of=dt.date(2100, 1, 1))
            assert ledger.balance == invoiced - paid - credited
            open_amount = sum(
                (i.total - _sum(Dispersal.objects.filter(invoice=i), "amount") for i in invoices),
                Decimal("0"),
            )
            undispersed = paid + credited - _sum(Dispersal.objects.filter(invoice__account=account), "amount")
            assert open_amount - undispersed == invoiced - paid - credited
            assert ledger.due == ledger.balance
            for invoice in invoices:
                dispersed = _sum(Dispersal.objects.filter(invoice=invoice), "amount")
                assert dispersed <= invoice.total
                if invoice.total > 0:
                    assert (invoice.status == "paid") == (dispersed == invoice.total)
            for payment in payments:
                assert _sum(payment.dispersals.all(), "amount") <= payment.amount
            for note in credits:
                assert _sum(note.dispersals.all(), "amount") <= note.total
            raise _Rollback
    except _Rollback:
        pass
