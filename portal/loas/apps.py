from django.apps import AppConfig


class LoasConfig(AppConfig):
    name = "portal.loas"
    label = "loas"

    def ready(self):
        # The add sender (numbers, below this app) uploads a chunk's own letter just before its add.
        from portal.loas import services
        from portal.numbers.services import add_send

        add_send.letter_documents = services.add_letter_documents
