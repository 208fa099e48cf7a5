from django.apps import AppConfig


class SyncConfig(AppConfig):
    name = "portal.sync"
    label = "sync"

    def ready(self) -> None:
        from portal.sync import receivers, tasks

        receivers.connect()
        tasks.install_legacy_aliases()
