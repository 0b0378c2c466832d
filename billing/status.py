"""An account's status (Enabled, Suspended, Cancelled, Prospect) and what it means for the
service it pays for: a suspended or cancelled account's mailboxes are disabled (unless a package
is paid through the day: what was paid for is honoured), an enabled one's are enabled again."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from billing.ledger import account_ledger, paid_through
from billing.mailboxes import account_mailboxes_set
from billing.models import BillingAccount, DunningNotice, UserPackage
from billing.money import ZERO
from portal.engine import CallContext

ENABLED, SUSPENDED, CANCELLED, PROSPECT = "Enabled", "Suspended", "Cancelled", "Prospect"
ACCOUNT_STATUSES = (ENABLED, SUSPENDED, CANCELLED, PROSPECT)


def account_status_apply(
    ctx: CallContext,
    account: BillingAccount,
    status: str,
    *,
    on: dt.date,
    reason: str = "",
    amount: Decimal | None = None,
    by_dunning: bool = False,
) -> dict:
    """Give ``account`` its new status now, with what it means for its mailboxes: a suspension
    disables them unless a package is paid through ``on`` (then dunning suspends the mail once the
    paid period has passed); enabling restores them."""
    answer: dict = {}
    previous = account.status
    account.status, account.status_reason, account.status_changed_on = status, reason[:256], on
    account.status_amount = amount
    account.status_by_dunning = by_dunning and status == SUSPENDED
    if status == CANCELLED or account.pending_status != CANCELLED:
        # a scheduled cancellation outlives a suspension or enabling before its day: its packages
        # end on that day all the same
        account.pending_status, account.pending_status_date, account.pending_cancel_option = "", None, ""
    if status in (SUSPENDED, CANCELLED) and not account.mail_suspended:
        honoured = account_paid_through(account)
        if honoured is not None and honoured >= on and status == SUSPENDED:
            answer["serviceHonouredUntil"] = honoured.isoformat()
        else:
            answer.update(account_mailboxes_set(ctx, account, enabled=False))
            account.mail_suspended = True
    elif status == ENABLED and account.mail_suspended:
        answer.update(account_mailboxes_set(ctx, account, enabled=True))
        account.mail_suspended = False
    account.save()
    answer.update({"username": account.username, "status": status, "previousStatus": previous})
    return answer


def account_paid_through(account: BillingAccount) -> dt.date | None:
    """The latest day any active package of the account is paid through."""
    ups = list(UserPackage.objects.filter(account=account, active=True))
    days = paid_through(ups).values()
    return max(days) if days else None


def account_restore_if_paid(ctx: CallContext, account: BillingAccount, *, on: dt.date) -> dict:
    """Restore an account that dunning suspended once nothing is due any more: status Enabled and
    its mailboxes enabled, in the calling procedure's transaction. Answers what it did."""
    if account.status != SUSPENDED or not account.status_by_dunning:
        return {}
    if account_ledger(account, as_of=on).due > ZERO:
        return {}
    answer = account_status_apply(ctx, account, ENABLED, on=on, reason="Paid")
    DunningNotice.objects.create(
        account=account,
        step=DunningNotice.Step.RESTORED,
        day=0,
        on=on,
        amount_due=ZERO,
        message="The balance due was paid: service restored.",
    )
    return {"restored": True, **{k: v for k, v in answer.items() if k in ("mailboxes", "skipped")}}
