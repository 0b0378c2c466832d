"""The bill cycle: invoice the periods of user packages that are due, apply and count down their
discounts, move their next bill dates on.

Called by the procedures (``Billing::RunBillCycle``, ``billNow`` of
``Billing::AddPackageToUserWithOptionalServices``) inside their engine transaction. Work goes in
chunks of accounts with a fixed number of queries per chunk (prefetches, bulk inserts and
updates), so the queries per account stay constant however many accounts there are.

A period is billed once: the database allows one invoice line per user package, service and
period start. Rows being billed are locked (``SELECT ... FOR UPDATE`` where the database has it),
so a second run at the same time waits and then finds nothing due; should it still collide, the
constraint refuses the duplicate, that account's work in this run is rolled back to its savepoint
and counted as skipped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Case, F, Prefetch, QuerySet, When

from billing.ledger import accounts_disperse
from billing.models import (
    BillingAccount,
    BillRun,
    Invoice,
    InvoiceLine,
    ServiceDiscount,
    UserPackage,
    UserService,
)
from billing.money import ZERO, discount_value, money_round, prorate

CHUNK = 500
#: A user package far behind is caught up by at most this many periods in one run.
MAX_PERIODS = 120

Progress = Callable[[int, int], None]


@dataclass
class BillSummary:
    """What a run billed."""

    run_date: dt.date
    accounts: int = 0
    invoices: int = 0
    lines: int = 0
    skipped: int = 0
    totals: dict[str, Decimal] = field(default_factory=dict)
    invoice_ids: list[int] = field(default_factory=list)

    def add(self, other: BillSummary) -> None:
        self.accounts += other.accounts
        self.invoices += other.invoices
        self.lines += other.lines
        self.skipped += other.skipped
        self.invoice_ids.extend(other.invoice_ids)
        for currency, amount in other.totals.items():
            self.totals[currency] = self.totals.get(currency, ZERO) + amount

    def as_dict(self) -> dict:
        """The summary as a procedure answers it."""
        return {
            "date": self.run_date.isoformat(),
            "accounts": self.accounts,
            "invoices": self.invoices,
            "lines": self.lines,
            "skipped": self.skipped,
            "totals": {currency: str(amount) for currency, amount in sorted(self.totals.items())},
        }


def _bill_to_expression() -> Case:
    # A child's user package flagged IsChildUser is invoiced to the parent account.
    return Case(
        When(is_child=True, account__parent__isnull=False, then=F("account__parent_id")),
        default=F("account_id"),
    )


def user_packages_due(run_date: dt.date, *, username: str | None = None) -> QuerySet[UserPackage]:
    """Active user packages whose next bill date is on or before ``run_date``, with ``bill_to_id``
    (the account the invoice goes to); only those billed to ``username`` when given."""
    due = UserPackage.objects.filter(active=True, next_bill_date__lte=run_date).annotate(
        bill_to_id=_bill_to_expression()
    )
    if username:
        due = due.filter(bill_to_id__in=BillingAccount.objects.filter(username=username).values("pk"))
    return due


def _loaded(user_packages: QuerySet[UserPackage]) -> list[UserPackage]:
    return list(
        user_packages.select_related("account", "package")
        .prefetch_related(
            "package__services",
            "optional_services",
            Prefetch("discounts", queryset=ServiceDiscount.objects.order_by("id"), to_attr="all_discounts"),
        )
        .select_for_update(of=("self",))
        .order_by("id")
    )


def _periods(up: UserPackage, run_date: dt.date, *, force: bool) -> list[dt.date]:
    if force:
        return [up.next_bill_date]
    starts: list[dt.date] = []
    start = up.next_bill_date
    # A package cancelled from a later day (PeriodEnd, SpecificDate) is billed up to that day.
    while (
        start <= run_date and len(starts) < MAX_PERIODS and (up.cancel_date is None or start < up.cancel_date)
    ):
        starts.append(start)
        start = up.period_after(start)
    return starts


def _invoice_lines(
    up: UserPackage,
    start: dt.date,
    currency: str,
    touched: dict[int, ServiceDiscount],
    *,
    until: dt.date | None = None,
    period: tuple[dt.date, dt.date] | None = None,
) -> list[InvoiceLine]:
    """The lines of one period of ``up``: each service after its live discounts, never below zero.

    ``until``: the first day not served (a cancellation inside the period, or the next bill date
    of a stub); the lines are then prorated by days, price x days used ÷ days in the period
    (``period``: its first day and the first day after it, the usual period from ``start`` when
    not given), each rounded half up.
    """
    period_start, period_next = period or (start, up.period_after(start))
    stop = min(until, period_next) if until is not None else period_next
    end = stop - dt.timedelta(days=1)
    fraction = None
    if (stop - start).days < (period_next - period_start).days:
        fraction = ((stop - start).days, (period_next - period_start).days)
    services = [*up.package.services.all(), *up.optional_services.all()]
    lines: list[InvoiceLine] = []
    seen: set[int] = set()
    for service in services:
        if service.pk in seen or (not service.recurring and start != up.start_date):
            continue
        seen.add(service.pk)
        gross = money_round(service.price, currency)
        if fraction is not None:
            gross = prorate(gross, fraction[0], fraction[1], currency)
        net = gross
        notes: list[str] = []
        for discount in up.all_discounts:
            if discount.service_id != service.pk or not discount.is_live:
                continue
            off = discount_value(discount.discount_type, discount.amount, net, currency)
            net -= off
            discount.times_applied += 1
            touched[discount.pk] = discount
            label = discount.note or (
                f"{discount.amount}% discount" if discount.discount_type == "Percent" else "discount"
            )
            notes.append(f"{label} -{off}")
        description = f"{up.package.name}: {service.name} ({start.isoformat()} to {end.isoformat()})"
        if fraction is not None:
            description += f", {fraction[0]} of {fraction[1]} days"
        if notes:
            description += "; " + "; ".join(notes)
        lines.append(
            InvoiceLine(
                user_package=up,
                service=service,
                description=description[:512],
                period_start=start,
                period_end=end,
                gross=gross,
                discount=gross - net,
                amount=net,
            )
        )
    return lines


def _bill(
    user_packages: list[UserPackage],
    accounts: dict[int, BillingAccount],
    run_date: dt.date,
    *,
    bill_run: BillRun | None,
    force: bool,
) -> BillSummary:
    """Write the invoices of loaded user packages: one invoice per account billed."""
    summary = BillSummary(run_date)
    by_account: dict[int, list[InvoiceLine]] = {}
    touched: dict[int, ServiceDiscount] = {}
    moved: list[UserPackage] = []
    for up in user_packages:
        account = accounts[up.bill_to_id]
        periods = _periods(up, run_date, force=force)
        for start in periods:
            by_account.setdefault(account.pk, []).extend(
                _invoice_lines(up, start, account.currency, touched, until=up.cancel_date)
            )
        if periods:
            up.next_bill_date = up.period_after(periods[-1])
        if up.cancel_date is not None and up.cancel_date <= run_date and up.next_bill_date >= up.cancel_date:
            # billed up to its cancellation day: it ends
            up.active, up.status, up.canceled_on = False, "Canceled", up.cancel_date
        elif not periods:
            continue
        moved.append(up)
    invoices = []
    for account_id, lines in by_account.items():
        account = accounts[account_id]
        total = sum((line.amount for line in lines), ZERO)
        invoices.append(
            Invoice(
                account=account, bill_run=bill_run, issued_on=run_date, currency=account.currency, total=total
            )
        )
    Invoice.objects.bulk_create(invoices)
    all_lines: list[InvoiceLine] = []
    for invoice in invoices:
        lines = by_account[invoice.account_id]
        for line in lines:
            line.invoice = invoice
        all_lines.extend(lines)
        summary.totals[invoice.currency] = summary.totals.get(invoice.currency, ZERO) + invoice.total
    InvoiceLine.objects.bulk_create(all_lines, batch_size=1000)
    UserPackage.objects.bulk_update(
        moved, ["next_bill_date", "active", "status", "canceled_on"], batch_size=1000
    )
    ServiceDiscount.objects.bulk_update(list(touched.values()), ["times_applied"], batch_size=1000)
    # Credit on the account (payments and credit notes not dispersed yet) pays new invoices first.
    accounts_disperse([invoice.account_id for invoice in invoices])
    summary.accounts = len(invoices)
    summary.invoices = len(invoices)
    summary.lines = len(all_lines)
    summary.invoice_ids = [invoice.pk for invoice in invoices]
    return summary


def _bill_accounts(
    due: QuerySet[UserPackage], account_ids: list[int], run_date: dt.date, bill_run: BillRun | None
) -> BillSummary:
    user_packages = _loaded(due.filter(bill_to_id__in=account_ids))
    accounts = BillingAccount.objects.in_bulk({up.bill_to_id for up in user_packages})
    return _bill(user_packages, accounts, run_date, bill_run=bill_run, force=False)


def bill_run_execute(
    run_date: dt.date,
    *,
    username: str | None = None,
    progress: Progress | None = None,
    bill_run: BillRun | None = None,
) -> BillSummary:
    """Invoice every user package due on or before ``run_date`` (only those billed to
    ``username`` when given), in chunks of accounts; ``progress(done, total)`` after each chunk.

    Must run inside a transaction (the engine's). Running the same date again bills nothing more.
    """
    due = user_packages_due(run_date, username=username)
    account_ids = sorted(set(due.values_list("bill_to_id", flat=True)))
    total = len(account_ids)
    summary = BillSummary(run_date)
    if progress:
        progress(0, total)
    for offset in range(0, total, CHUNK):
        chunk = account_ids[offset : offset + CHUNK]
        try:
            with transaction.atomic():
                summary.add(_bill_accounts(due, chunk, run_date, bill_run))
        except IntegrityError:
            # Another run billed some of these first: bill the others one by one.
            for account_id in chunk:
                try:
                    with transaction.atomic():
                        summary.add(_bill_accounts(due, [account_id], run_date, bill_run))
                except IntegrityError:
                    summary.skipped += 1
        if progress:
            progress(min(offset + CHUNK, total), total)
    user_packages_close_due(run_date)
    return summary


def user_packages_close_due(run_date: dt.date) -> int:
    """End the user packages whose cancellation day has come and that are billed up to it."""
    ending = UserPackage.objects.filter(
        active=True, cancel_date__lte=run_date, next_bill_date__gte=F("cancel_date")
    )
    UserService.objects.filter(user_package__in=ending, canceled_on__isnull=True).update(canceled_on=run_date)
    return ending.update(active=False, status="Canceled", canceled_on=F("cancel_date"))


def user_package_bill_now(up: UserPackage, run_date: dt.date) -> Invoice | None:
    """Invoice the first period of a new user package at once (``billNow``)."""
    loaded = _loaded(UserPackage.objects.filter(pk=up.pk).annotate(bill_to_id=_bill_to_expression()))
    accounts = BillingAccount.objects.in_bulk({item.bill_to_id for item in loaded})
    summary = _bill(loaded, accounts, run_date, bill_run=None, force=True)
    return Invoice.objects.filter(pk__in=summary.invoice_ids).first()


def user_package_bill_period(
    up: UserPackage,
    start: dt.date,
    period_next: dt.date,
    run_date: dt.date,
    *,
    until: dt.date | None = None,
    period_start: dt.date | None = None,
) -> Invoice | None:
    """Invoice ``up`` from ``start`` in the bill period from ``period_start`` (default ``start``)
    to ``period_next`` (the first day of the next one), on one invoice issued on ``run_date``: in
    full, or up to ``until`` (the first day not served) prorated by days. This bills the stub of a
    package added in the middle of a period and the unbilled part of a period that a cancellation
    ends. Moves no bill date; None when nothing is billed."""
    end = until or period_next
    if end <= start:
        return None
    loaded = _loaded(UserPackage.objects.filter(pk=up.pk).annotate(bill_to_id=_bill_to_expression()))
    item = loaded[0]
    account = BillingAccount.objects.get(pk=item.bill_to_id)
    touched: dict[int, ServiceDiscount] = {}
    lines = _invoice_lines(
        item, start, account.currency, touched, until=until, period=(period_start or start, period_next)
    )
    if not lines:
        return None
    invoice = Invoice.objects.create(
        account=account,
        issued_on=run_date,
        currency=account.currency,
        total=sum((line.amount for line in lines), ZERO),
    )
    for line in lines:
        line.invoice = invoice
    InvoiceLine.objects.bulk_create(lines)
    ServiceDiscount.objects.bulk_update(list(touched.values()), ["times_applied"])
    accounts_disperse([account.pk])
    invoice.refresh_from_db(fields=["status"])
    return invoice


def invoices_to_charge(run_date: dt.date, *, username: str | None = None) -> Iterable[int]:
    """Open invoices issued on or before ``run_date`` of accounts with a default card: those a run
    charges (a declined one stays open and is charged again by the next run)."""
    invoices = Invoice.objects.filter(
        status=Invoice.Status.OPEN, issued_on__lte=run_date, account__default_payment_method__isnull=False
    )
    if username:
        invoices = invoices.filter(account__username=username)
    return invoices.order_by("id").values_list("id", flat=True)
