"""Signals the DIR domain sends to the apps above it (which it never imports)."""

from __future__ import annotations

from django.dispatch import Signal

# "Please re-read this DIR from Telnyx soon": the status badge's poll, a removal whose answer was lost.
# Sent with `dir=`; a receiver answers True when it queued a re-read (the sync app throttles them).
dir_refresh_wanted = Signal()
