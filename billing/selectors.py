"""Reads of billing, already filtered by the caller's scope.

Billing staff (DomainAdmins, and the ``BillingAdmins`` group) see every account. Others see the
accounts linked to a customer record whose directory object their scope reaches: the OrgCreators
of a reseller see their customers' accounts, a customer's administrators their own organization's.
An account without a customer record is seen by billing staff only.
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum

from billing.models import (
    BillingAccount,
    BillRun,
    ChargeAttempt,
    CreditNote,
    DunningRun,
    Invoice,
    Package,
    Payment,
    Service,
    UserPackage,
)
from billing.money import money_round
from portal.directory import dn_key, dn_parent
from portal.engine import BILLING_ADMINS, Caller
from portal.models import RestrictedQuerySet


def billing_staff(caller: Caller) -> bool:
    """Whether ``caller`` has billing rights (DomainAdmins or BillingAdmins)."""
    return caller.has_role(BILLING_ADMINS)


def _restrict(caller: Caller, rows: RestrictedQuerySet) -> RestrictedQuerySet:
    """Billing staff see every account's rows; others those of accounts in their scope."""
    return rows if billing_staff(caller) else rows.restrict(caller)


def account_reaches(caller: Caller, account: BillingAccount) -> bool:
    """Whether ``caller`` may see ``account``."""
    if billing_staff(caller):
        return True
    record = account.customer_record
    return record is not None and caller.read_scope_dn is not None and caller.reaches(record.dn)


def account_list(caller: Caller) -> QuerySet[BillingAccount]:
    """Accounts inside ``caller``'s scope."""
    return _restrict(
        caller, BillingAccount.objects.select_related("customer_record", "parent", "default_payment_method")
    )


def account_get(caller: Caller, username: str) -> BillingAccount | None:
    """The account ``username`` if ``caller`` may see it."""
    return account_list(caller).filter(username=username).first()


def service_list(caller: Caller) -> QuerySet[Service]:
    """The catalogue's services (the catalogue is not secret: every caller with a role sees it)."""
    return Service.objects.all() if caller.roles else Service.objects.none()


def package_list(caller: Caller) -> QuerySet[Package]:
    """The catalogue's packages with their services and optional services."""
    packages = Package.objects.prefetch_related("services", "optional_services__service")
    return packages if caller.roles else packages.none()


def user_package_list(caller: Caller, *, account: str | None = None) -> QuerySet[UserPackage]:
    """User packages of the accounts ``caller`` sees, optionally of one account."""
    ups = UserPackage.objects.select_related("account", "package").prefetch_related(
        "optional_services", "discounts__service"
    )
    ups = _restrict(caller, ups)
    if account:
        ups = ups.filter(account__username=account)
    return ups


def invoice_list(caller: Caller, *, account: str | None = None) -> QuerySet[Invoice]:
    """Invoices of the accounts ``caller`` sees, optionally of one account, with their lines."""
    invoices = Invoice.objects.select_related("account").prefetch_related("lines")
    invoices = _restrict(caller, invoices)
    if account:
        invoices = invoices.filter(account__username=account)
    return invoices


def payment_list(caller: Caller, *, account: str | None = None) -> QuerySet[Payment]:
    """Payments of the accounts ``caller`` sees."""
    payments = Payment.objects.select_related("account", "invoice").prefetch_related("dispersals")
    payments = _restrict(caller, payments)
    if account:
        payments = payments.filter(account__username=account)
    return payments


def credit_note_list(caller: Caller, *, account: str | None = None) -> QuerySet[CreditNote]:
    """Credit notes of the accounts ``caller`` sees, with their lines."""
    notes = CreditNote.objects.select_related("account").prefetch_related("lines")
    notes = _restrict(caller, notes)
    if account:
        notes = notes.filter(account__username=account)
    return notes


def dunning_run_list(caller: Caller) -> QuerySet[DunningRun]:
    """Dunning runs: billing staff only."""
    return DunningRun.objects.all() if billing_staff(caller) else DunningRun.objects.none()


def charge_attempt_list(caller: Caller, *, account: str | None = None) -> QuerySet[ChargeAttempt]:
    """Card charge attempts (approved and declined) of the accounts ``caller`` sees."""
    attempts = ChargeAttempt.objects.select_related("invoice", "account")
    attempts = _restrict(caller, attempts)
    if account:
        attempts = attempts.filter(account__username=account)
    return attempts


def bill_run_list(caller: Caller) -> QuerySet[BillRun]:
    """Bill runs: billing staff only."""
    return BillRun.objects.all() if billing_staff(caller) else BillRun.objects.none()


def organization_account_list(caller: Caller, dn: str) -> list[BillingAccount]:
    """The accounts ``caller`` sees that are linked to the customer record of the directory
    object at ``dn``, each with ``open_invoices`` (how many are open) and ``open_amount`` (their
    total, a Decimal in the account's currency)."""
    is_open = Q(invoices__status=Invoice.Status.OPEN)
    accounts = list(
        account_list(caller)
        .filter(customer_record__dn_key=dn_key(dn))
        .annotate(
            open_invoices=Count("invoices", filter=is_open), open_total=Sum("invoices__total", filter=is_open)
        )
    )
    for account in accounts:
        # Sum over a decimal column may come back without its places (SQLite): round as money.
        account.open_amount = money_round(Decimal(str(account.open_total or 0)), account.currency)
    return accounts


def user_account_list(caller: Caller, dn: str) -> list[BillingAccount]:
    """The accounts ``caller`` sees that bill the user at ``dn``: those linked to the user's own
    customer record or to the one of the organization holding it (the same rule as the account
    page: an account outside the caller's scope is not there)."""
    keys = [dn_key(dn), dn_key(dn_parent(dn))]
    return list(account_list(caller).filter(customer_record__dn_key__in=keys).order_by("username"))
