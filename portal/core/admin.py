from django.contrib import admin

from portal.core.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["at", "verb", "actor_email", "team", "target_repr", "ip_address"]
    list_filter = ["verb"]
    search_fields = ["actor_email", "target_repr", "team__name"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
