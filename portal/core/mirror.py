"""The shared shape of rows that mirror a Telnyx resource."""

from __future__ import annotations

from django.db import models


class RemoteMirrorModel(models.Model):
    """A local copy of a remote resource: its Telnyx id, when it was last seen, and whether it is gone."""

    remote_id = models.CharField(max_length=64, unique=True)
    synced_at = models.DateTimeField(null=True, blank=True)
    removed_at = models.DateTimeField(null=True, blank=True)  # gone remotely; never deleted silently
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
