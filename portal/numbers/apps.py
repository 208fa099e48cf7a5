from django.apps import AppConfig


class NumbersConfig(AppConfig):
    name = "portal.numbers"
    label = "numbers"

    def ready(self) -> None:
        from portal.core.status import status_labels_register
        from portal.numbers.models import NumberStatus

        status_labels_register(NumberStatus.choices)
