"""Admin for uploaded documents (read-only: the file lives at Telnyx)."""

from __future__ import annotations

from django.contrib import admin

from portal.documents.models import Document


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = ["filename", "kind", "team", "size", "uploaded_by", "created_at"]
    list_filter = ["kind", "team"]
    search_fields = ["filename", "remote_id", "sha256"]
    readonly_fields = [f.name for f in Document._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
