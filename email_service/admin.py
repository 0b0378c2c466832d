"""The e-mail service in Django's admin: read-only, since changes go through the engine."""

from django.contrib import admin

from email_service.models import (
    AvailablePlan,
    OrganizationPlan,
    SmtpDomain,
    Subscription,
    UserPlan,
    UserPlanAssignment,
)
from portal.admin import ReadOnlyModelAdmin


@admin.register(OrganizationPlan)
class OrganizationPlanAdmin(ReadOnlyModelAdmin):
    list_display = ["name", "max_mailboxes", "default_mailbox_size_mb", "max_storage_mb", "features"]
    list_filter = ["pop", "imap", "owa", "activesync"]
    search_fields = ["name"]


@admin.register(UserPlan)
class UserPlanAdmin(ReadOnlyModelAdmin):
    list_display = ["name", "organization_plan", "mailbox_size_mb", "features"]
    list_filter = ["organization_plan"]
    search_fields = ["name"]


@admin.register(AvailablePlan)
class AvailablePlanAdmin(ReadOnlyModelAdmin):
    list_display = ["dn", "organization_plan", "organization_guid"]
    list_filter = ["organization_plan"]
    search_fields = ["dn"]


@admin.register(Subscription)
class SubscriptionAdmin(ReadOnlyModelAdmin):
    list_display = ["dn", "organization_plan", "organization_guid", "created_at"]
    list_filter = ["organization_plan"]
    search_fields = ["dn", "organization_guid"]


@admin.register(SmtpDomain)
class SmtpDomainAdmin(ReadOnlyModelAdmin):
    list_display = ["name", "customer_record", "dn", "organization_guid"]
    list_filter = ["customer_record"]
    search_fields = ["name", "dn", "customer_record__name"]


@admin.register(UserPlanAssignment)
class UserPlanAssignmentAdmin(ReadOnlyModelAdmin):
    list_display = ["name", "user_plan", "dn", "user_guid"]
    list_filter = ["user_plan"]
    search_fields = ["name", "dn"]
