from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from portal.models import AuditRecord, Job, JobItem, User


class ReadOnlyModelAdmin(admin.ModelAdmin):
    """Rows are shown, never added, changed or deleted here: the engine's procedures do that, with
    their security rule, undo and audit."""

    def get_readonly_fields(self, request, obj=None) -> list[str]:
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    """Rows shown under the row that holds them, never added, changed or deleted here."""

    extra = 0
    max_num = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None) -> list[str]:
        return list(self.fields or [field.name for field in self.model._meta.fields])

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(User)
class PortalUserAdmin(UserAdmin):
    """Portal users; directory users are created and updated at login."""

    fieldsets = [*UserAdmin.fieldsets, ("Directory", {"fields": ["directory_dn"]})]
    list_display = ["username", "directory_dn", "is_staff", "last_login"]


class NestedCallInline(ReadOnlyInline):
    """The calls a procedure made, in their order."""

    model = AuditRecord
    fk_name = "parent"
    fields = ["sequence", "namespace", "procedure", "acting_as", "status", "error_text", "duration_ms"]
    verbose_name = "nested call"
    verbose_name_plural = "nested calls"


@admin.register(AuditRecord)
class AuditRecordAdmin(ReadOnlyModelAdmin):
    """The audit: every procedure call, read-only."""

    list_display = [
        "started_at",
        "namespace",
        "procedure",
        "caller",
        "acting_as",
        "door",
        "status",
        "duration_ms",
    ]
    list_filter = ["status", "door", "namespace", "procedure"]
    search_fields = ["caller", "acting_as", "procedure", "namespace", "subject", "error_text"]
    date_hierarchy = "started_at"
    inlines = [NestedCallInline]


class JobItemInline(ReadOnlyInline):
    model = JobItem
    fields = ["line", "status", "subject", "message"]


@admin.register(Job)
class JobAdmin(ReadOnlyModelAdmin):
    """Background jobs and their results, read-only."""

    list_display = ["created_at", "title", "kind", "status", "done", "total", "created_by"]
    list_filter = ["status", "kind"]
    search_fields = ["title", "created_by__username"]
    inlines = [JobItemInline]
