"""Dunning's procedures: ``Billing::RunDunning`` (the work is :mod:`billing.dunning`) and
``Billing::SetDunningPolicy``."""

from __future__ import annotations

import datetime as dt

from billing.dunning import dunning_run_execute
from billing.models import DunningPolicy, DunningRun
from billing.procedures.accounts import BILLING_STAFF, charges_after_commit
from portal.directory import dn_key
from portal.engine import Arg, CallContext, procedure
from portal.errors import InvalidArgument


@procedure(
    "Billing::RunDunning",
    args=(Arg("date", "date", required=True, description="The day dunning runs for (ISO 8601)."),),
    security=BILLING_STAFF,
)
def dunning_run(ctx: CallContext, *, date: dt.date) -> dict:
    """Take the dunning steps due on ``date`` for every past-due account (reminders with card
    retries, suspension with the mailboxes disabled, cancellation) and the status changes
    scheduled for it. Idempotent for a date: each step is taken once. Answers a summary."""
    run = DunningRun.objects.create(run_date=date, started_by=ctx.caller.username)
    summary, to_charge = dunning_run_execute(ctx, date, run=run, progress=ctx.progress)
    charges_after_commit(ctx, to_charge)
    run.accounts, run.notices, run.retries = summary.accounts, summary.notices, summary.retries
    run.suspended, run.cancelled, run.scheduled = summary.suspended, summary.cancelled, summary.scheduled
    run.save(update_fields=["accounts", "notices", "retries", "suspended", "cancelled", "scheduled"])
    return {"dunningRunID": run.pk, **summary.as_dict()}


@procedure(
    "Billing::SetDunningPolicy",
    args=(
        Arg(
            "path",
            "path",
            description="(optional) The reseller organization; the provider's default when absent.",
        ),
        Arg("retryDays", required=True, max_length=64, description="Days past due of each card retry: 1,3,7"),
        Arg("suspendAfter", "int", required=True, description="Days past due before suspension."),
        Arg("cancelAfter", "int", required=True, description="Days past due before cancellation."),
    ),
    security=BILLING_STAFF,
)
def dunning_policy_set(
    ctx: CallContext, *, path: str | None, retryDays: str, suspendAfter: int, cancelAfter: int
) -> dict:
    """Set the dunning policy of a reseller (or the provider's default)."""
    parts = [part.strip() for part in retryDays.split(",") if part.strip()]
    if not all(part.isdigit() and 0 < int(part) < 1000 for part in parts):
        raise InvalidArgument(
            "<retryDays> must list whole numbers of days, such as 1,3,7.", field="retryDays"
        )
    if not 0 < suspendAfter < cancelAfter < 10000:
        raise InvalidArgument(
            "<suspendAfter> must be above zero and below <cancelAfter>.", field="suspendAfter"
        )
    key = dn_key(path) if path else ""
    policy, _ = DunningPolicy.objects.update_or_create(
        reseller_dn_key=key,
        defaults={
            "name": path or "Provider default",
            "retry_days": ",".join(str(int(p)) for p in parts),
            "suspend_after": suspendAfter,
            "cancel_after": cancelAfter,
        },
    )
    return {
        "path": path,
        "retryDays": policy.retry_days,
        "suspendAfter": policy.suspend_after,
        "cancelAfter": policy.cancel_after,
    }
