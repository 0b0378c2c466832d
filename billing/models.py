"""Billing: accounts, the catalogue of services and packages, user packages with their optional
services and discounts, invoices with their lines, bill runs, cards, charge attempts and payments.

Money is ``Decimal`` (``DecimalField`` with two places), rounded half up to the currency's minor
unit (:mod:`billing.money`). Full card numbers are never stored: a card is the gateway's token
and its last four digits.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import models
from django.db.models import Q

from billing.money import CURRENCY_CHOICES, add_months
from portal.models import RestrictedQuerySet

MONEY = {"max_digits": 14, "decimal_places": 2}


class BillCycle(models.TextChoices):
    """How often a package is billed."""

    MONTHLY = "monthly", "Monthly"
    YEARLY = "yearly", "Yearly"


class DiscountType(models.TextChoices):
    """The seed's ``discountType`` values."""

    FIXED = "Fixed"
    PERCENT = "Percent"


class BillingAccount(models.Model):
    """A billing user, known by its unique ``username`` (the seed's ``username``).

    An account linked to a Plans database customer record belongs to that record's directory
    object: a caller sees it when its scope reaches the object (``billing.selectors``). An account
    without a record is seen by billing staff only. A child account names its parent; user
    packages flagged as a child's are invoiced to the parent.
    """

    username = models.CharField(max_length=150, unique=True)
    name = models.CharField(max_length=256, blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    customer_record = models.ForeignKey(
        "hosting.CustomerRecord", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES, default="USD")
    default_payment_method = models.ForeignKey(
        "PaymentMethod", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = RestrictedQuerySet.as_manager()
    #: where the row sits in the hosting tree: the Plans database record of its account
    scope_field = "customer_record__dn_key"

    class Meta:
        ordering = ["username"]

    def __str__(self) -> str:
        return self.username


class PaymentMethod(models.Model):
    """A card of an account, as the payment gateway's token and the last four digits; never the
    full number."""

    account = models.ForeignKey(BillingAccount, on_delete=models.CASCADE, related_name="payment_methods")
    gateway = models.CharField(max_length=32)
    token = models.CharField(max_length=128)
    brand = models.CharField(max_length=32, blank=True)
    last4 = models.CharField(max_length=4)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.brand or 'card'} ending {self.last4}"


class Service(models.Model):
    """A billable service of the catalogue; its ``id`` is the seed's ``ServiceID``.

    A recurring service is billed every period; a one-time service only in the first period of a
    user package.
    """

    name = models.CharField(max_length=128, unique=True)
    recurring = models.BooleanField(default=True)
    price = models.DecimalField(**MONEY)

    class Meta:
        ordering = ["name"]
        constraints = [models.CheckConstraint(condition=Q(price__gte=0), name="service_price_not_negative")]

    def __str__(self) -> str:
        return self.name


class Package(models.Model):
    """A package of the catalogue; its ``id`` is the seed's ``packageID``.

    It holds services billed every period, and optional services a user package may add, some of
    them on by default (always added, seed: "The User Package will include default Optional
    Services that might be configured on the Package").
    """

    name = models.CharField(max_length=128, unique=True)
    bill_cycle = models.CharField(max_length=8, choices=BillCycle.choices, default=BillCycle.MONTHLY)
    services = models.ManyToManyField(Service, related_name="packages", blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name

    @property
    def months(self) -> int:
        """Months in one bill period."""
        return 12 if self.bill_cycle == BillCycle.YEARLY else 1


class PackageOptionalService(models.Model):
    """An optional service a package offers, and whether it is on by default."""

    package = models.ForeignKey(Package, on_delete=models.CASCADE, related_name="optional_services")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="+")
    default_on = models.BooleanField(default=False)

    class Meta:
        ordering = ["service_id"]
        constraints = [
            models.UniqueConstraint(fields=["package", "service"], name="package_optional_service_once")
        ]

    def __str__(self) -> str:
        return f"{self.package} offers {self.service}"


class UserPackage(models.Model):
    """A package assigned to an account, with its chosen optional services (the package's default
    ones always among them) and the date its next period is billed.

    ``bill_day`` keeps the day of the month billing started on, so that a package started on the
    31st is billed on the last day of shorter months and on the 31st again after them.
    """

    account = models.ForeignKey(BillingAccount, on_delete=models.PROTECT, related_name="user_packages")
    package = models.ForeignKey(Package, on_delete=models.PROTECT, related_name="user_packages")
    optional_services = models.ManyToManyField(Service, related_name="+", blank=True)
    is_child = models.BooleanField(default=False)
    start_date = models.DateField()
    next_bill_date = models.DateField(db_index=True)
    bill_day = models.PositiveSmallIntegerField()
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = RestrictedQuerySet.as_manager()
    #: where the row sits in the hosting tree: the Plans database record of its account
    scope_field = "account__customer_record__dn_key"

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["active", "next_bill_date"])]

    def __str__(self) -> str:
        return f"{self.account} · {self.package}"

    def period_after(self, start: dt.date) -> dt.date:
        """The first day of the period after the one starting on ``start``."""
        return add_months(start, self.package.months, anchor_day=self.bill_day)


class ServiceDiscount(models.Model):
    """A discount on one service of a user package (seed: ``xmlServiceDiscounts``).

    ``occurrences`` is the seed's ``discountOccur``: how many bills it applies to, 0 meaning every
    bill for ever; ``times_applied`` counts the bills it was applied to. It never takes a line
    below zero.
    """

    user_package = models.ForeignKey(UserPackage, on_delete=models.CASCADE, related_name="discounts")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="+")
    discount_type = models.CharField(max_length=8, choices=DiscountType.choices)
    amount = models.DecimalField(**MONEY)
    occurrences = models.PositiveIntegerField(default=0)
    times_applied = models.PositiveIntegerField(default=0)
    note = models.CharField(max_length=256, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="discount_amount_not_negative"),
            models.CheckConstraint(
                condition=Q(discount_type="Fixed") | Q(amount__lte=100), name="discount_percent_at_most_100"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.discount_type} {self.amount} on {self.service}"

    @property
    def occurrences_left(self) -> int | None:
        """Bills it still applies to; None when it applies for ever."""
        if self.occurrences == 0:
            return None
        return max(self.occurrences - self.times_applied, 0)

    @property
    def is_live(self) -> bool:
        """Whether the next bill gets it."""
        return self.occurrences == 0 or self.times_applied < self.occurrences


class BillRun(models.Model):
    """One run of the bill cycle (or one ``billNow``): its date, who ran it, and what it billed."""

    run_date = models.DateField()
    username = models.CharField(max_length=150, blank=True, help_text="Only this account, if given.")
    started_at = models.DateTimeField(auto_now_add=True)
    started_by = models.CharField(max_length=150)
    accounts = models.PositiveIntegerField(default=0)
    invoices = models.PositiveIntegerField(default=0)
    lines = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0, help_text="Accounts another run billed first.")
    charges = models.PositiveIntegerField(default=0, help_text="Card charges started after commit.")

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"Bill run of {self.run_date}"


class Invoice(models.Model):
    """A bill to an account. ``total`` is the sum of its lines, set when it is issued; it is open
    until a payment covers it."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        PAID = "paid", "Paid"

    account = models.ForeignKey(BillingAccount, on_delete=models.PROTECT, related_name="invoices")
    bill_run = models.ForeignKey(BillRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    issued_on = models.DateField()
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    total = models.DecimalField(**MONEY)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = RestrictedQuerySet.as_manager()
    #: where the row sits in the hosting tree: the Plans database record of its account
    scope_field = "account__customer_record__dn_key"

    class Meta:
        ordering = ["-issued_on", "-id"]
        constraints = [models.CheckConstraint(condition=Q(total__gte=0), name="invoice_total_not_negative")]

    def __str__(self) -> str:
        return f"Invoice {self.number}"

    @property
    def number(self) -> str:
        """The invoice number people read: ``INV-000042``."""
        return f"INV-{self.pk:06d}"


class InvoiceLine(models.Model):
    """One service of one user package for one bill period, after its discounts.

    A database constraint allows one line per user package, service and period start: however
    often or however concurrently the bill cycle runs, a period is billed once. ``amount`` is never
    below zero (another constraint).
    """

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    user_package = models.ForeignKey(UserPackage, null=True, on_delete=models.PROTECT, related_name="+")
    service = models.ForeignKey(Service, null=True, on_delete=models.PROTECT, related_name="+")
    description = models.CharField(max_length=512)
    period_start = models.DateField(null=True)
    period_end = models.DateField(null=True)
    gross = models.DecimalField(**MONEY)
    discount = models.DecimalField(**MONEY, default=Decimal("0"))
    amount = models.DecimalField(**MONEY)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user_package", "service", "period_start"], name="invoice_line_once_per_period"
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="invoice_line_not_negative"),
        ]

    def __str__(self) -> str:
        return self.description


class ChargeAttempt(models.Model):
    """One attempt to charge an invoice to a card, approved or declined, as the gateway answered.

    ``idempotency_key`` is sent to the gateway, so a repeated attempt whose answer was lost is not
    charged twice (a constraint keeps one row per key).
    """

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="charge_attempts")
    payment_method = models.ForeignKey(PaymentMethod, null=True, on_delete=models.SET_NULL, related_name="+")
    gateway = models.CharField(max_length=32)
    idempotency_key = models.CharField(max_length=128, unique=True)
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    approved = models.BooleanField()
    reference = models.CharField(max_length=128, blank=True)
    message = models.CharField(max_length=256, blank=True)
    attempted_at = models.DateTimeField(auto_now_add=True)
    attempted_by = models.CharField(max_length=150, default="")

    objects = RestrictedQuerySet.as_manager()
    #: where the row sits in the hosting tree: the Plans database record of its account
    scope_field = "invoice__account__customer_record__dn_key"

    class Meta:
        ordering = ["-attempted_at", "-id"]

    def __str__(self) -> str:
        return f"{self.idempotency_key}: {'approved' if self.approved else 'declined'}"


class Payment(models.Model):
    """Money received for an invoice (an approved charge)."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments")
    account = models.ForeignKey(BillingAccount, on_delete=models.PROTECT, related_name="payments")
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    method = models.CharField(max_length=64)
    reference = models.CharField(max_length=128, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    charge = models.OneToOneField(ChargeAttempt, null=True, on_delete=models.PROTECT, related_name="payment")

    objects = RestrictedQuerySet.as_manager()
    #: where the row sits in the hosting tree: the Plans database record of its account
    scope_field = "account__customer_record__dn_key"

    class Meta:
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} for {self.invoice}"
