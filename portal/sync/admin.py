"""Admin for the sync engine's records (read-only: only the engine writes them)."""

from __future__ import annotations

from django.contrib import admin

from portal.core.admin import ReadOnlyAdmin
from portal.sync.models import SyncRun, WebhookEvent


@admin.register(SyncRun)
class SyncRunAdmin(ReadOnlyAdmin):
    list_display = ["pk", "account", "kind", "state", "pages", "api_calls", "started_at", "finished_at"]
    list_filter = ["kind", "state"]
    list_select_related = ["account__team"]


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = ["event_id", "event_type", "account", "dir_remote_id", "received_at"]
    search_fields = ["event_id", "dir_remote_id"]
