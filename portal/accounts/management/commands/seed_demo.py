"""Create the demo teams and people (idempotent; resets their passwords each run)."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from portal.accounts import services
from portal.accounts.models import Membership, Role, Team, User

TEAMS = [("acme", "Acme Health"), ("globex", "Globex Logistics")]
PEOPLE = [
    # email, name, password, support?, {team slug: role}
    ("admin@acme.test", "Ada Admin", "acme-admin-demo", False, {"acme": Role.ADMIN, "globex": Role.MEMBER}),
    ("member@acme.test", "Max Member", "acme-member-demo", False, {"acme": Role.MEMBER}),
    ("viewer@acme.test", "Vera Viewer", "acme-viewer-demo", False, {"acme": Role.VIEWER}),
    ("admin@globex.test", "Gus Globex", "globex-admin-demo", False, {"globex": Role.ADMIN}),
    ("support@dirportal.test", "Sam Support", "support-agent-demo", True, {}),
]


class Command(BaseCommand):
    def _link_simulator(self, team: Team) -> None:
        """Give the demo team the simulator's demo key and, if it is running, its webhook key."""
        admin = User.objects.get(email="admin@acme.test")
        public_key = services.simulator_public_key(
            base_url=settings.TELNYX_API_BASE_URL, api_key=settings.SIMULATOR_DEMO_API_KEY
        )
        services.telnyx_account_save(
            team=team,
            api_key=settings.SIMULATOR_DEMO_API_KEY,
            webhook_public_key=public_key or "",
            actor=admin,
        )
        where = "with its webhook key" if public_key else "(simulator not reachable: no webhook key yet)"
        self.stdout.write(f"Acme Health is linked to the simulator's demo account {where}.")

    help = "Seed demo teams and users for a local try-out (refuses to run with DEBUG off unless --force)."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Seed even though DEBUG is off.")

    @transaction.atomic
    def handle(self, *args, force: bool = False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "Refusing to create demo accounts with known passwords while DEBUG is off (use --force)."
            )
        teams = {}
        for slug, name in TEAMS:
            teams[slug], _created = Team.objects.update_or_create(slug=slug, defaults={"name": name})
        rows = []
        for email, name, password, support, roles in PEOPLE:
            user = User.objects.filter(email=email).first() or User(email=email)
            user.full_name = name
            user.is_support = support
            user.is_active = True
            user.set_password(password)
            user.save()
            for slug, role in roles.items():
                Membership.objects.update_or_create(user=user, team=teams[slug], defaults={"role": role})
            where = (
                ", ".join(f"{teams[s].name} ({r.label})" for s, r in roles.items())
                or "support: every team, read-only"
            )
            rows.append((email, password, where))
        self._link_simulator(teams["acme"])
        width = max(len(r[0]) for r in rows)
        self.stdout.write(self.style.SUCCESS("Demo accounts (sign in with e-mail and password):"))
        for email, password, where in rows:
            self.stdout.write(f"  {email.ljust(width)}  {password.ljust(20)}  {where}")
