"""The account lifecycle: cancel, suspend, prorate, pay, owe (EngageIP's SOAP API pages, each
titled "SOAP API - <Method>"; their parameter names, enumerations and exception texts are used
to the letter).

Money follows :mod:`billing.ledger`: proration by days (price x days used / days in the period,
half up per line), credits as credit notes, payments dispersed to the oldest open invoice first.
A payment that brings the balance due to zero restores an account that dunning suspended, in the
same call (:func:`account_restore_if_paid`).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Count, Sum
from django.utils import timezone

from billing import money
from billing.cycle import user_package_bill_period
from billing.ledger import (
    account_ledger,
    accounts_disperse,
    credit_note_issue,
    invoice_disperse_first,
    paid_through,
)
from billing.models import (
    BillingAccount,
    ChargeAttempt,
    CreditNoteLine,
    Invoice,
    InvoiceLine,
    Payment,
    PaymentType,
    UserPackage,
    UserService,
)
from billing.money import ZERO, add_months, money_parse, money_round, money_text, prorate, written_plainly
from billing.procedures.accounts import BILLING_STAFF, INVALID_USERNAME, account_require, card_charge
from billing.status import (
    ACCOUNT_STATUSES,
    CANCELLED,
    ENABLED,
    PROSPECT,
    SUSPENDED,
    account_restore_if_paid,
    account_status_apply,
)
from portal.engine import BILLING_ADMINS, CUSTOMER_ADMINISTRATORS, Arg, CallContext, Security, procedure
from portal.errors import Conflict, InvalidArgument, NotFound, PrerequisiteFailed

#: Reads: billing staff, and those who see the account (a reseller's staff, a customer's
#: administrators); an account outside the caller's scope is INVALID USERNAME.
ACCOUNT_READERS = Security(
    roles=(BILLING_ADMINS, CUSTOMER_ADMINISTRATORS), description="billing staff, or who sees the account"
)

# EngageIP's DisableOption / CancelOption / DeleteOption enumerations.
FULL = "ImmediatelyWithFullTransaction"
PRORATED = "ImmediatelyWithProratedTransaction"
NO_TRANSACTION = "ImmediatelyWithNoTransaction"
PERIOD_END = "PeriodEnd"
SPECIFIC_DATE = "SpecificDate"
CANCEL_OPTIONS = (FULL, PRORATED, NO_TRANSACTION, PERIOD_END, SPECIFIC_DATE)
DELETE_OPTIONS = (FULL, PRORATED, NO_TRANSACTION)

# Exception texts of the pages, to the letter.
INVALID_USER_PACKAGE_ID = "INVALID USER PACKAGE ID"
DATE_NOT_SUPPLIED = "DATE NOT SUPPLIED WHEN REQUIRED"
USER_PACKAGE_NOT_ACTIVE = "USER PACKAGE NOT ACTIVE"
INVALID_SERVICE = "INVALID SERVICE"
INVALID_DELETE_OPTION = "INVALID DELETE OPTION"
INVALID_STATUS_TYPE_NAME = "INVALID USER PACKAGE STATUS TYPE NAME"
INVALID_STATUS = "INVALID STATUS"
INVALID_DATE = "INVALID DATE"
CANNOT_ASSIGN = "CANNOT ASSIGN"
INVALID_AMOUNT = "INVALID AMOUNT"
INVALID_PAYMENT_TYPE = "INVALID PAYMENT TYPE"
STATUS_DOES_NOT_ALLOW_PAYMENT = "USER STATUS DOES NOT ALLOW PAYMENT"
INVALID_CARD_TYPE = "INVALID CARD TYPE"
INVALID_CHECK_NUMBER = "INVALID CHECK NUMBER"
NON_POSITIVE_PAYMENT = "PAYMENT OF NON-POSITIVE AMOUNT"

# User package status types (EngageIP's four base types).
PACKAGE_STATUSES = ("Active", "Canceled", "Prospect", "Suspended")
_STATUS_WORDS = {"active": ENABLED, "canceled": CANCELLED}
CARD_TYPES = ("Visa", "MasterCard", "American Express", "Discover", "Diners Club", "JCB")
#: Statuses whose accounts take no payment (nothing was ever billed to a prospect).
NO_PAYMENT_STATUSES = (PROSPECT,)


def _today() -> dt.date:
    return money.today()


def _day(value: dt.datetime | dt.date | None) -> dt.date | None:
    """A date argument's day; DateTime.MinValue (year 1) means none."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        value = value.date()
    return None if value.year == 1 else value


def _money_text(text: str | None, *, error: str, currency: str = "USD", positive: bool = True) -> Decimal:
    """An amount given as text (EngageIP sends a Double): plain decimal notation (no exponent) with
    at most the currency's places, above zero, as :func:`billing.money.money_parse` reads it, with
    exactly the currency's places; ``error`` otherwise."""
    amount = money_parse(text, currency)
    if amount is None or (positive and amount <= 0):
        raise InvalidArgument(error, field="amount")
    return amount


def user_package_require(ctx: CallContext, user_package_id: int, *, account: BillingAccount | None = None):
    """The user package, locked; one of another account, or one the identity may not see, is
    ``INVALID USER PACKAGE ID``."""
    up = (
        UserPackage.objects.select_for_update(of=("self",))
        .select_related("account__customer_record", "package")
        .filter(pk=user_package_id)
        .first()
    )
    if up is None or (account is not None and up.account_id != account.pk):
        raise NotFound(INVALID_USER_PACKAGE_ID, field="userPackageID")
    if account is None:
        account_require(ctx, up.account.username, argument="userPackageID", text=INVALID_USER_PACKAGE_ID)
    return up


# --- cancelling: the money of a package that ends ---------------------------------------------------


def current_period(up: UserPackage, on: dt.date) -> tuple[dt.date, dt.date]:
    """``(first day, first day of the next)`` of the bill period of ``up`` that holds ``on``."""
    start = up.next_bill_date
    if start > on:
        # billed ahead: walk back from the next bill date
        previous = add_months(start, -up.package.months, anchor_day=up.bill_day)
        while previous > on:
            start, previous = previous, add_months(previous, -up.package.months, anchor_day=up.bill_day)
        return max(previous, up.start_date), start
    while up.period_after(start) <= on:
        start = up.period_after(start)
    return start, up.period_after(start)


def user_package_credit_after(
    up: UserPackage, end: dt.date, *, on: dt.date, reason: str, created_by: str, service=None
) -> list[int]:
    """Credit notes for what ``up`` (only its ``service`` when given) was invoiced for days from
    ``end`` on: each line's amount x unused days / days of the line, half up, less what was
    credited of it before. Answers the credit note IDs (one per account billed)."""
    lines = InvoiceLine.objects.filter(user_package=up, period_end__gte=end)
    if service is not None:
        lines = lines.filter(service=service)
    lines = list(lines.select_related("invoice__account", "service").prefetch_related("credits"))
    by_account: dict[int, tuple[BillingAccount, list[CreditNoteLine]]] = {}
    for line in lines:
        first = max(end, line.period_start)
        line_days = (line.period_end - line.period_start).days + 1
        unused = (line.period_end - first).days + 1
        already = sum((credit.amount for credit in line.credits.all()), ZERO)
        amount = min(prorate(line.amount, unused, line_days, line.invoice.currency), line.amount - already)
        if amount <= ZERO:
            continue
        account = line.invoice.account
        entry = by_account.setdefault(account.pk, (account, []))
        entry[1].append(
            CreditNoteLine(
                user_package=up,
                service=line.service,
                invoice_line=line,
                description=(
                    f"{up.package.name}: {line.service.name if line.service else 'service'} not used "
                    f"({first.isoformat()} to {line.period_end.isoformat()}, {unused} of {line_days} days)"
                )[:512],
                period_start=first,
                period_end=line.period_end,
                amount=amount,
            )
        )
    notes = []
    for account, credit_lines in by_account.values():
        note = credit_note_issue(account, on=on, reason=reason, lines=credit_lines, created_by=created_by)
        if note is not None:
            notes.append(note.pk)
    return notes


def user_package_bill_until(up: UserPackage, end: dt.date, *, today: dt.date, full: bool) -> list[int]:
    """Invoice the unbilled periods of ``up`` before ``end`` (the first day not served): whole
    periods in full, the one ``end`` falls in prorated up to ``end`` (or in full when ``full``).
    Moves the next bill date on; answers the invoice IDs."""
    invoices = []
    start = up.next_bill_date
    while start < end:
        period_next = up.period_after(start)
        until = None if full or end >= period_next else end
        invoice = user_package_bill_period(up, start, period_next, today, until=until)
        if invoice is not None:
            invoices.append(invoice.pk)
        start = period_next
    if start != up.next_bill_date:
        up.next_bill_date = start
        up.save(update_fields=["next_bill_date"])
    return invoices


def user_package_close(up: UserPackage, on: dt.date, option: str) -> None:
    """Mark ``up`` cancelled on ``on``; its services end with it."""
    up.active, up.status, up.canceled_on, up.cancel_option = False, "Canceled", on, option
    up.save(update_fields=["active", "status", "canceled_on", "cancel_option"])
    UserService.objects.filter(user_package=up, canceled_on__isnull=True).update(
        canceled_on=on, delete_option=option
    )


def user_package_cancel(
    ctx: CallContext, up: UserPackage, option: str, specific: dt.date | None, *, today: dt.date
) -> dict:
    """Cancel ``up`` with an EngageIP cancel option; answers the day it ends and the invoices and
    credit notes the cancellation made.

    - ``ImmediatelyWithFullTransaction``: ends today; the current period is charged in full (an
      unbilled one is invoiced, a billed one is not credited).
    - ``ImmediatelyWithProratedTransaction``: ends today; the current period is charged for the
      days used only (unbilled: invoiced prorated; billed: the unused days credited).
    - ``ImmediatelyWithNoTransaction``: ends today; nothing is invoiced or credited.
    - ``PeriodEnd``: ends after the current period (what was paid for is served to its end); the
      bill cycle bills up to it, then ends it. A later period already invoiced is credited.
    - ``SpecificDate``: ends on that day, prorated: days after it already invoiced are credited
      now; unbilled days before it are invoiced (now when the day has come, else by the cycle).
    """
    reason = f"User package {up.pk} cancelled ({option})"
    invoices: list[int] = []
    notes: list[int] = []
    if option == PERIOD_END:
        end = current_period(up, today)[1]
    elif option == SPECIFIC_DATE:
        end = specific
    else:
        end = today
    if option in (PRORATED, SPECIFIC_DATE, PERIOD_END):
        notes = user_package_credit_after(up, end, on=today, reason=reason, created_by=ctx.caller.username)
    if end <= today:
        if option in (FULL, PRORATED, SPECIFIC_DATE):
            invoices = user_package_bill_until(up, end, today=today, full=option == FULL)
        user_package_close(up, end if option == SPECIFIC_DATE else today, option)
    else:
        up.cancel_date, up.cancel_option = end, option
        up.save(update_fields=["cancel_date", "cancel_option"])
    return {
        "userPackageID": up.pk,
        "cancelDate": end.isoformat(),
        "status": up.status,
        "invoiceIDs": invoices,
        "creditNoteIDs": notes,
    }


@procedure(
    "Billing::CancelUserPackage",
    args=(
        Arg(
            "username",
            required=True,
            subject=True,
            description="The name of the user in which to cancel a package.",
        ),
        Arg("userPackageID", "int", required=True, description="The ID of the user package to cancel."),
        Arg(
            "cancelOpt",
            required=True,
            choices=CANCEL_OPTIONS,
            description="DisableOption: " + " | ".join(CANCEL_OPTIONS),
        ),
        Arg("specificDate", "datetime", description="Required with SpecificDate: the day the package ends."),
    ),
    security=BILLING_STAFF,
)
def user_package_cancel_procedure(
    ctx: CallContext, *, username: str, userPackageID: int, cancelOpt: str, specificDate: dt.datetime | None
) -> dict:
    """Cancel a user's package (EngageIP ``CancelUserPackage``): immediately with a full, prorated
    or no transaction, at the end of the billing period, or on a specific date. Exceptions
    ``INVALID USERNAME``, ``INVALID USER PACKAGE ID``, ``DATE NOT SUPPLIED WHEN REQUIRED``,
    ``USER PACKAGE NOT ACTIVE``."""
    account = account_require(ctx, username, text=INVALID_USERNAME)
    up = user_package_require(ctx, userPackageID, account=account)
    specific = _day(specificDate)
    if cancelOpt == SPECIFIC_DATE and specific is None:
        raise InvalidArgument(DATE_NOT_SUPPLIED, field="specificDate")
    if up.status != "Active" or not up.active:
        raise PrerequisiteFailed(USER_PACKAGE_NOT_ACTIVE, field="userPackageID")
    return user_package_cancel(ctx, up, cancelOpt, specific, today=_today())


@procedure(
    "Billing::DeleteOptionalUserService",
    args=(
        Arg("userServiceID", "int", required=True, description="The ID of the user service to delete."),
        Arg("deleteOption", required=True, description="DeleteOption: " + " | ".join(DELETE_OPTIONS)),
    ),
    security=BILLING_STAFF,
)
def user_service_delete(ctx: CallContext, *, userServiceID: int, deleteOption: str) -> dict:
    """Cancel an optional service of a user package (EngageIP ``DeleteOptionalUserService``): it is
    no longer billed; ``ImmediatelyWithProratedTransaction`` credits its unused days of the billed
    period, ``ImmediatelyWithFullTransaction`` and ``ImmediatelyWithNoTransaction`` credit
    nothing. Exceptions ``INVALID SERVICE``, ``INVALID DELETE OPTION``."""
    option = next((o for o in DELETE_OPTIONS if o.lower() == deleteOption.strip().lower()), None)
    user_service = (
        UserService.objects.select_related("user_package__account", "user_package__package", "service")
        .filter(pk=userServiceID, optional=True, canceled_on__isnull=True)
        .first()
    )
    if user_service is None:
        raise NotFound(INVALID_SERVICE, field="userServiceID")
    account_require(
        ctx, user_service.user_package.account.username, argument="userServiceID", text=INVALID_SERVICE
    )
    if option is None:
        raise InvalidArgument(INVALID_DELETE_OPTION, field="deleteOption")
    today = _today()
    up = user_service.user_package
    notes: list[int] = []
    if option == PRORATED:
        lines = InvoiceLine.objects.filter(
            user_package=up, service=user_service.service, period_end__gte=today
        )
        if lines.exists():
            # credit only this service's lines: a throwaway package view limited to them
            notes = user_package_credit_after(
                up,
                today,
                on=today,
                reason=f"Optional service {user_service.pk} deleted ({PRORATED})",
                created_by=ctx.caller.username,
                service=user_service.service,
            )
    up.optional_services.remove(user_service.service)
    user_service.canceled_on, user_service.delete_option = today, option
    user_service.save(update_fields=["canceled_on", "delete_option"])
    return {"userServiceID": user_service.pk, "canceledDate": today.isoformat(), "creditNoteIDs": notes}


@procedure(
    "Billing::UpdateUserPackageStatus",
    args=(
        Arg("userPackageID", "int", required=True, description="The ID of the user package."),
        Arg("userPackageStatusTypeName", required=True, description=" | ".join(PACKAGE_STATUSES)),
    ),
    security=BILLING_STAFF,
)
def user_package_status_update(
    ctx: CallContext, *, userPackageID: int, userPackageStatusTypeName: str
) -> dict:
    """Set a user package's status (EngageIP ``UpdateUserPackageStatus``): ``Active`` (billed),
    ``Suspended`` and ``Prospect`` (not billed while so), ``Canceled`` (ended today, no
    transaction). Exceptions ``INVALID USER PACKAGE ID``, ``INVALID USER PACKAGE STATUS TYPE NAME``."""
    up = user_package_require(ctx, userPackageID)
    status = next(
        (s for s in PACKAGE_STATUSES if s.lower() == userPackageStatusTypeName.strip().lower()), None
    )
    if status is None:
        raise InvalidArgument(INVALID_STATUS_TYPE_NAME, field="userPackageStatusTypeName")
    if up.status == "Canceled" and status != "Canceled":
        raise PrerequisiteFailed(USER_PACKAGE_NOT_ACTIVE, field="userPackageID")
    if status == "Canceled":
        if up.status != "Canceled":
            user_package_close(up, _today(), NO_TRANSACTION)
    else:
        up.status, up.active = status, status == "Active"
        up.save(update_fields=["status", "active"])
    return {"userPackageID": up.pk, "status": up.status}


# --- account status --------------------------------------------------------------------------------


@procedure(
    "Billing::UpdateUserStatusWithOption",
    args=(
        Arg("username", required=True, subject=True, description="The username of the user to update."),
        Arg("userstatustypename", required=True, description=" | ".join(ACCOUNT_STATUSES)),
        Arg(
            "cancelopt",
            choices=CANCEL_OPTIONS,
            description="CancelOption: " + " | ".join(CANCEL_OPTIONS) + " (Cancelled without one: PeriodEnd)",
        ),
        Arg(
            "specificdate",
            "string",
            max_length=64,
            description="With SpecificDate: the day the status applies.",
        ),
        Arg("reason", max_length=256, description="(portal) Why, kept on the account."),
    ),
    security=BILLING_STAFF,
)
def account_status_update(
    ctx: CallContext,
    *,
    username: str,
    userstatustypename: str,
    cancelopt: str | None,
    specificdate: str | None,
    reason: str | None,
) -> dict:
    """Change an account's status (EngageIP ``UpdateUserStatusWithOption``): ``Enabled``,
    ``Suspended`` (its mailboxes disabled), ``Cancelled`` (its packages cancelled with
    ``cancelopt``, final; without one, ``PeriodEnd``: served to the end of the bill period),
    ``Prospect`` (only before anything was invoiced). ``SpecificDate`` and ``PeriodEnd`` schedule
    the change (dunning's daily run applies it). Exceptions ``INVALID
    USERNAME``, ``INVALID STATUS``, ``INVALID DATE``, ``CANNOT ASSIGN``."""
    account = account_require(ctx, username, text=INVALID_USERNAME)
    word = userstatustypename.strip().lower()
    status = next((s for s in ACCOUNT_STATUSES if s.lower() == word), _STATUS_WORDS.get(word))
    if status is None:
        raise InvalidArgument(INVALID_STATUS, field="userstatustypename")
    specific = None
    if specificdate and specificdate.strip():
        try:
            specific = _day(dt.datetime.fromisoformat(specificdate.strip().replace("Z", "+00:00")))
        except ValueError as exc:
            raise InvalidArgument(INVALID_DATE, field="specificdate") from exc
    # Cancelling without saying how serves what was paid for: the account ends with the bill
    # period. Other statuses take effect at once unless scheduled.
    option = cancelopt or (PERIOD_END if status == CANCELLED else NO_TRANSACTION)
    if option == SPECIFIC_DATE and specific is None:
        raise InvalidArgument(INVALID_DATE, field="specificdate")
    if account.status == CANCELLED and status != CANCELLED:
        raise PrerequisiteFailed(CANNOT_ASSIGN, field="userstatustypename")
    if status == PROSPECT and account.status != PROSPECT and account.invoices.exists():
        raise PrerequisiteFailed(CANNOT_ASSIGN, field="userstatustypename")
    today = _today()
    when = today
    if option == SPECIFIC_DATE:
        when = max(specific, today)
    elif option == PERIOD_END and status in (SUSPENDED, CANCELLED):
        ups = list(UserPackage.objects.filter(account=account, active=True).select_related("package"))
        when = max([current_period(up, today)[1] for up in ups], default=today)
    text = reason or f"{status} by {ctx.caller.username}"
    answer: dict = {}
    if status == CANCELLED:
        cancelled = []
        ending = UserPackage.objects.filter(account=account, active=True, status="Active")
        if option == PERIOD_END:
            # a package already ending on a day of its own keeps that day
            ending = ending.filter(cancel_date__isnull=True)
        for up in ending:
            result = ctx.call(
                "Billing::CancelUserPackage",
                {
                    "username": account.username,
                    "userPackageID": up.pk,
                    "cancelOpt": option,
                    "specificDate": specific.isoformat() if specific else None,
                },
            )
            cancelled.append(result["userPackageID"])
        answer["cancelledUserPackages"] = cancelled
        account.refresh_from_db()
    if when > today:
        account.pending_status, account.pending_status_date = status, when
        account.pending_cancel_option = option
        account.save(update_fields=["pending_status", "pending_status_date", "pending_cancel_option"])
        return {
            **answer,
            "username": account.username,
            "status": account.status,
            "pendingStatus": status,
            "effectiveDate": when.isoformat(),
        }
    amount = account_ledger(account, as_of=today).due if status == SUSPENDED else None
    return {**answer, **account_status_apply(ctx, account, status, on=today, reason=text, amount=amount)}


# --- payments --------------------------------------------------------------------------------------


def payment_record(
    ctx: CallContext,
    account: BillingAccount,
    *,
    amount: Decimal,
    payment_type: str,
    method: str,
    reference: str = "",
    detail: str = "",
    card_type: str = "",
    check_number: int | None = None,
    paid_on: dt.date | None = None,
    auto_disperse: bool = True,
    invoice: Invoice | None = None,
    charge: ChargeAttempt | None = None,
) -> tuple[Payment, bool]:
    """Record a payment and disperse it (to ``invoice`` first when given, then the oldest open
    invoices). The same non-empty ``reference`` records one payment: a retry answers the payment
    recorded first (``created`` false); the same reference with another amount is a conflict."""
    if reference:
        existing = Payment.objects.filter(account=account, reference=reference).first()
        if existing is not None:
            return _same_payment(existing, amount, account, reference), False
    try:
        # a savepoint: the same reference recorded at the same moment by another call is a retry
        with transaction.atomic():
            payment = Payment.objects.create(
                account=account,
                invoice=invoice,
                amount=amount,
                currency=account.currency,
                method=method[:64],
                payment_type=payment_type,
                reference=reference[:128],
                detail=detail[:512],
                card_type=card_type,
                check_number=check_number,
                paid_on=paid_on or _today(),
                auto_disperse=auto_disperse,
                added_by=ctx.caller.username,
                charge=charge,
            )
    except IntegrityError:
        existing = Payment.objects.filter(account=account, reference=reference).first() if reference else None
        if existing is None:
            raise
        return _same_payment(existing, amount, account, reference), False
    if invoice is not None:
        invoice_disperse_first(invoice, payment)
    elif auto_disperse:
        accounts_disperse([account.pk])
    return payment, True


def _same_payment(existing: Payment, amount: Decimal, account: BillingAccount, reference: str) -> Payment:
    if existing.amount != amount:
        raise Conflict(
            f"The payment reference {reference!r} of {account.username} was recorded with "
            f"another amount ({existing.amount}).",
            field="reference",
        )
    return existing


@procedure(
    "Billing::AddPayment",
    args=(
        Arg(
            "username",
            required=True,
            subject=True,
            description="The username of the user in which to add the payment.",
        ),
        Arg("amount", required=True, max_length=64, description="The amount of the payment (above zero)."),
        Arg("detail", max_length=512, description="Details to be noted about the payment."),
        Arg("paymenttype", required=True, max_length=64, description=" | ".join(PaymentType.values)),
        Arg("paymentDate", "datetime", description="The date of the payment (DateTime.MinValue: today)."),
        Arg(
            "isAutoDisperse", "bool", description="Disperse to the oldest open invoice first (default true)."
        ),
        Arg("cardType", max_length=64, description="With Credit Card: " + ", ".join(CARD_TYPES) + "."),
        Arg("CheckNumber", max_length=32, description="With Check: the check number."),
        Arg("reference", max_length=128, description="(portal) Idempotency: one payment per reference."),
    ),
    security=BILLING_STAFF,
)
def payment_add(
    ctx: CallContext,
    *,
    username: str,
    amount: str,
    detail: str | None,
    paymenttype: str,
    paymentDate: dt.datetime | None,
    isAutoDisperse: bool | None,
    cardType: str | None,
    CheckNumber: str | None,
    reference: str | None,
) -> dict:
    """Add a payment received outside the portal (EngageIP ``AddPayment``): cash, check, ACH, a
    card charged elsewhere. Dispersed to the oldest open invoice first unless ``isAutoDisperse`` is
    false (then it stays credit on the account). A retry with the same ``reference`` (a check's
    reference is its number) records nothing more. A payment that clears the balance due of an
    account dunning suspended restores it at once. Exceptions ``INVALID USERNAME``, ``INVALID
    AMOUNT``, ``INVALID PAYMENT TYPE``, ``USER STATUS DOES NOT ALLOW PAYMENT``, ``INVALID CARD
    TYPE``, ``INVALID CHECK NUMBER``."""
    account = account_require(ctx, username, text=INVALID_USERNAME)
    value = _money_text(amount, error=INVALID_AMOUNT, currency=account.currency)
    kind = next((t for t in PaymentType.values if t.lower() == paymenttype.strip().lower()), None)
    if kind is None:
        raise InvalidArgument(INVALID_PAYMENT_TYPE, field="paymenttype")
    if account.status in NO_PAYMENT_STATUSES:
        raise PrerequisiteFailed(STATUS_DOES_NOT_ALLOW_PAYMENT, field="username")
    card = ""
    if kind == PaymentType.CREDIT_CARD:
        card = next((c for c in CARD_TYPES if c.lower() == (cardType or "").strip().lower()), "")
        if not card:
            raise InvalidArgument(INVALID_CARD_TYPE, field="cardType")
    number = None
    text = (CheckNumber or "").strip()
    if kind == PaymentType.CHECK or text not in ("", "0"):
        # EngageIP's CheckNumber is an Integer: 0 means none for other payment types
        if not re.fullmatch(r"\d{1,9}", text) or int(text) == 0:
            raise InvalidArgument(INVALID_CHECK_NUMBER, field="CheckNumber")
        number = int(text)
    ref = (reference or "").strip() or (f"check-{number}" if kind == PaymentType.CHECK else "")
    today = _today()
    payment, created = payment_record(
        ctx,
        account,
        amount=value,
        payment_type=kind,
        method=f"{card} card" if card else kind,
        reference=ref,
        detail=detail or "",
        card_type=card,
        check_number=number,
        paid_on=_day(paymentDate) or today,
        auto_disperse=True if isAutoDisperse is None else isAutoDisperse,
    )
    answer = {
        "paymentID": payment.pk,
        "created": created,
        "amount": money_text(payment.amount, account.currency),
    }
    answer.update(account_restore_if_paid(ctx, account, on=today))
    answer["balance"] = money_text(account_ledger(account).balance, account.currency)
    return answer


def account_card_charge(ctx: CallContext, account: BillingAccount, amount: Decimal) -> dict:
    """Charge ``amount`` to the account's default card now, recording the attempt; an approved
    charge is a payment, dispersed oldest invoice first. Answers ``approved`` and the message."""
    method = account.default_payment_method
    if method is None:
        return {"approved": False, "message": f"The account {account.username} has no default card."}
    number = ChargeAttempt.objects.filter(account=account, invoice__isnull=True).count() + 1
    key = f"account-{account.pk}-payment-{number}"
    result, attempt = card_charge(ctx, account, method, amount, key)
    answer = {"approved": result.approved, "message": result.message}
    if result.approved:
        payment, _ = payment_record(
            ctx,
            account,
            amount=amount,
            payment_type=PaymentType.CREDIT_CARD,
            method=str(method),
            reference=result.reference,
            card_type=method.brand,
            charge=attempt,
        )
        answer["paymentID"] = payment.pk
        answer.update(account_restore_if_paid(ctx, account, on=_today()))
    return answer


@procedure(
    "Billing::MakePayment",
    args=(
        Arg(
            "username",
            required=True,
            subject=True,
            description="The username for the account making the payment.",
        ),
        Arg("amount", required=True, max_length=64, description="The amount of the payment."),
    ),
    security=BILLING_STAFF,
)
def payment_make(ctx: CallContext, *, username: str, amount: str) -> dict:
    """Charge the account's default card (EngageIP ``MakePayment``); ``MakePaymentResult`` is
    whether the charge was approved (false without a card, or when declined). Exceptions ``INVALID
    USERNAME``, ``PAYMENT OF NON-POSITIVE AMOUNT``."""
    account = account_require(ctx, username, text=INVALID_USERNAME)
    text = (amount or "").strip()
    if not written_plainly(text):
        raise InvalidArgument(f"<amount> must be a number; {amount!r} is not.", field="amount")
    if Decimal(text) <= 0:
        raise InvalidArgument(NON_POSITIVE_PAYMENT, field="amount")
    value = money_parse(text, account.currency)
    if value is None:
        raise InvalidArgument(
            f"<amount> {amount} has more places than {account.currency} has.", field="amount"
        )
    answer = account_card_charge(ctx, account, value)
    answer["username"] = account.username
    return answer


# --- reads -----------------------------------------------------------------------------------------


def _datetime(day: dt.date | dt.datetime | None) -> str | None:
    if day is None:
        return None
    if isinstance(day, dt.datetime):
        return timezone.localtime(day).replace(tzinfo=None, microsecond=0).isoformat()
    return dt.datetime.combine(day, dt.time()).isoformat()


@procedure(
    "Billing::GetUserBalanceDue",
    args=(
        Arg(
            "username", required=True, subject=True, description="The username for which to get the balance."
        ),
        Arg("dueDate", max_length=64, description="The date for which to get the balance due."),
    ),
    security=ACCOUNT_READERS,
)
def balance_due_get(ctx: CallContext, *, username: str, dueDate: str | None) -> dict:
    """The balance due as of ``dueDate`` (EngageIP ``GetUserBalanceDue``): what is owed on invoices
    due by then, less payments and credits not dispersed yet (negative: credit). Exceptions
    ``INVALID USERNAME``, ``INVALID DATE``."""
    account = account_require(ctx, username, text=INVALID_USERNAME)
    try:
        text = (dueDate or "").strip()
        day = _day(dt.datetime.fromisoformat(text.replace("Z", "+00:00"))) if text else None
    except ValueError as exc:
        raise InvalidArgument(INVALID_DATE, field="dueDate") from exc
    ledger = account_ledger(account, as_of=day or _today())
    return {
        "username": account.username,
        "dueDate": (day or _today()).isoformat(),
        "balanceDue": str(ledger.due),
        "balance": str(ledger.balance),
        "currency": account.currency,
    }


@procedure(
    "Billing::GetInvoices", args=(Arg("username", required=True, subject=True),), security=ACCOUNT_READERS
)
def invoices_get(ctx: CallContext, *, username: str) -> dict:
    """The account's invoices, oldest first, as EngageIP's ``ViewInvoice`` (``Balance``: what is
    owed on it and on the invoices before it). Exception ``INVALID USERNAME``."""
    account = account_require(ctx, username, text=INVALID_USERNAME)
    invoices = list(
        Invoice.objects.filter(account=account)
        .annotate(paid=Sum("dispersals__amount"))
        .order_by("issued_on", "id")
    )
    running = ZERO
    rows = []
    for invoice in invoices:
        owed = invoice.total - Decimal(str(invoice.paid or 0))
        running += owed if invoice.status == Invoice.Status.OPEN else ZERO
        rows.append(
            {
                "ID": invoice.pk,
                "UserID": account.pk,
                "Name": invoice.number,
                "Date": _datetime(invoice.issued_on),
                "InvoiceDate": _datetime(invoice.issued_on),
                "DueDate": _datetime(invoice.due_date),
                "User": account.username,
                "UserStatus": account.status,
                "Balance": str(money_round(running, invoice.currency)),
                "Total": str(invoice.total),
                "InvoiceStatusType": "Closed" if invoice.status == Invoice.Status.PAID else "Open",
                "InvoiceID": invoice.pk,
                "BillRunHistoryID": invoice.bill_run_id,
                "CreatedDate": _datetime(invoice.created_at),
            }
        )
    return {"username": account.username, "invoices": rows}


@procedure(
    "Billing::GetPayments", args=(Arg("username", required=True, subject=True),), security=ACCOUNT_READERS
)
def payments_get(ctx: CallContext, *, username: str) -> dict:
    """The account's payments, oldest first, as EngageIP's ``ViewPayment``. Exception ``INVALID
    USERNAME``."""
    account = account_require(ctx, username, text=INVALID_USERNAME)
    payments = (
        Payment.objects.filter(account=account).annotate(n=Count("dispersals")).order_by("received_at", "id")
    )
    rows = [
        {
            "ID": p.pk,
            "Date": _datetime(p.paid_on or p.received_at),
            "Amount": str(p.amount),
            "UserID": account.pk,
            "Disbursed": p.n > 0,
            "Detail": p.detail,
            "PaymentType": p.payment_type,
            "User": account.username,
            "CheckNumber": str(p.check_number) if p.check_number else "",
            "AutomaticDisburse": p.auto_disperse,
            "Credit": False,
            "Void": False,
            "AddedBy_User": p.added_by,
            "PostingDate": _datetime(p.received_at),
            "CardType": p.card_type,
            "TransactionNumber": p.reference,
        }
        for p in payments
    ]
    return {"username": account.username, "payments": rows}


#: Current_StatusTypeID of the four base user package status types. The numbers are the portal's
#: own: EngageIP's pages name the four types but give no IDs (an installation's status type table
#: holds them), so integrations should read ``Status`` beside it (docs/billing.md).
PACKAGE_STATUS_IDS = {"Active": 1, "Canceled": 2, "Prospect": 3, "Suspended": 4}


@procedure(
    "Billing::GetUserPackages", args=(Arg("username", required=True, subject=True),), security=ACCOUNT_READERS
)
def user_packages_get(ctx: CallContext, *, username: str) -> dict:
    """The account's user packages as EngageIP's ``ViewUserPackage`` (``Amount``: the recurring
    charge of its services). Exception ``INVALID USERNAME``."""
    account = account_require(ctx, username, text=INVALID_USERNAME)
    ups = list(
        UserPackage.objects.filter(account=account)
        .select_related("package")
        .prefetch_related("package__services", "optional_services")
    )
    honoured = paid_through(ups)
    rows = []
    for up in ups:
        services = {s.pk: s for s in [*up.package.services.all(), *up.optional_services.all()]}
        rows.append(
            {
                "ID": up.pk,
                "UserID": account.pk,
                "User": account.username,
                "PackageID": up.package_id,
                "Package": up.package.name,
                "Amount": str(sum((s.price for s in services.values() if s.recurring), ZERO)),
                "CreatedDate": _datetime(up.created_at),
                "NextBillDate": _datetime(up.next_bill_date),
                "Name": up.package.name,
                "Current_StatusTypeID": PACKAGE_STATUS_IDS.get(up.status, 1),
                "Status": up.status,
                "EffectiveDate": _datetime(up.start_date),
                "CanceledDate": _datetime(up.canceled_on),
                "EffectiveCancelDate": _datetime(up.cancel_date or up.canceled_on),
                "PaidThroughDate": _datetime(honoured.get(up.pk)),
            }
        )
    return {"username": account.username, "userPackages": rows}


@procedure(
    "Billing::GetUserServices", args=(Arg("username", required=True, subject=True),), security=ACCOUNT_READERS
)
def user_services_get(ctx: CallContext, *, username: str) -> dict:
    """The services of the account's user packages as EngageIP's ``ViewUserService`` (the ``ID``
    of an optional one is what ``DeleteOptionalUserService`` takes). Exception ``INVALID
    USERNAME``."""
    account = account_require(ctx, username, text=INVALID_USERNAME)
    services = UserService.objects.filter(user_package__account=account).select_related(
        "service", "user_package"
    )
    rows = [
        {
            "ID": us.pk,
            "ServiceID": us.service_id,
            "UserID": account.pk,
            "CreatedDate": _datetime(us.created_at),
            "UserPackageID": us.user_package_id,
            "Service": us.service.name,
            "User": account.username,
            "Amount": str(us.service.price) if us.service.recurring else None,
            "Optional": us.optional,
            "Canceled": us.canceled_on is not None,
            "OneTimeAmount": None if us.service.recurring else str(us.service.price),
            "CanceledDate": _datetime(us.canceled_on),
            "PackageID": us.user_package.package_id,
        }
        for us in services
    ]
    return {"username": account.username, "userServices": rows}
