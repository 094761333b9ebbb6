"""Local development: DEBUG on, localhost only."""

from decouple import config

from config.env import env_flag

from .base import *  # noqa: F403
from .base import ALLOWED_HOSTS, SECRET_KEY

DEBUG = env_flag("DEBUG", default=True)
ALLOWED_HOSTS = ALLOWED_HOSTS or ["127.0.0.1", "localhost", "[::1]"]
SECRET_KEY = SECRET_KEY or "dev-only-insecure-key-change-me-0123456789abcdefghijklmnop"
EMAIL_BACKEND = config("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
SSO_ALLOW_HTTP_ISSUER = env_flag("SSO_ALLOW_HTTP_ISSUER", default=True)
# A local webhook receiver (`make run` with http://127.0.0.1:…): http and loopback allowed.
WEBHOOK_ALLOW_HTTP = env_flag("WEBHOOK_ALLOW_HTTP", default=True)
WEBHOOK_ALLOW_LOOPBACK = env_flag("WEBHOOK_ALLOW_LOOPBACK", default=True)
