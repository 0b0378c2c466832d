"""Billing in the admin: read-only, since changes go through the engine's procedures."""

from django.contrib import admin

from billing.models import (
    BillingAccount,
    BillRun,
    ChargeAttempt,
    CreditNote,
    CreditNoteLine,
    Dispersal,
    DunningNotice,
    DunningPolicy,
    DunningRun,
    Invoice,
    InvoiceLine,
    Package,
    PackageOptionalService,
    Payment,
    PaymentMethod,
    Service,
    ServiceDiscount,
    UserPackage,
    UserService,
)
from portal.admin import ReadOnlyInline, ReadOnlyModelAdmin


class PaymentMethodInline(ReadOnlyInline):
    """An account's cards as people read them; the gateway's token is not shown."""

    model = PaymentMethod
    fields = ["brand", "last4", "gateway", "created_at"]


@admin.register(BillingAccount)
class BillingAccountAdmin(ReadOnlyModelAdmin):
    list_display = ["username", "name", "currency", "status", "status_reason", "parent", "customer_record"]
    list_filter = ["status", "currency", "mail_suspended"]
    search_fields = ["username", "name", "customer_record__name"]
    inlines = [PaymentMethodInline]


@admin.register(Service)
class ServiceAdmin(ReadOnlyModelAdmin):
    list_display = ["id", "name", "recurring", "price"]
    list_filter = ["recurring"]
    search_fields = ["name"]


class PackageOptionalServiceInline(ReadOnlyInline):
    model = PackageOptionalService
    fields = ["service", "default_on"]


@admin.register(Package)
class PackageAdmin(ReadOnlyModelAdmin):
    list_display = ["id", "name", "bill_cycle"]
    list_filter = ["bill_cycle"]
    search_fields = ["name"]
    inlines = [PackageOptionalServiceInline]


class UserServiceInline(ReadOnlyInline):
    model = UserService
    fields = ["id", "service", "optional", "canceled_on", "delete_option"]


class ServiceDiscountInline(ReadOnlyInline):
    model = ServiceDiscount
    fields = ["service", "discount_type", "amount", "occurrences", "times_applied", "note"]


@admin.register(UserPackage)
class UserPackageAdmin(ReadOnlyModelAdmin):
    list_display = ["id", "account", "package", "next_bill_date", "status", "cancel_date", "is_child"]
    list_filter = ["package", "status", "is_child"]
    search_fields = ["account__username"]
    inlines = [UserServiceInline, ServiceDiscountInline]


class DispersalInline(ReadOnlyInline):
    model = Dispersal
    fk_name = "invoice"
    fields = ["payment", "credit_note", "amount", "created_at"]


class InvoiceLineInline(ReadOnlyInline):
    model = InvoiceLine
    fields = ["description", "period_start", "period_end", "gross", "discount", "amount"]


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyModelAdmin):
    list_display = ["id", "account", "issued_on", "total", "currency", "status"]
    list_filter = ["status", "currency"]
    date_hierarchy = "issued_on"
    search_fields = ["account__username"]
    inlines = [InvoiceLineInline, DispersalInline]


@admin.register(BillRun)
class BillRunAdmin(ReadOnlyModelAdmin):
    list_display = ["id", "run_date", "username", "started_by", "invoices", "lines", "skipped", "charges"]
    list_filter = ["started_by"]
    search_fields = ["username", "started_by"]
    date_hierarchy = "run_date"


@admin.register(ChargeAttempt)
class ChargeAttemptAdmin(ReadOnlyModelAdmin):
    list_display = ["idempotency_key", "invoice", "amount", "currency", "approved", "message", "attempted_at"]
    list_filter = ["approved", "currency", "gateway"]
    search_fields = ["idempotency_key", "account__username", "reference", "message"]
    date_hierarchy = "attempted_at"


@admin.register(Payment)
class PaymentAdmin(ReadOnlyModelAdmin):
    list_display = [
        "id",
        "account",
        "amount",
        "currency",
        "payment_type",
        "reference",
        "paid_on",
        "received_at",
    ]
    list_filter = ["payment_type", "currency"]
    search_fields = ["account__username", "reference"]


class CreditNoteLineInline(ReadOnlyInline):
    model = CreditNoteLine
    fields = ["description", "period_start", "period_end", "amount", "invoice_line"]


@admin.register(CreditNote)
class CreditNoteAdmin(ReadOnlyModelAdmin):
    list_display = ["id", "account", "issued_on", "total", "currency", "reason"]
    list_filter = ["currency"]
    search_fields = ["account__username", "reason"]
    date_hierarchy = "issued_on"
    inlines = [CreditNoteLineInline]


@admin.register(DunningPolicy)
class DunningPolicyAdmin(ReadOnlyModelAdmin):
    list_display = ["__str__", "retry_days", "suspend_after", "cancel_after"]
    list_filter = ["suspend_after"]
    search_fields = ["name", "reseller_dn_key"]


@admin.register(DunningRun)
class DunningRunAdmin(ReadOnlyModelAdmin):
    list_display = [
        "id",
        "run_date",
        "started_by",
        "accounts",
        "notices",
        "retries",
        "suspended",
        "cancelled",
    ]
    list_filter = ["started_by"]
    search_fields = ["started_by"]
    date_hierarchy = "run_date"


@admin.register(DunningNotice)
class DunningNoticeAdmin(ReadOnlyModelAdmin):
    list_display = ["id", "account", "step", "day", "on", "amount_due", "message"]
    list_filter = ["step"]
    search_fields = ["account__username", "message"]
    date_hierarchy = "on"
