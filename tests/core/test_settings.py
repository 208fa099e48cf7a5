"""Settings are production-safe with DEBUG off, and fail loudly when a secret is missing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "k3Yq!p9s8Z-production-like-secret-value-with-enough-entropy-0123456789",
    "FIELD_ENCRYPTION_KEY": "nUGnn4QdFc3ilk1MMeCO8r4BOZEO-Yx_iTp5mK0zIDM=",
    "LOA_SEAL_FILE": "/etc/dir-portal/loa-seal.pem",
    "ALLOWED_HOSTS": "portal.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://portal.example.com",
    "PORTAL_PUBLIC_URL": "https://portal.example.com",
    "EMAIL_HOST": "smtp.example.com",
    "EMAIL_PORT": "587",
    "EMAIL_USE_TLS": "1",
}


def _manage(*args: str, env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV and not k.startswith("DJANGO_")}
    clean.update(
        env,
        PORTAL_ENV_FILE=str(tmp_path / "absent.env"),
        VAR_DIR=str(tmp_path),
        DJANGO_SETTINGS_MODULE="portal.settings",
    )
    for leaked in ("DATABASE_URL", "SECURE_SSL_REDIRECT", "EMAIL_BACKEND"):  # set by tests/settings.py or CI
        clean.pop(leaked, None)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_is_clean_with_a_production_like_env(tmp_path):
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV, tmp_path=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_missing_secret_key_with_debug_off_fails_loudly(tmp_path):
    env = {**PRODUCTION_ENV, "SECRET_KEY": ""}
    result = _manage("check", env=env, tmp_path=tmp_path)
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_missing_encryption_key_with_debug_off_fails_loudly(tmp_path):
    env = {**PRODUCTION_ENV, "FIELD_ENCRYPTION_KEY": ""}
    result = _manage("check", env=env, tmp_path=tmp_path)
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEY must be set" in result.stderr


def test_missing_loa_seal_with_debug_off_fails_loudly(tmp_path):
    env = {**PRODUCTION_ENV, "LOA_SEAL_FILE": ""}
    result = _manage("check", env=env, tmp_path=tmp_path)
    assert result.returncode != 0
    assert "LOA_SEAL_FILE must be set when DEBUG is off" in result.stderr


def test_pages_carry_a_nonce_csp_and_no_inline_scripts(client_as, admin_a, team_a):
    response = client_as(admin_a).get(reverse("dashboard:dashboard", args=[team_a.slug]))
    csp = response["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in csp
    assert "unsafe-inline" not in csp
    nonce = csp.split("'nonce-", 1)[1].split("'", 1)[0]
    body = response.text
    scripts = body.count("<script")
    assert scripts >= 3
    assert body.count(f'nonce="{nonce}"') == scripts  # every script tag is an external file with the nonce
    assert "<script>" not in body
    assert " hx-on" not in body
    assert 'hx-headers=\'{"X-CSRFToken": "' in body


def test_healthz_needs_no_sign_in(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_demo_seed_refuses_with_debug_off(tmp_path):
    result = _manage("seed_demo", env=PRODUCTION_ENV, tmp_path=tmp_path)
    assert result.returncode != 0
    assert "Refusing to create demo accounts" in result.stderr


def test_makemigrations_check_runs_on_a_bare_checkout(tmp_path):
    """No .env and no secrets: checking migrations still works (and models match them)."""
    result = _manage("makemigrations", "--check", "--dry-run", env={}, tmp_path=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No changes detected" in result.stdout
    # Every other command still refuses to start without its secrets.
    refused = _manage("check", env={}, tmp_path=tmp_path)
    assert refused.returncode != 0 and "SECRET_KEY must be set" in refused.stderr
