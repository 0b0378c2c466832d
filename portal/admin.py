from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin

from portal.engine import Batch, Caller
from portal.engine.models import JournalBatch, JournalChunk
from portal.errors import PortalError
from portal.models import AuditRecord, Job, JobItem, User
from portal.roles import PORTAL_ROLES


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


def _role_action(procedure: str, role: str, verb: str):
    """An admin action that runs ``Portal::RoleGrant`` or ``::RoleRevoke`` for ``role`` on the
    selected accounts, in one batch as the staff member (all or none; audited)."""

    def action(model_admin: admin.ModelAdmin, request, queryset) -> None:
        accounts = sorted(queryset.values_list("username", flat=True))
        try:
            with Batch(Caller.from_user(request.user), "admin") as batch:
                results = [batch.call(procedure, {"user": name, "role": role}) for name in accounts]
        except PortalError as err:
            model_admin.message_user(request, err.text, messages.ERROR)
            return
        changed = [result["user"] for result in results if result["changed"]]
        unchanged = [result["user"] for result in results if not result["changed"]]
        if changed:
            model_admin.message_user(request, f"{role} {verb}: {', '.join(changed)}.", messages.SUCCESS)
        if unchanged:
            model_admin.message_user(request, f"Nothing to change for {', '.join(unchanged)}.", messages.INFO)

    action.__name__ = f"role_{procedure.removeprefix('Portal::Role').lower()}_{role.lower()}"
    action.short_description = f"{verb.capitalize()} {role} (Portal::{procedure.split('::')[1]})"
    return action


@admin.register(User)
class PortalUserAdmin(UserAdmin):
    """Portal users, shown and never written here: directory users are created and updated at
    login; roles are given and taken by the actions, which run ``Portal::RoleGrant`` and
    ``Portal::RoleRevoke`` through the engine (DomainAdmins only, audited). Directory roles are
    directory groups (``Managed Active Directory::GroupAdd``)."""

    fieldsets = [*UserAdmin.fieldsets, ("Directory", {"fields": ["directory_dn"]})]
    list_display = ["username", "directory_dn", "is_staff", "is_superuser", "last_login"]
    actions = [
        *(_role_action("Portal::RoleGrant", role, "granted") for role in PORTAL_ROLES),
        *(_role_action("Portal::RoleRevoke", role, "revoked") for role in PORTAL_ROLES),
    ]

    def get_readonly_fields(self, request, obj=None) -> list[str]:
        return [field.name for field in self.model._meta.fields] + ["groups", "user_permissions"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


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

    list_display = ["created_at", "title", "kind", "status", "done", "total", "attempts", "created_by"]
    list_filter = ["status", "kind"]
    search_fields = ["title", "created_by__username"]
    inlines = [JobItemInline]


class JournalChunkInline(ReadOnlyInline):
    model = JournalChunk
    fields = ["sequence", "steps", "withdrawn", "learned", "calls"]


@admin.register(JournalBatch)
class JournalBatchAdmin(ReadOnlyModelAdmin):
    """Directory batches the journal still holds: running, waiting for repair (with what they
    hold and the last error) or repaired by the directory recovery. Read-only: the recovery
    (``Portal::DirectoryRecover``, ``manage.py directory_recover``) is what changes them."""

    list_display = ["id", "state", "procedure", "caller", "door", "created_at", "attempts", "last_error"]
    list_filter = ["state", "door"]
    search_fields = ["id", "procedure", "caller"]
    inlines = [JournalChunkInline]
