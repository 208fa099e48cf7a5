from django.contrib import admin

from portal.core.models import AuditEvent, StatusChange


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows only services write (the mirror, the logs): the admin looks, never changes."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "verb", "actor_email", "team", "target_repr", "ip_address"]
    list_filter = ["verb"]
    search_fields = ["actor_email", "target_repr", "team__name"]
    date_hierarchy = "at"

    def has_delete_permission(self, request, obj=None) -> bool:
        return True  # as before: an admin may prune the log


@admin.register(StatusChange)
class StatusChangeAdmin(ReadOnlyAdmin):
    list_display = ["at", "entity_type", "entity_id", "from_status", "to_status", "source", "team"]
    list_filter = ["entity_type", "source"]
    list_select_related = ["team"]
