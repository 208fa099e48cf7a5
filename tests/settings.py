"""Test settings: the real settings module with what tests need changed."""

import os

os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")
os.environ.setdefault("FIELD_ENCRYPTION_KEY", "nUGnn4QdFc3ilk1MMeCO8r4BOZEO-Yx_iTp5mK0zIDM=")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("PORTAL_ENV_FILE", "/nonexistent")  # never read a developer's .env in tests
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
# A throwaway seal, made on first use (portal.loas.seal); child processes inherit the setting.
os.environ.setdefault(
    "LOA_SEAL_FILE", os.path.join(os.path.dirname(os.path.dirname(__file__)), "var", "test-loa-seal.pem")
)

from portal.settings import *  # noqa: E402,F403
from portal.settings import DATABASES, Q_CLUSTER, VAR_DIR  # noqa: E402

ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
LOA_SEAL_GENERATE = True
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
if os.environ.get("PORTAL_TEST_MAIL_DIR"):  # a worker started by a test writes its mail here
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": os.environ["PORTAL_TEST_MAIL_DIR"]},
        }
    }
# Queue tasks run inline in tests; tests/core/test_worker.py starts a real worker with this off.
Q_CLUSTER = {**Q_CLUSTER, "sync": os.environ.get("PORTAL_TEST_Q_SYNC", "1") == "1", "poll": 0.2}
for _alias in ("default", "simulator"):
    if DATABASES[_alias]["ENGINE"].endswith("sqlite3"):
        # A file, not memory: a worker process started by a test can open the test database, and
        # live_server's request threads each get their own connection. (An in-memory database is
        # one connection shared by every thread, and two requests running the same statement at
        # once can reset each other's cursor: a lookup comes back empty, seen as a flaky 401.)
        DATABASES[_alias]["TEST"] = {"NAME": str(VAR_DIR / f"test-{_alias}-{os.getpid()}.sqlite3")}
PORTAL_PUBLIC_URL = "http://testserver"
# The in-process simulator answers inside the test's transaction, which fetching threads would not
# see: syncs read one page after another unless a test (against a simulator server) asks for more.
SYNC_CONCURRENCY = 1
