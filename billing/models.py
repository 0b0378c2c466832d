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
    status = models.CharField(max_length=16, default="Enabled", db_index=True)
    status_reason = models.CharField(max_length=256, blank=True)
    status_amount = models.DecimalField(
        **MONEY, null=True, blank=True, help_text="The balance due when the status was set (dunning)."
    )
    status_changed_on = models.DateField(null=True, blank=True)
    pending_status = models.CharField(max_length=16, blank=True, help_text="A status to take on a later day.")
    pending_status_date = models.DateField(null=True, blank=True)
    pending_cancel_option = models.CharField(max_length=40, blank=True)
    status_by_dunning = models.BooleanField(
        default=False, help_text="Suspended by dunning: a payment that clears the balance due restores it."
    )
    mail_suspended = models.BooleanField(
        default=False, help_text="The mailboxes of its organization were disabled for non-payment."
    )
    billing_email = models.EmailField(
        blank=True, help_text="The billing contact: dunning's notices are e-mailed to this address."
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
    status = models.CharField(max_length=16, default="Active")
    cancel_date = models.DateField(
        null=True,
        blank=True,
        help_text="First day no longer served (PeriodEnd, SpecificDate); billed up to it.",
    )
    canceled_on = models.DateField(null=True, blank=True)
    cancel_option = models.CharField(max_length=40, blank=True)
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
    due_on = models.DateField(
        null=True, blank=True, help_text="Payment expected by; the issue day when empty."
    )
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

    @property
    def due_date(self) -> dt.date:
        """The day payment is expected by."""
        return self.due_on or self.issued_on


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

    invoice = models.ForeignKey(
        Invoice, null=True, blank=True, on_delete=models.PROTECT, related_name="charge_attempts"
    )
    account = models.ForeignKey(
        BillingAccount, null=True, blank=True, on_delete=models.PROTECT, related_name="charge_attempts"
    )
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
    scope_field = "account__customer_record__dn_key"

    class Meta:
        ordering = ["-attempted_at", "-id"]

    def __str__(self) -> str:
        return f"{self.idempotency_key}: {'approved' if self.approved else 'declined'}"


class PaymentType(models.TextChoices):
    """EngageIP's base payment types (``paymenttype`` of ``AddPayment``)."""

    ACH = "ACH"
    CASH = "Cash"
    CHECK = "Check"
    CREDIT_CARD = "Credit Card"
    CREDIT_CARD_TOKEN = "Credit Card Token"
    ECHECK_TOKEN = "ECheck Token"
    OTHER = "Other"


class Payment(models.Model):
    """Money received from an account.

    It is dispersed (:class:`Dispersal`) to open invoices, oldest first; what is not dispersed yet
    is credit on the account, used by the next invoice. ``reference`` makes recording idempotent:
    an account holds one payment per non-empty reference, so a retried call records it once.
    ``invoice`` is the invoice a card charge was made for, when there was one.
    """

    invoice = models.ForeignKey(
        Invoice, null=True, blank=True, on_delete=models.PROTECT, related_name="payments"
    )
    account = models.ForeignKey(BillingAccount, on_delete=models.PROTECT, related_name="payments")
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    method = models.CharField(max_length=64)
    payment_type = models.CharField(
        max_length=24, choices=PaymentType.choices, default=PaymentType.CREDIT_CARD
    )
    reference = models.CharField(max_length=128, blank=True)
    detail = models.CharField(max_length=512, blank=True)
    card_type = models.CharField(max_length=32, blank=True)
    check_number = models.PositiveIntegerField(null=True, blank=True)
    paid_on = models.DateField(null=True, blank=True)
    auto_disperse = models.BooleanField(default=True)
    added_by = models.CharField(max_length=150, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    charge = models.OneToOneField(ChargeAttempt, null=True, on_delete=models.PROTECT, related_name="payment")

    objects = RestrictedQuerySet.as_manager()
    #: where the row sits in the hosting tree: the Plans database record of its account
    scope_field = "account__customer_record__dn_key"

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.UniqueConstraint(
                fields=["account", "reference"], condition=~Q(reference=""), name="payment_reference_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} from {self.account}"


class CreditNote(models.Model):
    """Money owed back to an account, as a numbered document of its own (``CN-000007``) with its
    lines; an issued invoice is never edited. It is dispersed like a payment: to open invoices,
    oldest first, the rest kept as credit for the next invoice."""

    account = models.ForeignKey(BillingAccount, on_delete=models.PROTECT, related_name="credit_notes")
    issued_on = models.DateField()
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    total = models.DecimalField(**MONEY)
    reason = models.CharField(max_length=256, blank=True)
    created_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = RestrictedQuerySet.as_manager()
    #: where the row sits in the hosting tree: the Plans database record of its account
    scope_field = "account__customer_record__dn_key"

    class Meta:
        ordering = ["-issued_on", "-id"]
        constraints = [models.CheckConstraint(condition=Q(total__gt=0), name="credit_note_total_positive")]

    def __str__(self) -> str:
        return f"Credit note {self.number}"

    @property
    def number(self) -> str:
        """The credit note number people read: ``CN-000007``."""
        return f"CN-{self.pk:06d}"


class CreditNoteLine(models.Model):
    """One credited service of one user package for the unused part of a period."""

    credit_note = models.ForeignKey(CreditNote, on_delete=models.CASCADE, related_name="lines")
    user_package = models.ForeignKey(UserPackage, null=True, on_delete=models.PROTECT, related_name="+")
    service = models.ForeignKey(Service, null=True, on_delete=models.PROTECT, related_name="+")
    invoice_line = models.ForeignKey(InvoiceLine, null=True, on_delete=models.PROTECT, related_name="credits")
    description = models.CharField(max_length=512)
    period_start = models.DateField(null=True)
    period_end = models.DateField(null=True)
    amount = models.DecimalField(**MONEY)

    class Meta:
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="credit_note_line_positive")]

    def __str__(self) -> str:
        return self.description


class Dispersal(models.Model):
    """Part of a payment or of a credit note applied to an invoice. An invoice is paid when its
    dispersals reach its total."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="dispersals")
    payment = models.ForeignKey(Payment, null=True, on_delete=models.PROTECT, related_name="dispersals")
    credit_note = models.ForeignKey(
        CreditNote, null=True, on_delete=models.PROTECT, related_name="dispersals"
    )
    amount = models.DecimalField(**MONEY)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="dispersal_positive"),
            models.CheckConstraint(
                condition=Q(payment__isnull=False, credit_note__isnull=True)
                | Q(payment__isnull=True, credit_note__isnull=False),
                name="dispersal_of_one_source",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount} to invoice {self.invoice_id}"


class UserService(models.Model):
    """One service of a user package (the package's own, or an optional one); its ``id`` is
    EngageIP's ``userServiceID``. A deleted optional service keeps its row, with the day it ended."""

    user_package = models.ForeignKey(UserPackage, on_delete=models.CASCADE, related_name="user_services")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="+")
    optional = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    canceled_on = models.DateField(null=True, blank=True)
    delete_option = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.user_package} · {self.service}"


class DunningPolicy(models.Model):
    """When an unpaid account is retried, suspended and cancelled. ``reseller_dn_key`` names the
    reseller organization (normalized DN) whose customers it governs; the policy with an empty key
    is the provider's default."""

    reseller_dn_key = models.CharField(max_length=1024, blank=True, unique=True)
    name = models.CharField(max_length=128, blank=True)
    retry_days = models.CharField(
        max_length=64, default="1,3,7", help_text="Days past due of each card retry."
    )
    suspend_after = models.PositiveIntegerField(default=14)
    cancel_after = models.PositiveIntegerField(default=60)

    class Meta:
        ordering = ["reseller_dn_key"]
        verbose_name_plural = "dunning policies"

    def __str__(self) -> str:
        return self.name or self.reseller_dn_key or "Default dunning policy"

    @property
    def retries(self) -> list[int]:
        """The days past due on which the card is charged again."""
        return sorted({int(x) for x in self.retry_days.split(",") if x.strip().isdigit()})


class DunningRun(models.Model):
    """One run of dunning for a date: what it found and did."""

    run_date = models.DateField()
    started_at = models.DateTimeField(auto_now_add=True)
    started_by = models.CharField(max_length=150)
    accounts = models.PositiveIntegerField(default=0, help_text="Accounts past due.")
    notices = models.PositiveIntegerField(default=0)
    retries = models.PositiveIntegerField(default=0)
    suspended = models.PositiveIntegerField(default=0)
    cancelled = models.PositiveIntegerField(default=0)
    scheduled = models.PositiveIntegerField(default=0, help_text="Status changes due that day.")

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"Dunning run of {self.run_date}"


class DunningNotice(models.Model):
    """A step of dunning taken on an account, kept as a notice on it: a reminder with a card
    retry, the suspension, the cancellation. One per account, overdue invoice and step, so that
    dunning for a date runs any number of times and takes each step once."""

    class Step(models.TextChoices):
        RETRY = "retry", "Reminder and card retry"
        REMINDER = "reminder", "Reminder"
        SUSPENDED = "suspended", "Suspended"
        CANCELLED = "cancelled", "Cancelled"
        RESTORED = "restored", "Service restored"

    account = models.ForeignKey(BillingAccount, on_delete=models.CASCADE, related_name="dunning_notices")
    invoice = models.ForeignKey(Invoice, null=True, on_delete=models.SET_NULL, related_name="+")
    dunning_run = models.ForeignKey(DunningRun, null=True, on_delete=models.SET_NULL, related_name="+")
    step = models.CharField(max_length=16, choices=Step.choices)
    day = models.PositiveIntegerField(default=0, help_text="Days past due the step belongs to.")
    on = models.DateField()
    amount_due = models.DecimalField(**MONEY)
    message = models.CharField(max_length=512)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["account", "invoice", "step", "day"], name="dunning_step_once")
        ]

    def __str__(self) -> str:
        return f"{self.account}: {self.get_step_display()} ({self.on})"
