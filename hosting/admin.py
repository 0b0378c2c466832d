from django.contrib import admin

from hosting.models import CustomerRecord
from portal.admin import ReadOnlyModelAdmin


@admin.register(CustomerRecord)
class CustomerRecordAdmin(ReadOnlyModelAdmin):
    """Plans database records: read-only here, since changes go through the engine's procedures."""

    list_display = ["name", "customer_type", "dn", "guid", "created_at"]
    list_filter = ["customer_type"]
    search_fields = ["name", "dn", "guid"]
    date_hierarchy = "created_at"
