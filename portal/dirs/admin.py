"""Admin for DIR logos (read-only: a published logo never changes)."""

from __future__ import annotations

from django.contrib import admin

from portal.dirs.models import DirLogo


@admin.register(DirLogo)
class DirLogoAdmin(admin.ModelAdmin):
    list_display = ["token", "team", "original_name", "created_at", "created_by"]
    list_filter = ["team"]
    readonly_fields = ["team", "token", "sha256", "original_name", "created_at", "created_by"]
    exclude = ["bmp"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
