"""Test settings: the real settings module with what tests need changed."""

import os

os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")
os.environ.setdefault("FIELD_ENCRYPTION_KEY", "nUGnn4QdFc3ilk1MMeCO8r4BOZEO-Yx_iTp5mK0zIDM=")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("PORTAL_ENV_FILE", "/nonexistent")  # never read a developer's .env in tests
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")

from portal.settings import *  # noqa: E402,F403
from portal.settings import Q_CLUSTER  # noqa: E402

ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_AUTOREFRESH = True
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
# Queue tasks run inline in tests; the worker itself is exercised by its own test.
Q_CLUSTER = {**Q_CLUSTER, "sync": True}
PORTAL_PUBLIC_URL = "http://testserver"
