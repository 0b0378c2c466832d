"""Dunning: an unpaid account is reminded and its card retried, then suspended (its mailboxes
disabled), then cancelled; a payment that clears what is due restores it (:mod:`billing.status`).

``Billing::RunDunning(date)`` (:mod:`billing.procedures.dunning`) takes, for every account past
due on ``date``, the steps of its reseller's policy (:class:`~billing.models.DunningPolicy`; the
provider's default: card retries 1, 3 and 7 days past due, suspended after 14, cancelled after
60) that it has not taken yet. Each step is a :class:`~billing.models.DunningNotice` kept on the
account, unique per account, overdue invoice, step and day: running dunning for a date again takes
no step twice. Each notice taken is e-mailed to the account's billing contact after the run commits
(:mod:`billing.reminders`). It also applies the status changes scheduled for that day
(``UpdateUserStatusWithOption`` with ``SpecificDate`` or ``PeriodEnd``).

Days past due count from the due date of the oldest open invoice; an account whose undispersed
payments and credits cover what is due is not past due. Work goes in chunks of accounts with a
fixed number of queries per chunk; only the accounts whose status changes cost more (their
suspension or cancellation, with the mailbox calls).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import Q

from billing.cycle import user_packages_close_due
from billing.ledger import accounts_ledger, open_invoices, paid_through
from billing.mailboxes import account_mailboxes_set
from billing.models import BillingAccount, DunningNotice, DunningPolicy, DunningRun, Invoice, UserPackage
from billing.reminders import notices_email_after_commit
from billing.status import CANCELLED, ENABLED, PROSPECT, SUSPENDED, account_status_apply
from portal.engine import CallContext

CHUNK = 500
Progress = Callable[[int, int], None]


@dataclass
class DunningSummary:
    """What a run found and did."""

    run_date: dt.date
    accounts: int = 0
    notices: int = 0
    retries: int = 0
    suspended: int = 0
    cancelled: int = 0
    scheduled: int = 0
    suspended_accounts: list[str] = field(default_factory=list)
    cancelled_accounts: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "date": self.run_date.isoformat(),
            "accounts": self.accounts,
            "notices": self.notices,
            "retries": self.retries,
            "suspended": self.suspended,
            "cancelled": self.cancelled,
            "scheduled": self.scheduled,
            "suspendedAccounts": self.suspended_accounts,
            "cancelledAccounts": self.cancelled_accounts,
        }


class Policies:
    """The dunning policies, each account matched to its reseller's (the longest reseller DN that
    holds the account's customer record), else the provider's default."""

    def __init__(self) -> None:
        policies = list(DunningPolicy.objects.all())
        self.default = next((p for p in policies if not p.reseller_dn_key), None) or DunningPolicy()
        self.by_reseller = sorted(
            (p for p in policies if p.reseller_dn_key), key=lambda p: len(p.reseller_dn_key), reverse=True
        )

    def for_account(self, account: BillingAccount) -> DunningPolicy:
        record = account.customer_record
        if record is not None and self.by_reseller:
            key = record.dn_key
            for policy in self.by_reseller:
                if key == policy.reseller_dn_key or key.endswith("," + policy.reseller_dn_key):
                    return policy
        return self.default


def _past_due(run_date: dt.date):
    """Accounts that are not cancelled or prospects and have an open invoice due before the day."""
    overdue = Invoice.objects.filter(status=Invoice.Status.OPEN).filter(
        Q(due_on__lt=run_date) | Q(due_on__isnull=True, issued_on__lt=run_date)
    )
    return (
        BillingAccount.objects.filter(pk__in=overdue.values("account_id"))
        .exclude(status__in=(CANCELLED, PROSPECT))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _scheduled(ctx: CallContext, run_date: dt.date, summary: DunningSummary) -> None:
    """Apply the status changes scheduled for ``run_date`` or before."""
    for account in BillingAccount.objects.filter(pending_status_date__lte=run_date).exclude(
        pending_status=""
    ):
        status = account.pending_status
        if account.status == CANCELLED and status != CANCELLED:
            continue
        account_status_apply(
            ctx,
            account,
            status,
            on=run_date,
            reason=f"{status} as scheduled for {account.pending_status_date}",
        )
        summary.scheduled += 1


def _chunk(
    ctx: CallContext,
    account_ids: list[int],
    run_date: dt.date,
    run: DunningRun | None,
    policies: Policies,
    summary,
) -> list[int]:
    """Dunning of one chunk of past-due accounts; answers the invoices to charge after commit."""
    accounts = list(BillingAccount.objects.filter(pk__in=account_ids).select_related("customer_record"))
    ledgers = accounts_ledger(accounts, as_of=run_date)
    oldest: dict[int, Invoice] = {}
    due_invoices: dict[int, list[int]] = {}
    for invoice in open_invoices(account_ids):
        if invoice.due_date < run_date:
            oldest.setdefault(invoice.account_id, invoice)
            due_invoices.setdefault(invoice.account_id, []).append(invoice.pk)
    taken = set(
        DunningNotice.objects.filter(account_id__in=account_ids).values_list(
            "account_id", "invoice_id", "step", "day"
        )
    )
    notices: list[DunningNotice] = []
    to_charge: list[int] = []
    changing: list[tuple[BillingAccount, str, int, Invoice]] = []
    for account in accounts:
        ledger = ledgers[account.pk]
        invoice = oldest.get(account.pk)
        if invoice is None or ledger.due <= 0:
            continue
        summary.accounts += 1
        policy = policies.for_account(account)
        days = (run_date - invoice.due_date).days
        due_text = f"{ledger.due} {account.currency}"

        def notice(
            step: str, day: int, message: str, *, account=account, invoice=invoice, ledger=ledger
        ) -> bool:
            if (account.pk, invoice.pk, step, day) in taken:
                return False
            taken.add((account.pk, invoice.pk, step, day))
            notices.append(
                DunningNotice(
                    account=account,
                    invoice=invoice,
                    dunning_run=run,
                    step=step,
                    day=day,
                    on=run_date,
                    amount_due=ledger.due,
                    message=message[:512],
                )
            )
            return True

        retried = False
        for day in policy.retries:
            if day <= days:
                card = account.default_payment_method_id is not None
                text = f"Reminder: {due_text} is {days} days past due (invoice {invoice.number})." + (
                    " The card on file is charged again." if card else ""
                )
                if notice(DunningNotice.Step.RETRY, day, text) and card and not retried:
                    to_charge.extend(due_invoices.get(account.pk, []))
                    summary.retries += 1
                    retried = True
        if days >= policy.cancel_after and account.status != CANCELLED:
            if notice(
                DunningNotice.Step.CANCELLED,
                policy.cancel_after,
                f"Cancelled: {due_text} unpaid {days} days (invoice {invoice.number}).",
            ):
                changing.append((account, CANCELLED, days, invoice))
        elif days >= policy.suspend_after and account.status == ENABLED:
            if notice(
                DunningNotice.Step.SUSPENDED,
                policy.suspend_after,
                f"Suspended: {due_text} unpaid {days} days (invoice {invoice.number}); "
                "service returns as soon as it is paid.",
            ):
                changing.append((account, SUSPENDED, days, invoice))
        elif account.status == SUSPENDED and account.status_by_dunning and not account.mail_suspended:
            changing.append((account, "mail", days, invoice))
    DunningNotice.objects.bulk_create(notices)
    summary.notices += len(notices)
    # e-mailed to the billing contacts once the run has committed: a run rolled back sends nothing
    notices_email_after_commit([n.pk for n in notices if n.account.billing_email])
    suspending = [item for item in changing if item[1] == SUSPENDED]
    if suspending:
        _suspend(ctx, suspending, ledgers, run_date)
        summary.suspended += len(suspending)
        summary.suspended_accounts += [account.username for account, *_ in suspending]
    for account, status, days, invoice in changing:
        due = ledgers[account.pk].due
        if status == "mail":
            _mail_after_paid_period(ctx, account, run_date)
        elif status == SUSPENDED:
            continue
        else:
            for up in UserPackage.objects.filter(account=account, active=True):
                ctx.call(
                    "Billing::CancelUserPackage",
                    {
                        "username": account.username,
                        "userPackageID": up.pk,
                        "cancelOpt": "ImmediatelyWithNoTransaction",
                    },
                )
            account.refresh_from_db()
            account_status_apply(
                ctx,
                account,
                CANCELLED,
                on=run_date,
                reason=f"Unpaid: {due} {account.currency} past due {days} days (invoice {invoice.number})",
                amount=due,
            )
            summary.cancelled += 1
            summary.cancelled_accounts.append(account.username)
    return to_charge


def _suspend(ctx: CallContext, items: list, ledgers: dict, run_date: dt.date) -> None:
    """Suspend the accounts of a chunk for non-payment: the status, reason and amount on each (an
    UPDATE per distinct amount and reason); the mailboxes of those with no package paid through
    the day are disabled (what was paid for is honoured: the others keep their mail until the
    daily run after their paid-through day)."""
    accounts = [account for account, *_ in items]
    ups = list(UserPackage.objects.filter(account__in=accounts, active=True))
    honoured: dict[int, dt.date] = {}
    days_by_up = paid_through(ups)
    for up in ups:
        day = days_by_up.get(up.pk)
        if day is not None and day > honoured.get(up.account_id, dt.date.min):
            honoured[up.account_id] = day
    groups: dict[tuple, list[int]] = {}
    for account, _, days, _invoice in items:
        due = ledgers[account.pk].due
        mail_off = account.mail_suspended or honoured.get(account.pk, dt.date.min) < run_date
        if mail_off and not account.mail_suspended and account.customer_record_id is not None:
            account_mailboxes_set(ctx, account, enabled=False)
        reason = f"Unpaid: {due} {account.currency} past due {days} days"
        groups.setdefault((due, reason, mail_off), []).append(account.pk)
    # One UPDATE per distinct amount and reason (usually a handful per chunk), not one per account.
    for (due, reason, mail_off), ids in groups.items():
        BillingAccount.objects.filter(pk__in=ids).update(
            status=SUSPENDED,
            status_changed_on=run_date,
            status_amount=due,
            status_reason=reason,
            status_by_dunning=True,
            mail_suspended=mail_off,
        )


def _mail_after_paid_period(ctx: CallContext, account: BillingAccount, run_date: dt.date) -> None:
    """A suspended account kept its mail while a package was paid through the day; once that day
    has passed, its mailboxes are disabled."""
    ups = list(UserPackage.objects.filter(account=account, active=True))
    honoured = max(paid_through(ups).values(), default=None)
    if honoured is None or honoured < run_date:
        account_mailboxes_set(ctx, account, enabled=False)
        account.mail_suspended = True
        account.save(update_fields=["mail_suspended"])


def dunning_run_execute(
    ctx: CallContext, run_date: dt.date, *, run: DunningRun | None = None, progress: Progress | None = None
) -> tuple[DunningSummary, list[int]]:
    """Dunning for ``run_date``, in chunks of accounts; answers the summary and the invoices whose
    card charge is retried after commit. Must run inside the engine's transaction."""
    summary = DunningSummary(run_date)
    user_packages_close_due(run_date)
    _scheduled(ctx, run_date, summary)
    policies = Policies()
    account_ids = list(_past_due(run_date))
    total = len(account_ids)
    if progress:
        progress(0, total)
    to_charge: list[int] = []
    for offset in range(0, total, CHUNK):
        to_charge += _chunk(ctx, account_ids[offset : offset + CHUNK], run_date, run, policies, summary)
        if progress:
            progress(min(offset + CHUNK, total), total)
    return summary, to_charge
