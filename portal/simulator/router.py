"""Keep the simulator's tables in their own database, and everything else out of it."""

from __future__ import annotations

ALIAS = "simulator"


class SimulatorRouter:
    def db_for_read(self, model, **hints):
        return ALIAS if model._meta.app_label == "simulator" else None

    db_for_write = db_for_read

    def allow_relation(self, obj1, obj2, **hints):
        same = (obj1._meta.app_label == "simulator") == (obj2._meta.app_label == "simulator")
        return same or None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        if app_label == "simulator":
            return db == ALIAS
        return db != ALIAS
