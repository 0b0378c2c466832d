"""Procedures of billing (seed ``004``: ``Billing::AddPackageToUserWithOptionalServices``).

Every billing state change requires billing rights (DomainAdmins, or the ``BillingAdmins``
group). Card charges are outside effects: a procedure that bills schedules
``Billing::ChargeInvoice`` for after its own commit, one call (one transaction, one audit record)
per invoice, so a charge is never made for an invoice that a rollback then erases.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.management.color import no_style
from django.core.validators import validate_email
from django.db import connection, transaction

from billing import money
from billing.cycle import (
    bill_run_execute,
    invoices_to_charge,
    user_package_bill_now,
    user_package_bill_period,
)
from billing.ledger import invoice_disperse_first, invoice_open_amount
from billing.models import (
    BillCycle,
    BillingAccount,
    BillRun,
    ChargeAttempt,
    Invoice,
    Package,
    PackageOptionalService,
    Payment,
    PaymentMethod,
    PaymentType,
    Service,
    ServiceDiscount,
    UserPackage,
    UserService,
)
from billing.money import CURRENCY_PLACES, ZERO, add_months
from billing.payments import payment_gateway
from billing.selectors import account_reaches
from billing.status import account_restore_if_paid
from billing.xmlargs import optional_services_parse, service_discounts_parse
from hosting.models import CustomerRecord
from portal.engine import BILLING_ADMINS, Arg, CallContext, Security, procedure, run
from portal.errors import Conflict, InvalidArgument, NotFound, PortalError, PrerequisiteFailed

log = logging.getLogger(__name__)

BILLING_STAFF = Security(roles=(BILLING_ADMINS,), description="DomainAdmins or BillingAdmins")

# Seed 004, "Possible Exceptions", to the letter.
INVALID_USERNAME = "INVALID USERNAME"
INVALID_PACKAGE = "INVALID PACKAGE"


def account_require(ctx: CallContext, username: str, *, argument: str = "username", text: str | None = None):
    """The account ``username``, locked for the call where it may write (a read runs in no
    transaction and takes no lock: ``ctx.batch.writing``); one the identity may not see is reported
    as missing, so that its existence is not given away."""
    accounts = BillingAccount.objects.select_related("customer_record", "parent", "default_payment_method")
    if ctx.batch.writing:
        accounts = accounts.select_for_update(of=("self",))
    account = accounts.filter(username=username).first()
    if account is None or not account_reaches(ctx.identity, account):
        raise NotFound(text or f"There is no billing account {username!r}.", field=argument)
    return account


def charges_after_commit(ctx: CallContext, invoice_ids: list[int]) -> Callable[[], None] | None:
    """Charge ``invoice_ids`` once the calling transaction has committed, each in a call of its own."""
    if not invoice_ids:
        return None
    identity, door = ctx.identity, ctx.door

    def charge() -> None:
        for invoice_id in invoice_ids:
            try:
                run(identity, "Billing::ChargeInvoice", {"invoiceID": invoice_id}, door=door)
            except PortalError as err:
                log.warning("charging invoice %s failed: %s", invoice_id, err.text)

    transaction.on_commit(charge)
    return charge


# --- the catalogue ------------------------------------------------------------------------------


@procedure(
    "Billing::CreateService",
    args=(
        Arg(
            "serviceID",
            "int",
            description="(optional) The ServiceID to give it; the next free one if absent.",
        ),
        Arg("name", required=True, max_length=128),
        Arg("recurring", "bool", description="Billed every period (default) or only in the first one."),
        Arg("price", "decimal", required=True, description="Price per period, in the account's currency."),
    ),
    security=BILLING_STAFF,
)
def service_create(
    ctx: CallContext, *, serviceID: int | None, name: str, recurring: bool | None, price
) -> dict:
    """Add a service to the catalogue; answers its ``serviceID``."""
    if price < 0 or price != price.quantize(Decimal("0.01")):
        raise InvalidArgument("<price> must be at least 0, with at most two decimal places.", field="price")
    if Service.objects.filter(name__iexact=name).exists():
        raise Conflict(f"There is already a service named {name!r}.", field="name")
    if serviceID is not None and (serviceID < 1 or Service.objects.filter(pk=serviceID).exists()):
        raise Conflict(f"The service ID {serviceID} is taken or not positive.", field="serviceID")
    service = Service.objects.create(
        pk=serviceID, name=name, recurring=True if recurring is None else recurring, price=price
    )
    if serviceID is not None:
        numbering_catch_up(Service)
    return {"serviceID": service.pk, "name": service.name}


def card_charge(ctx: CallContext, account, method, amount: Decimal, key: str, *, invoice=None):
    """Charge ``amount`` to ``method`` through the payment gateway (``key`` makes a retry charge
    once) and record the attempt, approved or declined; answers the gateway's result and the
    attempt row."""
    gateway = payment_gateway()
    currency = invoice.currency if invoice is not None else account.currency
    result = gateway.charge(token=method.token, amount=amount, currency=currency, idempotency_key=key)
    attempt = ChargeAttempt.objects.create(
        invoice=invoice,
        account=account,
        payment_method=method,
        gateway=gateway.name,
        idempotency_key=key,
        amount=amount,
        currency=currency,
        approved=result.approved,
        reference=result.reference,
        message=result.message[:256],
        attempted_by=ctx.caller.username,
    )
    return result, attempt


def numbering_catch_up(model) -> None:
    """After a row was inserted with an ID the caller chose (EngageIP's ``serviceID`` and
    ``packageID``), the database's own numbering continues above the highest ID: PostgreSQL's
    sequences do not move by themselves, and the next row without an ID would collide."""
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [model]):
            cursor.execute(sql)


SERVICE_IDS = {"kind": "list", "item": "ServiceID", "item_kind": "int"}


@procedure(
    "Billing::CreatePackage",
    args=(
        Arg("packageID", "int", description="(optional) The package ID to give it."),
        Arg("name", required=True, max_length=128),
        Arg("billCycle", choices=tuple(BillCycle.values), description="monthly (default) or yearly."),
        Arg("services", **SERVICE_IDS, description="Services billed every period."),
        Arg("optionalServices", **SERVICE_IDS, description="Optional services it offers."),
        Arg("defaultOptionalServices", **SERVICE_IDS, description="Optional services on by default."),
    ),
    security=BILLING_STAFF,
)
def package_create(
    ctx: CallContext,
    *,
    packageID: int | None,
    name: str,
    billCycle: str | None,
    services: list[int],
    optionalServices: list[int],
    defaultOptionalServices: list[int],
) -> dict:
    """Add a package to the catalogue; a default optional service is one of its optional services.
    Answers its ``packageID``."""
    if Package.objects.filter(name__iexact=name).exists():
        raise Conflict(f"There is already a package named {name!r}.", field="name")
    if packageID is not None and (packageID < 1 or Package.objects.filter(pk=packageID).exists()):
        raise Conflict(f"The package ID {packageID} is taken or not positive.", field="packageID")
    wanted = {*services, *optionalServices, *defaultOptionalServices}
    known = Service.objects.in_bulk(wanted)
    for argument, ids in (
        ("services", services),
        ("optionalServices", optionalServices),
        ("defaultOptionalServices", defaultOptionalServices),
    ):
        for service_id in ids:
            if service_id not in known:
                raise InvalidArgument(
                    f"<{argument}>: there is no service with ID {service_id}.", field=argument
                )
    optional = list(dict.fromkeys([*optionalServices, *defaultOptionalServices]))
    package = Package.objects.create(pk=packageID, name=name, bill_cycle=billCycle or BillCycle.MONTHLY)
    if packageID is not None:
        numbering_catch_up(Package)
    package.services.set(services)
    PackageOptionalService.objects.bulk_create(
        PackageOptionalService(package=package, service_id=sid, default_on=sid in defaultOptionalServices)
        for sid in optional
    )
    return {"packageID": package.pk, "name": package.name}


# --- accounts ----------------------------------------------------------------------------------


@procedure(
    "Billing::CreateAccount",
    args=(
        Arg("username", required=True, max_length=150, subject=True),
        Arg("name", max_length=256),
        Arg("path", "path", description="(optional) LDAP path of the organization or user it bills."),
        Arg("currency", choices=tuple(CURRENCY_PLACES), description="USD when absent."),
        Arg("parent", max_length=150, description="(optional) Username of the parent account."),
        Arg("email", max_length=254, description="(optional) The billing contact's e-mail address."),
    ),
    security=BILLING_STAFF,
)
def account_create(
    ctx: CallContext,
    *,
    username: str,
    name: str | None,
    path: str | None,
    currency: str | None,
    parent: str | None,
    email: str | None,
) -> dict:
    """Open a billing account, linked to the Plans database customer record of ``path`` when given
    (the record must exist: ``MPS Import::EnableCustomerForPlans`` first); ``email`` is its
    billing contact, to whom dunning's notices are e-mailed."""
    contact = billing_email_clean(email)
    if BillingAccount.objects.filter(username=username).exists():
        raise Conflict(f"There is already a billing account {username!r}.", field="username")
    record = None
    if path:
        record = CustomerRecord.objects.at_path(path).first()
        if record is None:
            raise PrerequisiteFailed(
                f"{path} has no Plans database customer record; enable it for plans first.", field="path"
            )
    parent_account = account_require(ctx, parent, argument="parent") if parent else None
    account = BillingAccount.objects.create(
        username=username,
        name=name or (record.name if record else username),
        customer_record=record,
        currency=currency or "USD",
        parent=parent_account,
        billing_email=contact,
    )
    return {"username": account.username, "accountID": account.pk}


def billing_email_clean(email: str | None) -> str:
    """A billing contact's address as given (empty: none); one that is not an address is refused."""
    text = (email or "").strip()
    if text:
        try:
            validate_email(text)
        except ValidationError as exc:
            raise InvalidArgument(f"<email> {text!r} is not an e-mail address.", field="email") from exc
    return text


@procedure(
    "Billing::SetBillingContact",
    args=(
        Arg("username", required=True, subject=True),
        Arg("email", required=True, max_length=254, description="The address (empty: no contact)."),
    ),
    security=BILLING_STAFF,
)
def billing_contact_set(ctx: CallContext, *, username: str, email: str) -> dict:
    """Set the account's billing contact, the address dunning's notices are e-mailed to."""
    account = account_require(ctx, username)
    account.billing_email = billing_email_clean(email)
    account.save(update_fields=["billing_email"])
    return {"username": account.username, "email": account.billing_email}


@procedure(
    "Billing::SetPaymentCard",
    args=(
        Arg("username", required=True, subject=True),
        Arg("cardNumber", required=True, secret=True, max_length=32),
    ),
    security=BILLING_STAFF,
)
def payment_card_set(ctx: CallContext, *, username: str, cardNumber: str) -> dict:
    """Make a card the account's default payment method. The gateway turns the number into a token;
    only the token and the last four digits are kept."""
    account = account_require(ctx, username)
    gateway = payment_gateway()
    card = gateway.tokenize(cardNumber)
    method = PaymentMethod.objects.create(
        account=account, gateway=gateway.name, token=card.token, brand=card.brand, last4=card.last4
    )
    account.default_payment_method = method
    account.save(update_fields=["default_payment_method"])
    return {"username": account.username, "brand": card.brand, "last4": card.last4}


# --- seed 004 ----------------------------------------------------------------------------------


@procedure(
    "Billing::AddPackageToUserWithOptionalServices",
    args=(
        Arg(
            "username",
            required=True,
            subject=True,
            description="The username of the user in which to add the package.",
        ),
        Arg("packageID", "int", required=True, description="The ID of the package to add to the user."),
        Arg(
            "chargeCreditCard",
            "bool",
            description="When true and the user's default payment is a card, the package is charged.",
        ),
        Arg("IsChildUser", "bool", description="Indicates if the user is a child account."),
        Arg(
            "NextBillDate",
            "datetime",
            description="The date the package is billed; DateTime.MinValue (0001-01-01T00:00:00) means now.",
        ),
        Arg("billNow", "bool", description="When true, the package is invoiced at once."),
        Arg("xmlOptionalServices", "xml", max_length=65536, description="<OptionalServices><ServiceID>…"),
        Arg("xmlServiceDiscounts", "xml", max_length=65536, description="<ServiceDiscounts><ServiceName>…"),
    ),
    security=BILLING_STAFF,
)
def user_package_add(
    ctx: CallContext,
    *,
    username: str,
    packageID: int,
    chargeCreditCard: bool | None,
    IsChildUser: bool | None,
    NextBillDate: dt.datetime | None,
    billNow: bool | None,
    xmlOptionalServices: str | None,
    xmlServiceDiscounts: str | None,
) -> dict:
    """Assign a package to a user with optional services and service discounts; returns the ID of
    the new user package (``userPackageID``).

    Seed 004: the package's default optional services are always included; ``NextBillDate`` of
    DateTime.MinValue means now; ``billNow`` invoices the first period at once; with
    ``chargeCreditCard`` and a default card the first period is invoiced at once too and the
    invoice charged after commit. Fails with ``INVALID USERNAME`` or ``INVALID PACKAGE``, and with
    a clear error for a service ID the package does not offer or a malformed XML argument.
    """
    account = account_require(ctx, username, text=INVALID_USERNAME)
    package = (
        Package.objects.prefetch_related("services", "optional_services__service")
        .filter(pk=packageID)
        .first()
    )
    if package is None:
        raise NotFound(INVALID_PACKAGE, field="packageID")
    chosen = optional_services_parse(xmlOptionalServices)
    discounts = service_discounts_parse(xmlServiceDiscounts)

    offered = {item.service_id: item for item in package.optional_services.all()}
    for service_id in chosen:
        if service_id not in offered:
            known = Service.objects.filter(pk=service_id).first()
            reason = (
                "there is no such service"
                if known is None
                else f"{known.name} is not one of its optional services"
            )
            raise InvalidArgument(
                f"<xmlOptionalServices>: ServiceID {service_id} cannot be added to package "
                f"{package.pk} ({package.name}): {reason}.",
                field="xmlOptionalServices",
            )
    optional_ids = list(dict.fromkeys([*chosen, *(sid for sid, item in offered.items() if item.default_on)]))
    billed = {service.name.lower(): service for service in package.services.all()}
    billed.update({offered[sid].service.name.lower(): offered[sid].service for sid in optional_ids})
    for spec in discounts:
        if spec.service_name.lower() not in billed:
            names = ", ".join(service.name for service in billed.values())
            raise InvalidArgument(
                f"<xmlServiceDiscounts>: the service {spec.service_name!r} is not billed in this user "
                f"package (package {package.pk} with its optional services: {names}).",
                field="xmlServiceDiscounts",
            )

    today = money.today()
    # Seed: "use DateTime.MinValue to set as now".
    start = today if NextBillDate is None or NextBillDate.year == 1 else NextBillDate.date()
    # billNow with a later bill date: the package starts today and the rest of the bill period
    # up to that date is invoiced at once, prorated by days.
    stub = bool(billNow) and start > today
    up = UserPackage.objects.create(
        account=account,
        package=package,
        is_child=bool(IsChildUser),
        start_date=today if stub else start,
        next_bill_date=start,
        bill_day=start.day,
    )
    up.optional_services.set(optional_ids)
    UserService.objects.bulk_create(
        [UserService(user_package=up, service=service) for service in package.services.all()]
        + [UserService(user_package=up, service_id=sid, optional=True) for sid in optional_ids]
    )
    ServiceDiscount.objects.bulk_create(
        ServiceDiscount(
            user_package=up,
            service=billed[spec.service_name.lower()],
            discount_type=spec.discount_type,
            amount=spec.amount,
            occurrences=spec.occurrences,
            note=spec.note,
        )
        for spec in discounts
    )
    card = account.default_payment_method if chargeCreditCard else None
    invoice = None
    if stub:
        period_start = add_months(start, -package.months, anchor_day=start.day)
        invoice = user_package_bill_period(up, today, start, today, period_start=period_start)
    elif billNow or card is not None:
        invoice = user_package_bill_now(up, today)
    if card is not None and invoice is not None and invoice.account_id == account.pk:
        charges_after_commit(ctx, [invoice.pk])
    return {"userPackageID": up.pk, "invoiceID": invoice.pk if invoice else None}


# --- the bill cycle ----------------------------------------------------------------------------


@procedure(
    "Billing::RunBillCycle",
    args=(
        Arg(
            "date",
            "date",
            required=True,
            description="Bill everything due on or before this day (ISO 8601); at most "
            "BILLING_RUN_HORIZON_DAYS (31) days after today.",
            latest=money.bill_run_latest,
        ),
        Arg("username", subject=True, description="(optional) Only the packages billed to this account."),
    ),
    security=BILLING_STAFF,
)
def bill_cycle_run(ctx: CallContext, *, date: dt.date, username: str | None) -> dict:
    """Invoice every user package due on or before ``date``, apply and count down discounts, move
    next bill dates on, and charge open invoices of accounts with a default card after commit (a
    declined invoice stays open and is charged again by the next run). Idempotent: a period is
    billed once, whatever runs again or at the same time. Answers a summary."""
    if username:
        account_require(ctx, username)
    bill_run = BillRun.objects.create(run_date=date, username=username or "", started_by=ctx.caller.username)
    summary = bill_run_execute(date, username=username, progress=ctx.progress, bill_run=bill_run)
    to_charge = list(invoices_to_charge(date, username=username))
    charges_after_commit(ctx, to_charge)
    bill_run.accounts = summary.accounts
    bill_run.invoices = summary.invoices
    bill_run.lines = summary.lines
    bill_run.skipped = summary.skipped
    bill_run.charges = len(to_charge)
    bill_run.save(update_fields=["accounts", "invoices", "lines", "skipped", "charges"])
    return {"billRunID": bill_run.pk, **summary.as_dict(), "charges": len(to_charge)}


@procedure(
    "Billing::ChargeInvoice",
    args=(Arg("invoiceID", "int", required=True),),
    security=BILLING_STAFF,
)
def invoice_charge(ctx: CallContext, *, invoiceID: int) -> dict:
    """Charge what is due on an open invoice to its account's default card, recording the attempt
    (approved or declined); an approved charge records the payment and closes the invoice.

    The gateway gets an idempotency key made of the invoice and the attempt number: should this
    transaction fail after the gateway approved, the repeated attempt uses the same key and is not
    charged twice. A declined charge is not an error: the invoice stays open.
    """
    invoice = Invoice.objects.select_for_update().filter(pk=invoiceID).first()
    if invoice is None:
        raise NotFound(f"There is no invoice {invoiceID}.", field="invoiceID")
    account = account_require(ctx, invoice.account.username, argument="invoiceID")
    if invoice.status != Invoice.Status.OPEN:
        return {
            "invoiceID": invoice.pk,
            "status": invoice.status,
            "approved": None,
            "message": "Already paid.",
        }
    method = account.default_payment_method
    if method is None:
        raise PrerequisiteFailed(f"The account {account.username} has no default card.", field="invoiceID")
    due = invoice_open_amount(invoice)
    if due <= ZERO:
        invoice.status = Invoice.Status.PAID
        invoice.save(update_fields=["status"])
        return {
            "invoiceID": invoice.pk,
            "status": invoice.status,
            "approved": None,
            "message": "Nothing due.",
        }
    attempt_number = invoice.charge_attempts.count() + 1
    key = f"invoice-{invoice.pk}-attempt-{attempt_number}"
    result, attempt = card_charge(ctx, account, method, due, key, invoice=invoice)
    answer = {}
    if result.approved:
        payment = Payment.objects.create(
            invoice=invoice,
            account=account,
            amount=due,
            currency=invoice.currency,
            method=f"{method.brand or 'card'} ending {method.last4}",
            payment_type=PaymentType.CREDIT_CARD,
            card_type=method.brand,
            reference=result.reference,
            paid_on=money.today(),
            added_by=ctx.caller.username,
            charge=attempt,
        )
        invoice_disperse_first(invoice, payment)
        answer = account_restore_if_paid(ctx, account, on=money.today())
    return {
        "invoiceID": invoice.pk,
        "status": invoice.status,
        "approved": result.approved,
        "message": result.message,
        **answer,
    }
