"""Make the portal's LOA seal: a new key and self-signed certificate in one PEM file."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from portal.loas.seal import seal_key_make


class Command(BaseCommand):
    help = "Write a new seal key and certificate (PEM) for LOA certificates of completion; point LOA_SEAL_FILE at it."

    def add_arguments(self, parser):
        parser.add_argument("path", help="Where to write the PEM file (mode 0600).")
        parser.add_argument("--name", default="DIR Portal seal", help="The certificate's common name.")
        parser.add_argument("--force", action="store_true", help="Replace an existing file.")

    def handle(self, *args, path: str, name: str, force: bool, **options):
        if Path(path).exists() and not force:
            raise CommandError(
                f"{path} exists: certificates sealed with it verify only against it (--force replaces it)."
            )
        seal_key_make(path, name=name)
        self.stdout.write(self.style.SUCCESS(f"Seal written to {path}; set LOA_SEAL_FILE={path}"))
