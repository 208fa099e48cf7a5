from django.apps import AppConfig


class DirsConfig(AppConfig):
    name = "portal.dirs"
    label = "dirs"

    def ready(self) -> None:
        from portal.core.status import status_labels_register
        from portal.dirs.models import Dir

        status_labels_register(Dir.Status.choices, badges=Dir.BADGES)
