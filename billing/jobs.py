"""Billing's background jobs: the bill run and dunning, with progress, as the user who started them."""

from __future__ import annotations

from billing.models import DunningNotice, Invoice
from portal.engine import Batch, Caller
from portal.jobs import JobRun, job_kind


@job_kind(
    "bill-run",
    stopped_hint="A bill run bills each account once for a date: start it again for the same date to bill "
    "the accounts this one did not reach.",
)
def bill_run_job(run: JobRun, params: dict) -> dict:
    """Run ``Billing::RunBillCycle`` with ``params``; a result row per invoice it issued (the
    account, the invoice and its status once the card charges were tried), and the summary in
    plain words."""
    with Batch(Caller.from_user(run.user), "job", progress=run.progress) as batch:
        result = batch.call("Billing::RunBillCycle", params)
    invoices = (
        Invoice.objects.filter(bill_run_id=result["billRunID"])
        .select_related("account")
        .order_by("account__username", "pk")
    )
    for line, invoice in enumerate(invoices.iterator(chunk_size=2000), start=1):
        run.item(
            line,
            invoice.status,
            invoice.account.username,
            f"Invoice {invoice.number}: {invoice.total} {invoice.currency}",
        )
    totals = ", ".join(f"{amount} {currency}" for currency, amount in result.get("totals", {}).items())
    return {
        "Date": str(result["date"]),
        "Accounts invoiced": result["accounts"],
        "Invoices": result["invoices"],
        "Invoice lines": result["lines"],
        "Already billed by another run": result["skipped"],
        "Card charges started": result["charges"],
        "Totals": totals or "nothing billed",
    }


@job_kind(
    "dunning",
    stopped_hint="Dunning takes each step once per invoice: start it again for the same date to finish it.",
)
def dunning_job(run: JobRun, params: dict) -> dict:
    """Run ``Billing::RunDunning`` with ``params``; a result row per notice it took (the account,
    the step and its message), and the summary in plain words."""
    with Batch(Caller.from_user(run.user), "job", progress=run.progress) as batch:
        result = batch.call("Billing::RunDunning", params)
    notices = (
        DunningNotice.objects.filter(dunning_run_id=result["dunningRunID"])
        .select_related("account")
        .order_by("account__username", "pk")
    )
    for line, notice in enumerate(notices.iterator(chunk_size=2000), start=1):
        run.item(line, notice.step, notice.account.username, notice.message)
    return {
        "Date": result["date"],
        "Accounts past due": result["accounts"],
        "Notices": result["notices"],
        "Card retries started": result["retries"],
        "Suspended": result["suspended"],
        "Cancelled": result["cancelled"],
        "Scheduled status changes": result["scheduled"],
    }
