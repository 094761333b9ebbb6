"""Settings shared by every environment. Values that differ per install come from `.env`."""

import datetime as _dt
import os as _os
from pathlib import Path

import dj_database_url
from decouple import Csv, config
from django.core.exceptions import ImproperlyConfigured

from config.env import env_flag, env_number, env_setting, listen_address, one_of, request_rate

BASE_DIR = Path(__file__).resolve().parent.parent.parent
# Limits of the numbers read below (config.env.number refuses what a setting cannot use, naming
# it): a C int (SQLite's busy_timeout, PostgreSQL's statement_timeout), a year (a cookie's or a
# lock's expiry must stay a date), a network wait past which the other side is hung.
_INT_MAX = 2**31 - 1
_YEAR_MINUTES = 365 * 24 * 60
_TIMEOUT_MAX_SECONDS = 300

SECRET_KEY = config("SECRET_KEY", default="")
DEBUG = env_flag("DEBUG", default=False)
ALLOWED_HOSTS = config("ALLOWED_HOSTS", default="", cast=Csv())
CSRF_TRUSTED_ORIGINS = config("CSRF_TRUSTED_ORIGINS", default="", cast=Csv())

INSTALLED_APPS = [
    "accounts.admin_site.PlatformAdminConfig",  # django.contrib.admin, superusers only
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_filters",
    "django_htmx",
    "axes",
    "csp",
    "rest_framework",
    "drf_spectacular",
    "common",
    "accounts",
    "events",
    "orders",
    # Projections register as their apps become ready: this order keeps the reports' order
    # (order_summary, dashboard).
    "dashboard",
    "projections",
    "customers",  # after projections: its projections come after the reports' three
    "audit",
    "ops",
    "outbox",
    "notifications",
    "sso",
    "api",
    "webhooks",
    # After orders: orders' graph_transitions overrides the library's (no "None" state).
    "django_fsm",
]

MIDDLEWARE = [
    "common.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Vary: HX-Request and Cache-Control on every page a view answers (common/caching.py).
    "common.caching.PrivateCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language: the cookie, else Accept-Language (Vary: Accept-Language); a signed-in
    # user's own choice wins (accounts.locale.UserLocaleMiddleware, after authentication).
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # A control character in a query or form value is a 400 before any view can echo it.
    "common.control_characters.RefuseControlCharactersMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A signed-in user's own language (it wins over the cookie and Accept-Language) and time
    # zone, else the company's (issue #29; accounts/locale.py).
    "accounts.locale.UserLocaleMiddleware",
    # Django's LoginRequiredMiddleware, sending htmx requests to the login page whole, and
    # the idle-time session refresh (accounts/login_flow.py).
    "accounts.login_flow.LoginRequiredMiddleware",
    "accounts.login_flow.SessionRefreshMiddleware",
    "accounts.company_required.CompanyRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "common.htmx_messages.HtmxMessagesMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # A single sign-on session may be redirected to its provider's logout (sso/middleware.py).
    "sso.middleware.ProviderLogoutCSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, so a locked-out login is answered before the view runs.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

# A form redrawn with its errors never shows a control character typed into it
# (common/control_characters.py).
FORM_RENDERER = "common.control_characters.FormRenderer"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.navigation",
            ],
            # `date`/`time` that show an extreme instant in UTC instead of failing the page.
            "builtins": ["common.templatetags.local_time"],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# SQLite by default. The tuning below is what makes one SQLite file a real server database:
# WAL lets readers run while one writer commits; synchronous=NORMAL is durable in WAL mode
# across application crashes; busy_timeout makes a second writer wait instead of failing with
# "database is locked"; IMMEDIATE transactions take the write lock at BEGIN, so two writers
# queue up front instead of deadlocking when a read lock is upgraded half-way through.
DATABASE_URL = config("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
# SQLite's busy_timeout is a C int; 0 would make a second writer fail at once ("database is
# locked") instead of waiting its turn.
SQLITE_BUSY_TIMEOUT_MS = env_number(
    "SQLITE_BUSY_TIMEOUT_MS", default=20000, minimum=1, maximum=_INT_MAX
)
SQLITE_INIT_COMMAND = (
    "PRAGMA journal_mode=WAL;"
    "PRAGMA synchronous=NORMAL;"
    "PRAGMA foreign_keys=ON;"
    f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS};"
    "PRAGMA temp_store=MEMORY;"
    # Freed cells and pages are overwritten with zeros: an erasure (docs/privacy.md) leaves no
    # old copy of a read model's row in the file.
    "PRAGMA secure_delete=ON;"
)
# No cache_size/mmap_size beyond SQLite's defaults: with 64 MiB and 256 MiB, every page of a
# 2,000-orders-a-company database was as fast (list 72 ms either way, dashboard 93/95 ms, detail
# 69/63 ms, medians of 40 on a loaded 2-core box) and each process held 30 MB more (90/60 MB).
# PostgreSQL (DATABASE_URL=postgres://…): how long to wait for the server to answer a connection,
# and the longest a statement may run, waiting for the writers' lock included (the counterpart of
# SQLite's busy_timeout). Operations commands (rebuild, verify, backup) lift the statement limit
# for their own connection.
# libpq takes 0 as "wait for ever"; PostgreSQL takes statement_timeout=0 as "no limit", which
# deploy/README.md uses for a long migration (its largest value is a C int of milliseconds).
PG_CONNECT_TIMEOUT_SECONDS = env_number(
    "PG_CONNECT_TIMEOUT_SECONDS", default=5, minimum=1, maximum=_TIMEOUT_MAX_SECONDS
)
PG_STATEMENT_TIMEOUT_MS = env_number(
    "PG_STATEMENT_TIMEOUT_MS", default=30000, minimum=0, maximum=_INT_MAX, meaning="0: no limit"
)


def database_from_url(url: str) -> dict:
    """Return a Django DATABASES entry for `url`, with the SQLite tuning applied."""
    max_age = env_number(
        "CONN_MAX_AGE", default=600, minimum=0, meaning="0: a connection per request"
    )
    try:
        db = dj_database_url.parse(url, conn_max_age=max_age)
    except ValueError as error:  # the address is not repeated: it may hold a password
        raise ImproperlyConfigured(
            "DATABASE_URL must be a database address, e.g. sqlite:///db.sqlite3 or "
            f"postgres://user:password@host:5432/name: {error}"
        ) from None
    # Another engine fails at start-up naming its driver (mysqlclient), not this setting; an
    # in-memory SQLite database is a new, empty one per connection (the server's threads).
    scheme = url.split(":", 1)[0]
    if db["ENGINE"] not in ("django.db.backends.sqlite3", "django.db.backends.postgresql"):
        problem = f"Ledgerline runs on SQLite or PostgreSQL, not on {scheme}"
    elif db["NAME"] in ("", ":memory:") and "service" not in db.get("OPTIONS", {}):
        problem = "it names no SQLite file" if "sqlite" in db["ENGINE"] else "it names no database"
    else:
        problem = ""
    if problem:
        raise ImproperlyConfigured(
            "DATABASE_URL must be a database address, e.g. sqlite:///db.sqlite3 or "
            f"postgres://user:password@host:5432/name: {problem}."
        )
    if db["ENGINE"] == "django.db.backends.sqlite3":
        db["OPTIONS"] = {
            "init_command": SQLITE_INIT_COMMAND,
            "transaction_mode": "IMMEDIATE",
            "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000,
        }
        db["CONN_HEALTH_CHECKS"] = False
    elif db["ENGINE"] == "django.db.backends.postgresql":
        db.setdefault("OPTIONS", {})
        db["OPTIONS"].setdefault("connect_timeout", PG_CONNECT_TIMEOUT_SECONDS)
        db["OPTIONS"].setdefault("options", f"-c statement_timeout={PG_STATEMENT_TIMEOUT_MS}")
        # A persistent connection may have died with a server restart: check it before each
        # request reuses it, instead of answering that request with a 500.
        db["CONN_HEALTH_CHECKS"] = True
    return db


DATABASES = {"default": database_from_url(DATABASE_URL)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -----------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # axes first: it refuses locked-out credentials before any other backend sees them.
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, reading the user with its company (accounts/backends.py).
    "accounts.backends.CompanyUserBackend",
    # Single sign-on through the company's identity provider (sso/backends.py).
    "sso.backends.CompanyOIDCBackend",
]
# mozilla-django-oidc, for the parts that are the same for every company's provider (the
# provider itself is per company: sso.models.IdentityProvider). Authorization Code flow with
# PKCE (S256), state and nonce in the session.
OIDC_USE_PKCE = True
OIDC_USE_NONCE = True
OIDC_RP_SCOPES = "openid email profile"
OIDC_TIMEOUT = env_number(
    "SSO_HTTP_TIMEOUT_SECONDS", default=10, minimum=1, maximum=_TIMEOUT_MAX_SECONDS
)
SSO_HTTP_TIMEOUT = OIDC_TIMEOUT
OIDC_REDIRECT_REQUIRE_HTTPS = False  # `next` is checked against this host either way
# Issuers must be https://; development and the tests run a provider on http://127.0.0.1.
SSO_ALLOW_HTTP_ISSUER = env_flag("SSO_ALLOW_HTTP_ISSUER", default=False)
# Django's database sessions, with the user's id in a column (accounts/sessions.py).
SESSION_ENGINE = "accounts.sessions"
# Messages live in the (database) session, not in a cookie: a message can hold a one-time
# set-password link (e-mail off), and a signed cookie is readable by whoever holds it.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"
# Sessions end after this much idle time (default: a working day). Every request of the person
# moves the end (accounts.login_flow.SessionRefreshMiddleware; auto-refreshes do not).
# At most a year: a cookie's expiry must stay a date (a huge age fails every sign-in).
SESSION_COOKIE_AGE = (
    env_number("SESSION_IDLE_MINUTES", default=8 * 60, minimum=1, maximum=_YEAR_MINUTES) * 60
)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "accounts.validators.CharacterClassValidator"},
]

# Login throttling (django-axes): lock a username+IP pair after 5 failures for 15 minutes.
# 0 failures would lock every pair before its first try; a 0-minute lock is no lock.
AXES_FAILURE_LIMIT = env_number("AXES_FAILURE_LIMIT", default=5, minimum=1)
AXES_COOLOFF_TIME = (
    env_number("AXES_COOLOFF_MINUTES", default=15, minimum=1, maximum=_YEAR_MINUTES) / 60
)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/lockout.html"
AXES_RESET_ON_SUCCESS = True
AXES_IPWARE_PROXY_COUNT = env_number("AXES_PROXY_COUNT", default=0, minimum=0)
# And an address-wide limit beside it (accounts/login_throttle.py): this many failures from one
# address, whatever the usernames, within the same cool-off lock the address (0: off). It stops
# password spraying, which the per-username lock does not see.
AXES_HANDLER = "accounts.login_throttle.AddressWideLockHandler"
LOGIN_ADDRESS_FAILURE_LIMIT = env_number(
    "LOGIN_ADDRESS_FAILURE_LIMIT", default=10, minimum=0, meaning="0: off"
)
# Axes names clients in its log lines without the User-Agent header, values quoted.
AXES_CLIENT_STR_CALLABLE = "accounts.login_throttle.client_description"

# --- I18N -----------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
# Issue #29: English and German complete; a user's choice in "My settings" (User.language), else
# the browser's Accept-Language.
LANGUAGES = [("en", "English"), ("de", "Deutsch")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# The cookie that keeps a signed-in user's choice for the pages seen signed out (login, reset):
# sent with every request only, like the session cookie (docs/i18n.md).
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = config("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = config("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Bootstrap's alert classes for Django's message levels (error -> alert-danger).
MESSAGE_TAGS = {40: "danger"}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Security headers -----------------------------------------------------------------------
X_FRAME_OPTIONS = "DENY"
# /healthz answers plain HTTP too (SECURE_SSL_REDIRECT is on in production): a local monitor or
# load balancer probes 127.0.0.1:8000 without TLS and must get the health, not a redirect.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    },
}

# --- E-mail (password reset, set-password links, alerts) -----------------------------------
# Production sends through SMTP (or a provider's SMTP relay); development prints mails on the
# console (dev.py); tests use Django's in-memory backend. E-mail counts as configured when
# EMAIL_HOST is set: without it, set-password links are shown to whoever issued them.
EMAIL_BACKEND = config("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = config("EMAIL_HOST", default="")
EMAIL_PORT = env_number("EMAIL_PORT", default=587, minimum=1, maximum=65535)
EMAIL_HOST_USER = config("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = config("EMAIL_HOST_PASSWORD", default="")
# STARTTLS unless implicit TLS is chosen; Django's SMTP backend refuses both at every send.
EMAIL_USE_SSL = env_flag("EMAIL_USE_SSL", default=False)
EMAIL_USE_TLS = env_flag("EMAIL_USE_TLS", default=not EMAIL_USE_SSL)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured(
        "EMAIL_USE_TLS (STARTTLS, usually port 587) and EMAIL_USE_SSL (implicit TLS, usually "
        "port 465) are both True: set one of them to False."
    )
EMAIL_TIMEOUT = env_number(
    "EMAIL_TIMEOUT_SECONDS", default=10, minimum=1, maximum=_TIMEOUT_MAX_SECONDS
)
DEFAULT_FROM_EMAIL = config("DEFAULT_FROM_EMAIL", default="Ledgerline <ledgerline@localhost>")
SERVER_EMAIL = config("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)
# `verify_events --mail-admins` (the daily verification) writes to ADMINS when it fails; with
# ADMINS set, Django also mails them server errors. Empty: no alert e-mail.
ADMINS = [(address, address) for address in config("ADMINS", default="", cast=Csv())]
# The site's address as users reach it (e.g. https://orders.example.com): the links that
# `create_company` prints and e-mails, and those in notification mails, start with it. Pages
# build links from the request instead.
SITE_URL = config("SITE_URL", default="")
# Password reset links stay valid this long (Django's default is three days).
PASSWORD_RESET_TIMEOUT = (
    env_number("PASSWORD_RESET_TIMEOUT_MINUTES", default=60, minimum=1, maximum=_YEAR_MINUTES) * 60
)

# --- Domain settings ------------------------------------------------------------------------
# Key of the event log's hash chain (HMAC-SHA-256); empty means a plain SHA-256 chain. Never
# change it for an existing log: verify_events would report every event as altered.
EVENT_LOG_KEY = config("EVENT_LOG_KEY", default="")
# Witnessed checkpoints of the log's head, kept outside the database (events/witness.py).
# Empty: a folder named like the SQLite file, beside it (db.sqlite3 -> db.witness/).
WITNESS_DIR = config("WITNESS_DIR", default="")
# The key store of personal data (events/keystore.py, docs/privacy.md). SQLite: its own file,
# never inside the log's backups; empty: beside the database file (db.sqlite3 ->
# db.keys.sqlite3). PostgreSQL: the schema ledgerline_keys, left out of the log's pg_dump.
KEY_STORE_PATH = config("KEY_STORE_PATH", default="")
# The longest a commit waits for its checkpoint to be written (a hung network mount); after
# one such wait, checkpoints are queued without waiting until the witness answers again.
# 0: the committing thread writes it itself (no bound: local disks). The default is 0 for the
# default folder (beside the SQLite file or in var/: the database's or the app's own disk, which
# a commit waits for anyway) and 0.5 for a WITNESS_DIR elsewhere. Measured (#25): the hand-off
# to the witness thread costs 66 to 565 µs wall and ~30 to 100 µs CPU per commit, a direct
# write 5 to 66 µs wall (the hand-off grows with a busy second thread: the GIL hand-over).
WITNESS_TIMEOUT_SECONDS = env_number(
    "WITNESS_TIMEOUT_SECONDS",
    default=0.5 if WITNESS_DIR else 0,
    minimum=0,
    maximum=_TIMEOUT_MAX_SECONDS,
    whole=False,
    meaning="0: written by the committing thread",
)
# An order that sits in the same non-final state longer than this is "stuck" on the dashboard.
STUCK_AFTER_DAYS = env_number("STUCK_AFTER_DAYS", default=7, minimum=1, maximum=3650)
# At most the largest page the list offers (orders.forms.PAGE_SIZES): every page stays bounded.
ORDERS_PER_PAGE = env_number("ORDERS_PER_PAGE", default=25, minimum=1, maximum=100)
# Processes that replay the log side by side in a rebuild or verify (projections/replaying.py):
# at most this many, one per 25,000 events. Default: the CPUs, at most 4 (each holds its own
# row cache, ~150 MiB at peak).

# The CPUs this process may use (Linux), else all of them (macOS has no sched_getaffinity).
_CPUS = len(_os.sched_getaffinity(0)) if hasattr(_os, "sched_getaffinity") else _os.cpu_count()
REBUILD_PROCESSES = env_number(
    "REBUILD_PROCESSES", default=min(_CPUS or 1, 4), minimum=1, meaning="1: no worker processes"
)
# The production server (`manage.py serve`, used by `make serve` and the systemd unit): where
# waitress listens, its worker threads, and the one proxy address trusted for X-Forwarded-*.
SERVE_LISTEN = env_setting("SERVE_LISTEN", default="127.0.0.1:8000", check=listen_address)
# Waitress starts every thread at start-up (a mistyped 100000000 would try to), and
# each may hold a database connection (PostgreSQL allows 100 by default).
SERVE_THREADS = env_number("SERVE_THREADS", default=8, minimum=1, maximum=1000)
SERVE_TRUSTED_PROXY = config("SERVE_TRUSTED_PROXY", default="127.0.0.1")
# /healthz answers 503 when the disk holding the SQLite database has less free space than this.
HEALTHZ_MIN_FREE_MB = env_number(
    "HEALTHZ_MIN_FREE_MB", default=100, minimum=0, meaning="0: no free-space check"
)
# The worker (`manage.py run_worker`, outbox/worker.py): how often it polls SQLite for new
# events (PostgreSQL wakes it by NOTIFY), how long a company's lease lasts without renewal
# (longer than any one side effect: EMAIL_TIMEOUT_SECONDS), and after how long without a
# heartbeat the ops desk says it is not running.
# A poll of 0 s spins; a lease under a second lapses while it is renewed; the worker checks in
# every 5 s, so "silent" after less than 10 s would call a running worker stopped.
WORKER_POLL_SECONDS = env_number(
    "WORKER_POLL_SECONDS", default=0.5, above=0, maximum=3600, whole=False
)
WORKER_LEASE_SECONDS = env_number(
    "WORKER_LEASE_SECONDS", default=60, minimum=1, maximum=86400, whole=False
)
WORKER_SILENT_AFTER_SECONDS = env_number(
    "WORKER_SILENT_AFTER_SECONDS", default=60, minimum=10, maximum=86400
)
# Notifications (notifications/): the local hour (TIME_ZONE) the daily digest goes out. Links in
# the mails start with SITE_URL (above; empty: http://127.0.0.1:8000, where `make run` serves).
NOTIFY_DIGEST_HOUR = env_number("NOTIFY_DIGEST_HOUR", default=7, minimum=0, maximum=23)
# A mail that fails is retried after 5 s, 10 s, 20 s … (at most an hour apart) and parked on
# the ops desk after this many attempts (8: about 10 minutes of trying).
NOTIFY_RETRY_FIRST_SECONDS = env_number(
    "NOTIFY_RETRY_FIRST_SECONDS", default=5, above=0, maximum=3600, whole=False
)
NOTIFY_MAX_ATTEMPTS = env_number("NOTIFY_MAX_ATTEMPTS", default=8, minimum=1)

# --- The JSON API (/api/v1/, issue #27) -------------------------------------------------------
# Requests per API key (DRF throttle rate: "<n>/<second|minute|hour|day>"); over it: 429 with
# Retry-After.
API_RATE = env_setting("API_RATE", default="600/minute", check=request_rate)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.authentication.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.ApiKeyRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"api_key": API_RATE},
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.problems.handle_exception",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Ledgerline API",
    "DESCRIPTION": "Orders, their workflow and the company's event log, for other systems.",
    "VERSION": "1",
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_AUTHENTICATION": [],
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # Every error answer (api/problems.py), referenced by the API's and the webhooks' views.
    "APPEND_COMPONENTS": {
        "schemas": {
            "Problem": {
                "type": "object",
                "description": "RFC 9457 problem details, in the pages' words.",
                "properties": {
                    "type": {"type": "string"},
                    "title": {"type": "string"},
                    "status": {"type": "integer"},
                    "detail": {"type": "string"},
                    "errors": {"description": "Field → messages, for invalid data."},
                    "current_version": {"type": "integer", "description": "On 412."},
                    "changed_by": {"type": "string", "description": "On 412."},
                    "changed_at": {"type": "string", "format": "date-time"},
                },
                "required": ["type", "title", "status", "detail"],
            }
        }
    },
}

# --- Webhooks (webhooks/, issue #27) --------------------------------------------------------
# Only https:// receivers, and none at loopback/private addresses (link-local never), unless
# allowed here (development allows http and loopback, for a local receiver).
WEBHOOK_ALLOW_HTTP = env_flag("WEBHOOK_ALLOW_HTTP", default=False)
WEBHOOK_ALLOW_LOOPBACK = env_flag("WEBHOOK_ALLOW_LOOPBACK", default=False)
WEBHOOK_ALLOW_PRIVATE = env_flag("WEBHOOK_ALLOW_PRIVATE", default=False)
WEBHOOK_TIMEOUT_SECONDS = env_number(
    "WEBHOOK_TIMEOUT_SECONDS", default=5, above=0, maximum=_TIMEOUT_MAX_SECONDS, whole=False
)
# Retries: BASE * 2^n with jitter, at most MAX apart, for RETRY_FOR; then the endpoint is marked
# failing (its Managers are mailed) and its events wait, in order, for it to be re-enabled.
# The base is doubled up to 2^30 times before the cap applies (webhooks/subscriber.py): more
# than an hour would overflow a timedelta.
WEBHOOK_BACKOFF_BASE = _dt.timedelta(
    seconds=env_number("WEBHOOK_BACKOFF_SECONDS", default=10, above=0, maximum=3600, whole=False)
)
WEBHOOK_BACKOFF_MAX = _dt.timedelta(
    minutes=env_number(
        "WEBHOOK_BACKOFF_MAX_MINUTES", default=60, above=0, maximum=1440, whole=False
    )
)
WEBHOOK_RETRY_FOR = _dt.timedelta(
    days=env_number("WEBHOOK_RETRY_DAYS", default=3, above=0, maximum=365, whole=False)
)

# --- Logging --------------------------------------------------------------------------------
LOG_LEVEL = env_setting(
    "LOG_LEVEL",
    default="INFO",
    check=one_of,
    choices=("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"),
    aliases={"WARN": "WARNING", "FATAL": "CRITICAL"},  # logging's other names (they worked)
)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "common.logging.RequestIdFilter"}},
    "formatters": {
        "line": {
            "format": "%(asctime)s %(levelname)s %(name)s request_id=%(request_id)s %(message)s",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "line",
            "filters": ["request_id"],
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.request": {"level": "ERROR"},
        "django.server": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}

SENTRY_DSN = config("SENTRY_DSN", default="")
if SENTRY_DSN:  # pragma: no cover - optional error tracking, off unless configured
    import sentry_sdk

    sentry_sdk.init(dsn=SENTRY_DSN, send_default_pii=False, traces_sample_rate=0.0)
