"""Shared fixtures: teams, people in every role, signed-in clients, and Playwright on Debian's Chromium."""

from __future__ import annotations

import os

import pytest
from django.test import Client

from portal.accounts.models import Membership, Role, Team, User

# Playwright's sync API runs an event loop in the test thread; Django would otherwise refuse ORM
# calls from it (SynchronousOnlyOperation).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "correct-horse-battery"

# The simulator fixtures (sim, connected, make_dir, sim_route…) serve every test package.
pytest_plugins = ["tests.sim"]


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Every test starts with an empty cache: DIR pks repeat across tests, cached counts must not."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Drive Debian's Chromium: Playwright cannot download its own browser here."""
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


def make_user(email: str, *, name: str = "", support: bool = False) -> User:
    return User.objects.create_user(email=email, password=PASSWORD, full_name=name, is_support=support)


def make_member(team: Team, email: str, role: str, name: str = "") -> User:
    user = make_user(email, name=name)
    Membership.objects.create(user=user, team=team, role=role)
    return user


@pytest.fixture
def team_a(db) -> Team:
    return Team.objects.create(name="Acme Health", slug="acme")


@pytest.fixture
def team_b(db) -> Team:
    return Team.objects.create(name="Globex Logistics", slug="globex")


@pytest.fixture
def admin_a(team_a) -> User:
    return make_member(team_a, "ada@acme.test", Role.ADMIN, "Ada Admin")


@pytest.fixture
def member_a(team_a) -> User:
    return make_member(team_a, "max@acme.test", Role.MEMBER, "Max Member")


@pytest.fixture
def viewer_a(team_a) -> User:
    return make_member(team_a, "vera@acme.test", Role.VIEWER, "Vera Viewer")


@pytest.fixture
def admin_b(team_b) -> User:
    return make_member(team_b, "gus@globex.test", Role.ADMIN, "Gus Globex")


@pytest.fixture
def support_agent(db) -> User:
    return make_user("sam@dirportal.test", name="Sam Support", support=True)


@pytest.fixture
def client_as():
    """A test client signed in as the given user."""

    def _client(user: User, **kwargs) -> Client:
        client = Client(**kwargs)
        client.force_login(user)
        return client

    return _client


def pytest_report_header(config):
    """Say which databases this run uses, so the SQLite and PostgreSQL runs are told apart in CI logs."""
    from django.conf import settings

    lines = []
    for alias in ("default", "simulator"):
        db = settings.DATABASES[alias]
        where = f"{db.get('HOST') or ''}:{db.get('PORT') or ''}".rstrip(":")
        lines.append(f"database {alias}: {db['ENGINE'].rsplit('.', 1)[-1]} {where}".rstrip())
    return lines


def pytest_collection_modifyitems(items):
    """Tests under tests/simulator/ may use the simulator's own database too."""
    for item in items:
        if "/tests/simulator/" in str(item.fspath):
            item.add_marker(pytest.mark.django_db(databases=["default", "simulator"]))
