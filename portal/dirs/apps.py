from django.apps import AppConfig


class DirsConfig(AppConfig):
    name = "portal.dirs"
    label = "dirs"
