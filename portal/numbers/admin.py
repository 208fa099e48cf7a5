"""Admin for the mirror (read-only: Telnyx is the source, services are the only writers)."""

from __future__ import annotations

from django.contrib import admin

from portal.core.admin import ReadOnlyAdmin
from portal.numbers.models import Batch, DirNumber, NumberRemoval


@admin.register(DirNumber)
class DirNumberAdmin(ReadOnlyAdmin):
    list_display = ["phone_number", "dir", "batch", "status", "verified_at", "removed_at"]
    list_filter = ["status"]
    list_per_page = 25
    list_select_related = ["dir", "batch"]
    search_fields = ["phone_number", "remote_id"]
    raw_id_fields = ["dir", "batch"]


@admin.register(Batch)
class BatchAdmin(ReadOnlyAdmin):
    list_display = ["remote_id", "dir", "status", "total_count", "submitted_at"]
    list_filter = ["status"]
    list_select_related = ["dir"]
    search_fields = ["remote_id"]
    raw_id_fields = ["dir"]


@admin.register(NumberRemoval)
class NumberRemovalAdmin(ReadOnlyAdmin):
    list_display = ["pk", "dir", "state", "chunks_done", "chunks_total", "requested_by", "created_at"]
    list_filter = ["state"]
    list_select_related = ["dir", "requested_by"]
    raw_id_fields = ["dir", "requested_by"]
