"""The ledger of an account: what it was invoiced, what it paid, what it was credited, how
payments and credit notes are dispersed to invoices, and what it owes.

- An account's **balance** is its open invoice amounts less its undispersed payments and
  credits, which is the same as everything invoiced - everything paid - everything credited. It
  may be negative: credit on the account, which the next invoice uses first.
- A payment or credit note is **dispersed** to open invoices, the oldest first (EngageIP: "Payments
  are dispersed by oldest invoice with an outstanding balance first"); an invoice whose dispersals
  reach its total is paid.
- The **balance due** on a day counts only the invoices due by then.

Called inside an engine transaction by the procedures; the queries per call do not grow with the
number of invoices (aggregates, bulk inserts and updates), so a bill run or dunning over many
accounts calls them a chunk at a time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import DecimalField, F, Max, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from billing.models import (
    BillingAccount,
    CreditNote,
    CreditNoteLine,
    Dispersal,
    Invoice,
    InvoiceLine,
    Payment,
    UserPackage,
)
from billing.money import ZERO, money_round

_MONEY = DecimalField(max_digits=14, decimal_places=2)


def _money(value: object, currency: str) -> Decimal:
    # Sum over a decimal column may come back as an int or float-looking text (SQLite).
    return money_round(Decimal(str(value or 0)), currency)


def _dispersed(source: str) -> Subquery:
    """What has been dispersed of each row (``invoice``, ``payment`` or ``credit_note``)."""
    return Coalesce(
        Subquery(
            Dispersal.objects.filter(**{source: OuterRef("pk")})
            .order_by()
            .values(source)
            .annotate(total=Sum("amount"))
            .values("total"),
            output_field=_MONEY,
        ),
        Value(ZERO),
        output_field=_MONEY,
    )


def open_invoices(account_ids: Iterable[int]):
    """Open invoices of the accounts, oldest first, each with ``dispersed`` (what was paid of it)."""
    return (
        Invoice.objects.filter(account_id__in=list(account_ids), status=Invoice.Status.OPEN)
        .annotate(dispersed=_dispersed("invoice"))
        .order_by("issued_on", "id")
    )


def invoice_open_amount(invoice: Invoice) -> Decimal:
    """What is still owed on ``invoice``."""
    paid = Dispersal.objects.filter(invoice=invoice).aggregate(total=Sum("amount"))["total"]
    return money_round(invoice.total - _money(paid, invoice.currency), invoice.currency)


@dataclass
class _Source:
    payment: Payment | None
    credit_note: CreditNote | None
    left: Decimal
    day: dt.date


def _sources(account_ids: list[int]) -> dict[int, list[_Source]]:
    """Undispersed payments (those to disperse automatically) and credit notes, oldest first."""
    found: dict[int, list[_Source]] = {}
    payments = (
        Payment.objects.filter(account_id__in=account_ids, auto_disperse=True)
        .annotate(dispersed=_dispersed("payment"))
        .filter(amount__gt=F("dispersed"))
    )
    for payment in payments:
        left = money_round(payment.amount - _money(payment.dispersed, payment.currency), payment.currency)
        day = payment.paid_on or payment.received_at.date()
        found.setdefault(payment.account_id, []).append(_Source(payment, None, left, day))
    notes = (
        CreditNote.objects.filter(account_id__in=account_ids)
        .annotate(dispersed=_dispersed("credit_note"))
        .filter(total__gt=F("dispersed"))
    )
    for note in notes:
        left = money_round(note.total - _money(note.dispersed, note.currency), note.currency)
        found.setdefault(note.account_id, []).append(_Source(None, note, left, note.issued_on))
    for sources in found.values():
        sources.sort(key=lambda s: (s.day, 0 if s.credit_note else 1, (s.credit_note or s.payment).pk))
    return found


def accounts_disperse(account_ids: Iterable[int]) -> list[int]:
    """Disperse the undispersed payments and credits of the accounts to their open invoices, the
    oldest invoice first; returns the invoices it paid in full. A fixed number of queries."""
    ids = list(account_ids)
    if not ids:
        return []
    sources = _sources(ids)
    if not sources:
        return []
    invoices: dict[int, list[Invoice]] = {}
    for invoice in open_invoices(sources):
        invoices.setdefault(invoice.account_id, []).append(invoice)
    dispersals: list[Dispersal] = []
    paid: list[Invoice] = []
    for account_id, account_sources in sources.items():
        queue = [
            [inv, money_round(inv.total - _money(inv.dispersed, inv.currency), inv.currency)]
            for inv in invoices.get(account_id, [])
        ]
        queue = [item for item in queue if item[1] > ZERO]
        for source in account_sources:
            while source.left > ZERO and queue:
                invoice, owed = queue[0]
                amount = min(owed, source.left)
                dispersals.append(
                    Dispersal(
                        invoice=invoice, payment=source.payment, credit_note=source.credit_note, amount=amount
                    )
                )
                source.left -= amount
                queue[0][1] = owed - amount
                if queue[0][1] <= ZERO:
                    paid.append(invoice)
                    queue.pop(0)
    Dispersal.objects.bulk_create(dispersals, batch_size=1000)
    if paid:
        Invoice.objects.filter(pk__in=[invoice.pk for invoice in paid]).update(status=Invoice.Status.PAID)
    return [invoice.pk for invoice in paid]


def invoice_disperse_first(invoice: Invoice, payment: Payment) -> None:
    """Disperse ``payment`` to ``invoice`` before anything else (the invoice a card charge was
    made for), then the rest the usual way."""
    owed = invoice_open_amount(invoice)
    amount = min(owed, payment.amount)
    if amount > ZERO:
        Dispersal.objects.create(invoice=invoice, payment=payment, amount=amount)
        if amount >= owed:
            Invoice.objects.filter(pk=invoice.pk).update(status=Invoice.Status.PAID)
            invoice.status = Invoice.Status.PAID
    accounts_disperse([invoice.account_id])


@dataclass(frozen=True)
class Ledger:
    """An account's totals: invoiced, paid, credited, and what follows from them."""

    currency: str
    invoiced: Decimal
    paid: Decimal
    credited: Decimal
    open_amount: Decimal
    due: Decimal

    @property
    def balance(self) -> Decimal:
        """Invoiced - paid - credited (negative: credit on the account)."""
        return self.invoiced - self.paid - self.credited

    @property
    def credit(self) -> Decimal:
        """Payments and credits not dispersed yet."""
        return self.open_amount - self.balance


def accounts_ledger(accounts: Iterable[BillingAccount], *, as_of: dt.date | None = None) -> dict[int, Ledger]:
    """The ledger of each account (``due``: what is owed on invoices due by ``as_of``, less the
    undispersed credit; today's when ``as_of`` is None). Five queries, whatever the number of
    accounts."""
    accounts = list(accounts)
    ids = [account.pk for account in accounts]
    as_of = as_of or dt.date.today()

    def sums(queryset, field: str) -> dict[int, object]:
        return dict(
            queryset.filter(account_id__in=ids)
            .values("account_id")
            .annotate(s=Sum(field))
            .values_list("account_id", "s")
        )

    invoiced = sums(Invoice.objects.order_by(), "total")
    paid = sums(Payment.objects.order_by(), "amount")
    credited = sums(CreditNote.objects.order_by(), "total")
    open_rows = (
        Invoice.objects.filter(account_id__in=ids, status=Invoice.Status.OPEN)
        .annotate(dispersed=_dispersed("invoice"))
        .values_list("account_id", "total", "dispersed", "issued_on", "due_on")
    )
    open_total: dict[int, Decimal] = {}
    open_due: dict[int, Decimal] = {}
    for account_id, total, dispersed, issued_on, due_on in open_rows:
        owed = Decimal(str(total)) - Decimal(str(dispersed or 0))
        open_total[account_id] = open_total.get(account_id, ZERO) + owed
        if (due_on or issued_on) <= as_of:
            open_due[account_id] = open_due.get(account_id, ZERO) + owed
    out = {}
    for account in accounts:
        cur = account.currency
        inv, pay, cred = (_money(d.get(account.pk), cur) for d in (invoiced, paid, credited))
        open_amount = _money(open_total.get(account.pk), cur)
        credit = open_amount - (inv - pay - cred)
        due = money_round(_money(open_due.get(account.pk), cur) - credit, cur)
        out[account.pk] = Ledger(cur, inv, pay, cred, open_amount, due)
    return out


def account_ledger(account: BillingAccount, *, as_of: dt.date | None = None) -> Ledger:
    """The ledger of one account."""
    return accounts_ledger([account], as_of=as_of)[account.pk]


def credit_note_issue(
    account: BillingAccount, *, on: dt.date, reason: str, lines: list[CreditNoteLine], created_by: str
) -> CreditNote | None:
    """Issue a credit note with ``lines`` (those of zero dropped) and disperse it; None when
    nothing is credited."""
    lines = [line for line in lines if line.amount > ZERO]
    if not lines:
        return None
    total = sum((line.amount for line in lines), ZERO)
    note = CreditNote.objects.create(
        account=account,
        issued_on=on,
        currency=account.currency,
        total=total,
        reason=reason[:256],
        created_by=created_by,
    )
    for line in lines:
        line.credit_note = note
    CreditNoteLine.objects.bulk_create(lines)
    accounts_disperse([account.pk])
    return note


def paid_through(user_packages: Iterable[UserPackage]) -> dict[int, dt.date]:
    """The last day each user package is paid for: the end of the latest period billed on a paid
    invoice (a package never billed, or billed only on open invoices, has none)."""
    ids = [up.pk for up in user_packages]
    rows = (
        InvoiceLine.objects.filter(user_package_id__in=ids, invoice__status=Invoice.Status.PAID)
        .order_by()
        .values("user_package_id")
        .annotate(end=Max("period_end"))
        .values_list("user_package_id", "end")
    )
    return {up_id: end for up_id, end in rows if end is not None}


def overdue_accounts(as_of: dt.date):
    """Accounts with an open invoice due before ``as_of``."""
    return BillingAccount.objects.filter(
        Q(invoices__status=Invoice.Status.OPEN)
        & (Q(invoices__due_on__lt=as_of) | Q(invoices__due_on__isnull=True, invoices__issued_on__lt=as_of))
    ).distinct()
