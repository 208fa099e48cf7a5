"""What the sync app does when a domain below it asks (signals, so that nothing below imports sync)."""

from __future__ import annotations

from portal.dirs.signals import dir_refresh_wanted
from portal.sync import services


def _dir_refresh_wanted(sender, *, dir, **kwargs) -> bool:
    return services.dir_refresh_queue(dir=dir)


def connect() -> None:
    dir_refresh_wanted.connect(_dir_refresh_wanted, dispatch_uid="sync.dir_refresh_wanted")
