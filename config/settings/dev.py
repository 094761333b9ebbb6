"""Local development: DEBUG on, localhost only."""

from decouple import config

from config.env import yes_or_no

from .base import *  # noqa: F403
from .base import ALLOWED_HOSTS, SECRET_KEY

DEBUG = config("DEBUG", default=True, cast=yes_or_no("DEBUG"))
ALLOWED_HOSTS = ALLOWED_HOSTS or ["127.0.0.1", "localhost", "[::1]"]
SECRET_KEY = SECRET_KEY or "dev-only-insecure-key-change-me-0123456789abcdefghijklmnop"
EMAIL_BACKEND = config("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
SSO_ALLOW_HTTP_ISSUER = config(
    "SSO_ALLOW_HTTP_ISSUER", default=True, cast=yes_or_no("SSO_ALLOW_HTTP_ISSUER")
)
# A local webhook receiver (`make run` with http://127.0.0.1:…): http and loopback allowed.
WEBHOOK_ALLOW_HTTP = config(
    "WEBHOOK_ALLOW_HTTP", default=True, cast=yes_or_no("WEBHOOK_ALLOW_HTTP")
)
WEBHOOK_ALLOW_LOOPBACK = config(
    "WEBHOOK_ALLOW_LOOPBACK", default=True, cast=yes_or_no("WEBHOOK_ALLOW_LOOPBACK")
)
