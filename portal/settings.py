"""DIR Portal settings: one module, driven by environment variables (see .env.example).

A `.env` file at the project root is read first; variables already in the environment win.
With DEBUG off the defaults are production-safe and SECRET_KEY / FIELD_ENCRYPTION_KEY must be set.
"""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent


def _load_dotenv(path: Path) -> None:
    """Read KEY=VALUE lines into os.environ without overriding what is already set."""
    if not path.is_file():
        return
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        key = key.removeprefix("export ").strip()
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        os.environ.setdefault(key, value)


_load_dotenv(Path(os.environ.get("PORTAL_ENV_FILE", BASE_DIR / ".env")))


def env(name: str, default: str = "") -> str:
    """A variable's value; unset and empty both mean the default (so `.env` can list blanks)."""
    return os.environ.get(name) or default


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
VAR_DIR = Path(env("VAR_DIR", str(BASE_DIR / "var")))

SECRET_KEY = env("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off (see .env.example).")
    SECRET_KEY = "insecure-dev-only-" + hashlib.sha256(str(BASE_DIR).encode()).hexdigest()

# Fernet keys for secrets stored in the database (comma-separated; the first encrypts, all decrypt).
FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEY")
if not FIELD_ENCRYPTION_KEYS:
    if not DEBUG:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEY must be set when DEBUG is off (see .env.example).")
    FIELD_ENCRYPTION_KEYS = [base64.urlsafe_b64encode(hashlib.sha256(SECRET_KEY.encode()).digest()).decode()]

# The portal's seal on LOA certificates of completion (a PAdES signature): a PEM file with the
# private key and then its certificate(s); LOA_SEAL_PASSWORD if the key is encrypted. Made with
# `manage.py loa_seal_key PATH`. In development a self-signed one is made under var/ on first use.
LOA_SEAL_FILE = env("LOA_SEAL_FILE", "")
LOA_SEAL_PASSWORD = env("LOA_SEAL_PASSWORD", "")
LOA_SEAL_GENERATE = DEBUG  # make a missing seal file (never in production: a lost key breaks verification)
if not LOA_SEAL_FILE:
    if not DEBUG:
        raise ImproperlyConfigured("LOA_SEAL_FILE must be set when DEBUG is off (see .env.example).")
    LOA_SEAL_FILE = str(VAR_DIR / "loa-seal.pem")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# The address people use to reach the portal: links in e-mails, the public logo URLs, webhook URLs.
PORTAL_PUBLIC_URL = env("PORTAL_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_q",
    # In import order: each app imports only those above it (../shared/tools/app_graph.py checks).
    "portal.core",
    "portal.accounts",
    "portal.documents",
    "portal.enterprises",
    "portal.dirs",
    "portal.numbers",
    "portal.loas",
    "portal.sync",
    "portal.dashboard",
    # The bundled Telnyx simulator: its own database alias and its own server (runsimulator).
    # Nothing else in portal/ imports it; the portal reaches it over HTTP only.
    "portal.simulator",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "portal.core.middleware.UploadSizeLimitMiddleware",  # before anything parses (and spools) the body
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "portal.core.middleware.HtmxAwareLoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.accounts.context_processors.teams",
            ],
            "builtins": [
                "django.templatetags.i18n",
                "django.templatetags.static",
                "portal.core.templatetags.portal",
            ],
        },
    },
]

# SQLite by default (a file under var/); PostgreSQL via DATABASE_URL=postgres://user:pass@host/db.
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{VAR_DIR / 'portal.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
    )
}

# The simulator keeps its state in a database of its own, as a remote system would.
DATABASES["simulator"] = dj_database_url.parse(
    env("SIMULATOR_DATABASE_URL", f"sqlite:///{VAR_DIR / 'simulator.sqlite3'}"),
    conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
)
for _alias in ("default", "simulator"):
    if DATABASES[_alias]["ENGINE"] == "django.db.backends.sqlite3":
        # WAL and a busy timeout let the web server, the simulator and the queue worker share files safely.
        Path(DATABASES[_alias]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
        DATABASES[_alias].setdefault("OPTIONS", {}).update(
            {
                # A checkpoint (two fsyncs) every ~40 MB of WAL rather than SQLite's 4 MB: a big
                # sync writes that much in seconds, and the fsyncs were a third of its local time.
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA wal_autocheckpoint=10000;"
                ),
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            }
        )
DATABASE_ROUTERS = ["portal.simulator.router.SimulatorRouter"]

# The simulator: where it listens, how fast its vetting autopilot moves, webhook retries.
SIMULATOR_HOST = env("SIMULATOR_HOST", "127.0.0.1")
SIMULATOR_PORT = env_int("SIMULATOR_PORT", 8765)
SIMULATOR_AUTOPILOT = env_bool("SIMULATOR_AUTOPILOT", False)
SIMULATOR_REVIEW_DELAY = float(env("SIMULATOR_REVIEW_DELAY", "5"))  # submitted -> in_review, seconds
SIMULATOR_DECISION_DELAY = float(env("SIMULATOR_DECISION_DELAY", "10"))  # in_review -> outcome, seconds
SIMULATOR_DOCUMENT_TTL = env_int("SIMULATOR_DOCUMENT_TTL", 1800)  # unlinked uploads expire (seconds)
# Simulator-only: accept http:// logo and webhook URLs on 127.0.0.1/localhost/[::1] (a local portal
# has no TLS). Real Telnyx, and the simulator for every other host, require https.
SIMULATOR_ALLOW_HTTP_LOOPBACK = env_bool("SIMULATOR_ALLOW_HTTP_LOOPBACK", True)
# The key of the simulator's demo account (simulator_seed --demo); the portal's demo team uses it.
SIMULATOR_DEMO_API_KEY = env(
    "SIMULATOR_DEMO_API_KEY", "KEYSIMDEMO0000000000000000000000000000000000000000ACME"
)
SIMULATOR_WEBHOOK_DELAYS = [float(x) for x in env_list("SIMULATOR_WEBHOOK_DELAYS", "1,2,4,8")]
# Milliseconds every /v2 call waits before it is served (the network and Telnyx's own time; benchmarks).
SIMULATOR_LATENCY_MS = env_int("SIMULATOR_LATENCY_MS", 0)

# The sync: requests in flight per account during a full sync (1: one page after another), and how
# long an account's sync lease lasts unrenewed — a live sync renews it every third of that, so a
# worker that died (SIGKILL) holds its account at most this many seconds. Against a real API at
# 100–200 ms a call a full sync is latency-bound (100k numbers = 502 calls): 6 in flight keep it to
# about a third of one-after-another, and a 429 halves them.
SYNC_CONCURRENCY = env_int("SYNC_CONCURRENCY", 6)
SYNC_LEASE_SECONDS = env_int("SYNC_LEASE_SECONDS", 90)

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["portal.accounts.backends.ThrottledModelBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
CSRF_FAILURE_VIEW = "portal.core.views.csrf_failure"
# A request body over this is refused (413) before it is read: the largest file anyone uploads is a
# 20 MB document (the Documents API's limit), plus the form around it.
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_MB", 25) * 1024 * 1024

LOGIN_URL = "accounts:sign_in"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:sign_in"

# Failed sign-ins allowed per e-mail address (and, times four, per IP) within the window.
LOGIN_THROTTLE_LIMIT = env_int("LOGIN_THROTTLE_LIMIT", 5)
LOGIN_THROTTLE_WINDOW = env_int("LOGIN_THROTTLE_WINDOW", 15 * 60)
# Password-reset mails per address (and 5× that per IP) in the window; past it, none is sent (silently).
PASSWORD_RESET_LIMIT = env_int("PASSWORD_RESET_LIMIT", 3)
PASSWORD_RESET_WINDOW = env_int("PASSWORD_RESET_WINDOW", 3600)
INVITATION_TTL_DAYS = env_int("INVITATION_TTL_DAYS", 7)
INVITATION_DAILY_LIMIT = env_int("INVITATION_DAILY_LIMIT", 50)  # per team, against abuse as a mailer

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# The Telnyx API the portal talks to; by default the bundled simulator on loopback.
TELNYX_API_BASE_URL = env("TELNYX_API_BASE_URL", "http://127.0.0.1:8765/v2").rstrip("/")
TELNYX_API_TIMEOUT = float(env("TELNYX_API_TIMEOUT", "10"))

# Background work: django-q2 on the ORM broker, or Redis when REDIS_URL is set.
REDIS_URL = env("REDIS_URL")
Q_CLUSTER: dict = {
    "name": "portal",
    "workers": env_int("Q_WORKERS", 2),
    "timeout": env_int("Q_TIMEOUT", 300),
    "retry": env_int("Q_RETRY", 360),
    "max_attempts": 3,
    "catch_up": False,
    "ack_failures": True,
    "poll": 0.5,
    "label": "Task queue",
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"

# E-mail through Django 6.1's MAILERS: printed to the console in development, SMTP otherwise.
_email_backend = env(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
MAILERS = {"default": {"BACKEND": _email_backend}}
if _email_backend.endswith("smtp.EmailBackend"):
    MAILERS["default"]["OPTIONS"] = {
        "host": env("EMAIL_HOST", "localhost"),
        "port": env_int("EMAIL_PORT", 25),
        "username": env("EMAIL_HOST_USER"),
        "password": env("EMAIL_HOST_PASSWORD"),
        "use_tls": env_bool("EMAIL_USE_TLS", False),
        "timeout": 10,
    }
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "DIR Portal <no-reply@dirportal.invalid>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Content Security Policy: no inline scripts anywhere; htmx comes with the request nonce.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:", "https:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 14 * 24 * 3600)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# How many reverse proxies append to X-Forwarded-For in front of the portal (0: use REMOTE_ADDR).
# The sign-in throttle and the audit log need the real client address.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
# Load balancers probe over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        # httpx logs every request line at INFO; keep it quiet so nothing sensitive leaks by default.
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
    },
}
