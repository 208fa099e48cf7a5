from django.contrib import admin

from portal.enterprises.models import Enterprise


@admin.register(Enterprise)
class EnterpriseAdmin(admin.ModelAdmin):
    list_display = ["legal_name", "team", "branded_calling_enabled", "synced_at", "removed_at"]
    list_filter = ["branded_calling_enabled"]
    search_fields = ["legal_name", "doing_business_as", "remote_id"]
    readonly_fields = ["remote_id", "team", "data", "synced_at", "removed_at", "created_at", "updated_at"]
