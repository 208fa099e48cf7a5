"""Sync the local mirror with Telnyx now, in this process."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from portal import telnyx
from portal.accounts.models import TelnyxAccount
from portal.core.leases import LeaseBusy
from portal.sync import services


class Command(BaseCommand):
    help = "Sync every connected team (or one account) with Telnyx: in-flight items only, or --full."

    def add_arguments(self, parser):
        parser.add_argument(
            "--full", action="store_true", help="Reconcile everything, not only what is in review."
        )
        parser.add_argument("--account", type=int, help="TelnyxAccount id (default: all).")

    def handle(self, *args, full=False, account=None, **options):
        accounts = TelnyxAccount.objects.select_related("team")
        if account is not None:
            accounts = accounts.filter(pk=account)
            if not accounts.exists():
                raise CommandError(f"No Telnyx account with id {account}.")
        failures = 0
        for item in accounts:
            try:
                run = services.account_sync(account=item, full=full)
            except LeaseBusy:
                self.stdout.write(f"{item.team}: another worker is syncing it; skipped.")
                continue
            except telnyx.TelnyxError as exc:
                failures += 1
                self.stderr.write(f"{item.team}: sync failed: {exc}")
                continue
            self.stdout.write(f"{item.team}: {run.kind} sync, {run.pages} pages, {run.api_calls} API calls.")
        if failures:
            raise CommandError(f"{failures} account(s) failed to sync.")
