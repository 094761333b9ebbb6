"""Test settings: fast hashing, deterministic, no throttling surprises."""

from .base import *  # noqa: F403

DEBUG = False
SECRET_KEY = "test-secret-key-not-for-production-0123456789abcdefghijklmnop"
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
EVENT_LOG_KEY = "test-event-log-key"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
LOGGING_CONFIG = None
# WhiteNoise would scan STATIC_ROOT for every test client; tests never need collected files.
MIDDLEWARE = [m for m in MIDDLEWARE if m != "whitenoise.middleware.WhiteNoiseMiddleware"]  # noqa: F405

# Tests run on a real SQLite file (not :memory:) so that concurrency tests can open several
# connections from threads and processes, exactly as the server does. One file per test run.
import os  # noqa: E402
import tempfile  # noqa: E402

# On PostgreSQL (DATABASE_URL=postgres://…, `make test-postgres`): Django's default test
# database, test_<name> on the same server.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.path.join(tempfile.gettempdir(), f"ledgerline-test-{os.getpid()}.sqlite3"),
    }
AXES_ENABLED = True
SSO_ALLOW_HTTP_ISSUER = True  # the tests run their OpenID Connect provider on http://127.0.0.1
# The API's per-key rate (tests that check throttling set their own): the fuzzing run sends
# hundreds of requests a minute with one key.
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"api_key": "100000/minute"}}  # noqa: F405
# The tests' webhook receivers listen on 127.0.0.1 over http.
WEBHOOK_ALLOW_HTTP = True
WEBHOOK_ALLOW_LOOPBACK = True
