"""Browser tests: Playwright drives Debian's Chromium against live_server."""

from __future__ import annotations

import pytest

from portal.accounts.models import Membership, Role, Team
from tests.conftest import PASSWORD, make_member


@pytest.fixture
def demo(transactional_db):
    """Two teams; Ada is admin of Acme and viewer of Globex; Max is a member of Acme."""
    acme = Team.objects.create(name="Acme Health", slug="acme")
    globex = Team.objects.create(name="Globex Logistics", slug="globex")
    ada = make_member(acme, "ada@acme.test", Role.ADMIN, "Ada Admin")
    Membership.objects.create(user=ada, team=globex, role=Role.VIEWER)
    max_ = make_member(acme, "max@acme.test", Role.MEMBER, "Max Member")
    return {"acme": acme, "globex": globex, "ada": ada, "max": max_}


@pytest.fixture(autouse=True)
def _short_timeouts(page):
    # Local pages answer in milliseconds; fail fast instead of waiting Playwright's default 30 s.
    page.set_default_timeout(8000)


@pytest.fixture
def console_errors(page):
    """Collect console errors (CSP violations, JS exceptions) so a test can assert there are none."""
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


@pytest.fixture
def sign_in(page, live_server):
    def _sign_in(email: str, password: str = PASSWORD) -> None:
        page.goto(f"{live_server.url}/sign-in/")
        page.get_by_label("E-mail address").fill(email)
        page.get_by_label("Password", exact=True).fill(password)
        page.get_by_role("button", name="Sign in").click()

    return _sign_in
