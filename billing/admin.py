"""Billing in the admin: read-only, since changes go through the engine's procedures."""

from django.contrib import admin

from billing.models import (
    BillingAccount,
    BillRun,
    ChargeAttempt,
    Invoice,
    Package,
    Payment,
    Service,
    UserPackage,
)
from portal.admin import ReadOnlyModelAdmin


@admin.register(BillingAccount)
class BillingAccountAdmin(ReadOnlyModelAdmin):
    list_display = ["username", "name", "currency", "parent", "customer_record"]
    list_filter = ["currency"]
    search_fields = ["username", "name"]


@admin.register(Service)
class ServiceAdmin(ReadOnlyModelAdmin):
    list_display = ["id", "name", "recurring", "price"]
    list_filter = ["recurring"]
    search_fields = ["name"]


@admin.register(Package)
class PackageAdmin(ReadOnlyModelAdmin):
    list_display = ["id", "name", "bill_cycle"]
    list_filter = ["bill_cycle"]
    search_fields = ["name"]


@admin.register(UserPackage)
class UserPackageAdmin(ReadOnlyModelAdmin):
    list_display = ["id", "account", "package", "next_bill_date", "is_child", "active"]
    list_filter = ["package", "active", "is_child"]
    search_fields = ["account__username"]


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyModelAdmin):
    list_display = ["id", "account", "issued_on", "total", "currency", "status"]
    list_filter = ["status", "currency"]
    date_hierarchy = "issued_on"
    search_fields = ["account__username"]


@admin.register(BillRun)
class BillRunAdmin(ReadOnlyModelAdmin):
    list_display = ["id", "run_date", "username", "started_by", "invoices", "lines", "skipped", "charges"]
    date_hierarchy = "run_date"


@admin.register(ChargeAttempt)
class ChargeAttemptAdmin(ReadOnlyModelAdmin):
    list_display = ["idempotency_key", "invoice", "amount", "currency", "approved", "message", "attempted_at"]
    list_filter = ["approved"]


@admin.register(Payment)
class PaymentAdmin(ReadOnlyModelAdmin):
    list_display = ["id", "invoice", "account", "amount", "currency", "method", "received_at"]
    list_filter = ["method", "currency"]
    search_fields = ["account__username"]
