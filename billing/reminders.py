"""Dunning's notices by e-mail: each notice a dunning run takes (a reminder, the suspension, the
cancellation) is e-mailed to the account's billing contact (``BillingAccount.billing_email``).

The e-mail is an outside effect, like a card charge: it is sent only once the run's transaction
has committed (``transaction.on_commit``), so a run that rolls back sends nothing, and a notice is
e-mailed once, by the run that took it. Sending goes through Django's e-mail backend (settings
``EMAIL_HOST`` and ``EMAIL_PORT``; by default the portal's own Postfix). A message the mail server
refuses (an unknown address, or the contact's own mailbox that the suspension has just disabled)
or a server that cannot be reached is logged and changes nothing: the notice is kept on the
account either way.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction

from billing.models import DunningNotice

log = logging.getLogger(__name__)

SUBJECTS = {
    DunningNotice.Step.RETRY: "Payment reminder: {due} {currency} past due (invoice {invoice})",
    DunningNotice.Step.REMINDER: "Payment reminder: {due} {currency} past due (invoice {invoice})",
    DunningNotice.Step.SUSPENDED: "Service suspended: {due} {currency} unpaid (invoice {invoice})",
    DunningNotice.Step.CANCELLED: "Account cancelled: {due} {currency} unpaid (invoice {invoice})",
}


def notice_message(notice: DunningNotice) -> EmailMessage:
    """The e-mail of one notice, to its account's billing contact."""
    account = notice.account
    invoice = notice.invoice.number if notice.invoice else "none"
    subject = SUBJECTS.get(notice.step, "Billing notice of {username}").format(
        due=notice.amount_due, currency=account.currency, invoice=invoice, username=account.username
    )
    body = (
        f"{notice.message}\n\n"
        f"Billing account: {account.username} ({account.name})\n"
        f"Amount due: {notice.amount_due} {account.currency}\n"
        f"Invoice: {invoice}\n"
        f"Day: {notice.on.isoformat()}\n"
    )
    return EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[account.billing_email],
        headers={"X-Billing-Account": account.username, "X-Dunning-Notice": str(notice.pk)},
    )


def notices_email(notice_ids: list[int]) -> int:
    """E-mail the notices to their accounts' billing contacts; answers how many were accepted.
    Each message is sent on its own: one refused leaves the others going."""
    notices = list(
        DunningNotice.objects.filter(pk__in=notice_ids)
        .exclude(account__billing_email="")
        .select_related("account", "invoice")
        .order_by("pk")
    )
    if not notices:
        return 0
    sent = 0
    try:
        with get_connection() as connection:
            for notice in notices:
                try:
                    sent += connection.send_messages([notice_message(notice)]) or 0
                except smtplib.SMTPException as err:
                    log.warning(
                        "the notice %s to %s was not accepted: %s",
                        notice.pk,
                        notice.account.billing_email,
                        err,
                    )
    except OSError as err:  # the server cannot be reached (smtplib's errors are OSErrors too)
        log.warning("dunning's notices were not e-mailed: %s", err)
    return sent


def notices_email_after_commit(notice_ids: list[int]) -> Callable[[], int] | None:
    """E-mail the notices once the calling transaction has committed (nothing if it rolls back)."""
    ids = [pk for pk in notice_ids if pk is not None]
    if not ids:
        return None

    def send() -> int:
        return notices_email(ids)

    transaction.on_commit(send)
    return send
