from django.apps import AppConfig


class LoasConfig(AppConfig):
    name = "portal.loas"
    label = "loas"
