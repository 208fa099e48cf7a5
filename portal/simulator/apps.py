from django.apps import AppConfig


class SimulatorConfig(AppConfig):
    name = "portal.simulator"
    label = "simulator"
    verbose_name = "Telnyx simulator"
