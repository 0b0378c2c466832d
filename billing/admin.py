"""Billing in the admin: read-only, since changes go through the engine's procedures."""

from django.contrib import admin

from billing.models import (
    BillingAccount,
    BillRun,
    ChargeAttempt,
    Invoice,
    InvoiceLine,
    Package,
    PackageOptionalService,
    Payment,
    PaymentMethod,
    Service,
    ServiceDiscount,
    UserPackage,
)
from portal.admin import ReadOnlyInline, ReadOnlyModelAdmin


class PaymentMethodInline(ReadOnlyInline):
    """An account's cards as people read them; the gateway's token is not shown."""

    model = PaymentMethod
    fields = ["brand", "last4", "gateway", "created_at"]


@admin.register(BillingAccount)
class BillingAccountAdmin(ReadOnlyModelAdmin):
    list_display = ["username", "name", "currency", "parent", "customer_record"]
    list_filter = ["currency"]
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


class ServiceDiscountInline(ReadOnlyInline):
    model = ServiceDiscount
    fields = ["service", "discount_type", "amount", "occurrences", "times_applied", "note"]


@admin.register(UserPackage)
class UserPackageAdmin(ReadOnlyModelAdmin):
    list_display = ["id", "account", "package", "next_bill_date", "is_child", "active"]
    list_filter = ["package", "active", "is_child"]
    search_fields = ["account__username"]
    inlines = [ServiceDiscountInline]


class InvoiceLineInline(ReadOnlyInline):
    model = InvoiceLine
    fields = ["description", "period_start", "period_end", "gross", "discount", "amount"]


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyModelAdmin):
    list_display = ["id", "account", "issued_on", "total", "currency", "status"]
    list_filter = ["status", "currency"]
    date_hierarchy = "issued_on"
    search_fields = ["account__username"]
    inlines = [InvoiceLineInline]


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
    search_fields = ["idempotency_key", "invoice__account__username", "reference", "message"]
    date_hierarchy = "attempted_at"


@admin.register(Payment)
class PaymentAdmin(ReadOnlyModelAdmin):
    list_display = ["id", "invoice", "account", "amount", "currency", "method", "received_at"]
    list_filter = ["method", "currency"]
    search_fields = ["account__username"]
