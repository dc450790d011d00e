"""Django settings, all read from the environment (see docs/deploy.md).

Defaults suit one office on one machine: an embedded SQLite database under
var/ and DEBUG off. A production start refuses the development secret.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from rewardshub.env import env_bool, env_int, env_list, env_networks, env_str
from rewardshub.mail import FILES_IN_PRODUCTION, mail_settings
from rewardshub.proxy import proxy_networks
from rewardshub.uploads.settings import file_storage

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(env_str("REWARDSHUB_VAR_DIR", str(Path.cwd() / "var")))

DEV_SECRET = "rewardshub-development-secret-do-not-use-in-production"  # noqa: S105
SECRET_KEY = env_str("REWARDSHUB_SECRET_KEY", DEV_SECRET)
DEBUG = env_bool("REWARDSHUB_DEBUG", False)
PRODUCTION = env_bool("REWARDSHUB_PRODUCTION", False)
if PRODUCTION and SECRET_KEY == DEV_SECRET:
    raise ImproperlyConfigured(
        "REWARDSHUB_PRODUCTION is on but REWARDSHUB_SECRET_KEY is the development secret. "
        "Set REWARDSHUB_SECRET_KEY to a long random value."
    )

ALLOWED_HOSTS = env_list("REWARDSHUB_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("REWARDSHUB_CSRF_TRUSTED_ORIGINS", [])
# The public address the hub prints in launch links (browser_url) for a PMS.
PUBLIC_URL = env_str("REWARDSHUB_PUBLIC_URL", "")
# The audit trail's signing keys (audit/keyring.py), never in the database:
# entries KEYID:BASE64SECRET, newest first, in the variable or the file.
AUDIT_KEY = env_str("REWARDSHUB_AUDIT_KEY", "")
AUDIT_KEY_FILE = env_str("REWARDSHUB_AUDIT_KEY_FILE", "")
# With neither, a development hub makes its own key on first use (0600);
# a production hub refuses to start.
AUDIT_KEY_CREATE = "" if AUDIT_KEY or AUDIT_KEY_FILE else str(VAR_DIR / "audit.key")
if PRODUCTION:
    from rewardshub.audit.keyring import KeyRingError, load

    try:
        load(AUDIT_KEY, AUDIT_KEY_FILE)
    except KeyRingError as exc:
        raise ImproperlyConfigured(
            f"REWARDSHUB_PRODUCTION is on but the audit trail has no usable key. {exc}"
        ) from None

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rewardshub.audit",
    "rewardshub.practices",
    "rewardshub.patients",
    "rewardshub.cards",
    "rewardshub.points",
    "rewardshub.automations",
    "rewardshub.contests",
    "rewardshub.integrations",
    "rewardshub.portal",
    "rewardshub.campaigns",
    "rewardshub.leads",
    "rewardshub.merges",
    # Uploaded files (prize pictures, logos) in the database, seen by every host.
    "rewardshub.uploads",
    "rewardshub.families",
    # Background jobs through Django's Tasks API (the django-tasks backport and its
    # database backend) with our retries (jobs), and the patient mail they send (notify).
    "django_tasks",
    "django_tasks_db",
    "rewardshub.jobs",
    "rewardshub.notify",
    # Only for its static files: the offline Swagger UI at /api/v1/docs.
    "ninja",
]

MIDDLEWARE = [
    # First: its time is the whole request's (monitoring/metrics.py).
    "rewardshub.monitoring.metrics.MetricsMiddleware",
    # Then: the client's address and scheme, from the proxies in TRUSTED_PROXIES only.
    "rewardshub.proxy.TrustedProxyMiddleware",
    "rewardshub.proxy.ServedByMiddleware",
    "rewardshub.observability.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Inside WhiteNoise: every response but a static file is no-store (headers.py).
    "rewardshub.headers.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # English for staff pages; the portal in the patient's language (portal/language.py).
    "rewardshub.portal.language.PortalLanguageMiddleware",
    "rewardshub.practices.context.HubContextMiddleware",
    # Reads the practice (its idle timeout) from the hub context; ends idle sessions.
    "rewardshub.practices.idle.IdleLogoffMiddleware",
    # After the idle check: a staff request runs in its practice's time zone.
    "rewardshub.practices.context.PracticeTimeZoneMiddleware",
    "rewardshub.headers.PermissionsPolicyMiddleware",
    # After CSP and X-Frame-Options: lets the PMS frame a chart-tab session's pages.
    "rewardshub.integrations.framing.LaunchFramingMiddleware",
]

ROOT_URLCONF = "rewardshub.urls"
WSGI_APPLICATION = "rewardshub.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": False,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "rewardshub.practices.context.hub_context",
                # Owners and admins: the warning that the PMS has stopped calling.
                "rewardshub.integrations.context.sync_health_banner",
            ],
            # `|when`: every time shown to people in one format (local_time.py).
            "builtins": ["rewardshub.local_time"],
        },
    }
]

_default_db = f"sqlite:///{VAR_DIR / 'rewardshub.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(env_str("DATABASE_URL", _default_db))}
# Django's backends with the audit chain sealed before each COMMIT (backends/).
_ENGINES = {
    "django.db.backends.sqlite3": "rewardshub.backends.sqlite3",
    "django.db.backends.postgresql": "rewardshub.backends.postgresql",
}
_engine = DATABASES["default"]["ENGINE"]
DATABASES["default"]["ENGINE"] = _ENGINES.get(_engine, _engine)
if DATABASES["default"]["ENGINE"] == "rewardshub.backends.sqlite3":
    # The embedded database must just work on a fresh checkout: SQLite creates
    # the file, not the folder, so make the folder.
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # Several gunicorn workers share one file: WAL lets readers run beside a
    # writer, and IMMEDIATE takes the write lock at BEGIN so two writers queue
    # on SQLite's busy timeout instead of failing half-way with "database is
    # locked" (BENCHMARKS.md: a writer queue of our own in front of it gained
    # nothing measurable, so SQLite's own wait is the design).
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # Tests use a file too, not Django's shared in-memory database: shared-cache
    # memory databases lock whole tables and report SQLITE_LOCKED at once
    # instead of waiting, so concurrency tests would test something else.
    # One file per process, so parallel test runs never share one.
    DATABASES["default"]["TEST"] = {
        "NAME": str(Path(tempfile.gettempdir()) / f"rewardshub-test-{os.getpid()}.sqlite3")
    }
else:
    # A database that does not answer must not hold a server thread (or /readyz) for long.
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options.setdefault("connect_timeout", env_int("REWARDSHUB_DB_CONNECT_TIMEOUT", 5, minimum=1))
    # Prepared on a statement's fifth run: planned once a connection (BENCHMARKS.md,
    # "Prepared statements"); off for a pooler that cannot keep them (docs/deploy.md).
    if env_bool("REWARDSHUB_DB_PREPARED_STATEMENTS", True):
        options.update(server_side_binding=True, prepare_threshold=5)
# A kept connection that broke (the database restarted) is replaced at the next
# request's first query instead of failing it.
DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
# Each server thread keeps its connection: opening one costs a PostgreSQL
# handshake, or on SQLite the PRAGMAs and Django's SQL functions, per request.
DATABASES["default"]["CONN_MAX_AGE"] = env_int("REWARDSHUB_DB_CONN_MAX_AGE", 60)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REWARDSHUB_REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("REWARDSHUB_CACHE_PREFIX", "rewardshub"),
        }
    }
else:
    # Nothing that protects a sign-in lives in this cache: the login throttles
    # choose their own store (LOGIN_THROTTLE_STORE below).
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "patients:list"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("REWARDSHUB_SECURE_COOKIES", PRODUCTION)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# The PMS's chart tab frames the hub. From the same site (another port of the
# same host) Lax cookies work; a PMS on another site over HTTPS needs
# SameSite=None, which browsers accept only with Secure (docs/deploy.md).
if env_bool("REWARDSHUB_FRAME_COOKIES", False):
    SESSION_COOKIE_SAMESITE = CSRF_COOKIE_SAMESITE = "None"
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
SESSION_COOKIE_AGE = 12 * 60 * 60
# No script reads the CSRF cookie (forms carry the token), so keep it from scripts.
CSRF_COOKIE_HTTPONLY = True
# Staff sessions end after the practice's idle_timeout_minutes; portal sessions after this.
PORTAL_IDLE_MINUTES = env_int("REWARDSHUB_PORTAL_IDLE_MINUTES", 30, minimum=1)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# The reverse proxies (nginx: deploy/nginx/rewardshub.conf) whose X-Forwarded-For
# and X-Forwarded-Proto the hub believes, as addresses or networks. With some
# set, those headers from anyone else are dropped (rewardshub/proxy.py); with
# none, the client's address is the connection's and a production hub takes
# X-Forwarded-Proto from whoever sends it (the proxy must be the only way in).
TRUSTED_PROXIES = proxy_networks(env_list("REWARDSHUB_TRUSTED_PROXIES", []))
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if PRODUCTION or TRUSTED_PROXIES else None
)
# Opt-in: a response header naming the server that answered (e.g. the host
# name), for checking a load balancer's spread. Off by default.
SERVED_BY = env_str("REWARDSHUB_SERVED_BY", "")
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), serial=(), bluetooth=()"
)
SECURE_HSTS_SECONDS = env_int("REWARDSHUB_HSTS_SECONDS", 31536000 if PRODUCTION else 0)

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# The patient portal and patient mail speak English and Spanish (compiled
# catalogues in locale/, committed, so no gettext is needed to run); staff pages
# stay English (portal/language.py chooses per request).
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
# Static files are served by whitenoise straight from the package (finders), so
# a fresh checkout needs no collectstatic; set REWARDSHUB_STATIC_ROOT and run
# `rewardshub collectstatic` to serve compressed copies instead.
STATIC_ROOT = env_str("REWARDSHUB_STATIC_ROOT", "") or None
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    # Uploads in the database, or in S3-compatible storage when REWARDSHUB_S3_BUCKET
    # is set (uploads/settings.py): never on one host's disk.
    "default": file_storage(),
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = STATIC_ROOT is None
# Where versions before the database storage kept uploads: `rewardshub migrate`
# and `rewardshub files import-disk` copy them from here into the database.
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"

# Where the sign-in throttles count (rewardshub.ratelimit): "redis" (the cache
# at REWARDSHUB_REDIS_URL), "database" (a table; the default without Redis) or
# "memory" (each process its own count: a one-worker development server only;
# `rewardshub serve` refuses it with more than one worker).
LOGIN_THROTTLE_STORE = env_str("REWARDSHUB_THROTTLE_STORE", "redis" if REDIS_URL else "database")
if LOGIN_THROTTLE_STORE not in ("redis", "database", "memory"):
    raise ImproperlyConfigured(
        f"REWARDSHUB_THROTTLE_STORE is {LOGIN_THROTTLE_STORE!r}; "
        "use redis, database or memory (or leave it unset)."
    )
if LOGIN_THROTTLE_STORE == "memory" and PRODUCTION:
    raise ImproperlyConfigured(
        "REWARDSHUB_THROTTLE_STORE is memory but REWARDSHUB_PRODUCTION is on: each process "
        "(and each host) would count failed sign-ins on its own. Unset "
        "REWARDSHUB_THROTTLE_STORE (the database keeps them), or set REWARDSHUB_REDIS_URL."
    )
if LOGIN_THROTTLE_STORE == "redis" and not REDIS_URL:
    raise ImproperlyConfigured(
        "REWARDSHUB_THROTTLE_STORE is redis but REWARDSHUB_REDIS_URL is not set. "
        "Set REWARDSHUB_REDIS_URL, or choose database."
    )
# Staff sign-in lockout: this many failures inside the window lock the username.
LOGIN_MAX_FAILURES = env_int("REWARDSHUB_LOGIN_MAX_FAILURES", 5, minimum=1)
LOGIN_LOCKOUT_SECONDS = env_int("REWARDSHUB_LOGIN_LOCKOUT_SECONDS", 600, minimum=1)
LAUNCH_TOKEN_SECONDS = env_int("REWARDSHUB_LAUNCH_TOKEN_SECONDS", 60, minimum=5)

# Patient portal log-in limits: per username (card number, username or email)
# and per address, so guessing across usernames from one place stops too.
PORTAL_LOGIN_MAX_FAILURES = env_int("REWARDSHUB_PORTAL_LOGIN_MAX_FAILURES", 5, minimum=1)
PORTAL_ADDRESS_MAX_FAILURES = env_int("REWARDSHUB_PORTAL_ADDRESS_MAX_FAILURES", 20, minimum=1)
PORTAL_LOGIN_WINDOW_SECONDS = env_int("REWARDSHUB_PORTAL_LOGIN_WINDOW_SECONDS", 600, minimum=1)
PORTAL_LOCKOUT_SECONDS = env_int("REWARDSHUB_PORTAL_LOCKOUT_SECONDS", 600, minimum=1)
PORTAL_RESET_SECONDS = env_int("REWARDSHUB_PORTAL_RESET_SECONDS", 3600, minimum=60)

# Mail (portal password resets): one SMTP URL, or private files under var/mail/
# when none is set (a production start refuses that unless asked). Never the
# console: a reset email carries a live link (rewardshub/mail.py).
_mail = mail_settings(
    env_str("REWARDSHUB_EMAIL_URL", ""),
    mail_dir=VAR_DIR / "mail",
    production=PRODUCTION,
    files_in_production=env_bool(FILES_IN_PRODUCTION, False),
)
EMAIL_BACKEND = _mail.backend
EMAIL_FILE_PATH = _mail.file_path
EMAIL_HOST = _mail.host
EMAIL_PORT = _mail.port
EMAIL_HOST_USER = _mail.user
EMAIL_HOST_PASSWORD = _mail.password
EMAIL_USE_TLS = _mail.use_tls
EMAIL_USE_SSL = _mail.use_ssl
# A mail server that does not answer must not hold a server thread for long.
EMAIL_TIMEOUT = env_int("REWARDSHUB_EMAIL_TIMEOUT", 10, minimum=1)
DEFAULT_FROM_EMAIL = env_str("REWARDSHUB_EMAIL_FROM", "RewardsHub <rewards@localhost>")

# Background jobs (rewardshub/jobs, `rewardshub worker`): Django's Tasks API with
# the backport's database backend, so SQLite and PostgreSQL need no other server
# (docs/deploy.md, Background jobs). A failed try is retried after
# JOB_RETRY_SECONDS, doubling each time, up to JOB_ATTEMPTS tries; a job left
# running longer than JOB_STALE_SECONDS by a worker that died is retried too.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
JOB_ATTEMPTS = env_int("REWARDSHUB_JOB_ATTEMPTS", 8, minimum=1)
JOB_RETRY_SECONDS = env_int("REWARDSHUB_JOB_RETRY_SECONDS", 60, minimum=0)
JOB_STALE_SECONDS = env_int("REWARDSHUB_JOB_STALE_SECONDS", 900, minimum=60)
# A points-earned mail waits this long, so a visit's awards go in one mail (notify/digest.py).
MAIL_DIGEST_SECONDS = env_int("REWARDSHUB_MAIL_DIGEST_SECONDS", 1800, minimum=0)

# Prometheus metrics at /metrics (monitoring/metrics.py): for callers from these
# networks that did not come through a proxy, or that send this token.
METRICS_ALLOW = env_networks("REWARDSHUB_METRICS_ALLOW", "127.0.0.1/32,::1/128")
_metrics_token = env_str("REWARDSHUB_METRICS_TOKEN", "")
if _metrics_token and len(_metrics_token) < 16:
    raise ImproperlyConfigured(
        "REWARDSHUB_METRICS_TOKEN is shorter than 16 characters; use a long random value, e.g. "
        "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'."
    )
METRICS_TOKEN_SHA256 = hashlib.sha256(_metrics_token.encode()).hexdigest() if _metrics_token else ""
del _metrics_token

# "text" (one line per event) or "json" (one JSON object per line).
LOG_FORMAT = env_str("REWARDSHUB_LOG_FORMAT", "text").strip().lower()
if LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured(
        f"REWARDSHUB_LOG_FORMAT is {LOG_FORMAT!r}; use text or json (or leave it unset)."
    )

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "rewardshub.observability.RequestIdFilter"},
    },
    "formatters": {
        "text": {
            "format": "%(asctime)s %(levelname)s %(name)s request_id=%(request_id)s %(message)s"
        },
        "json": {"()": "rewardshub.json_logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "stream": sys.stderr,
            "filters": ["request_id"],
            "formatter": LOG_FORMAT,
        }
    },
    "root": {"handlers": ["console"], "level": env_str("REWARDSHUB_LOG_LEVEL", "INFO")},
    # Django's request logger prints the path of failed requests; paths carry
    # no patient data by design, but keep it at WARNING to stay quiet.
    "loggers": {"django.request": {"level": "ERROR"}},
}
