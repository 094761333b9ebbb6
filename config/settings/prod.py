"""Production: behind nginx (TLS offload), served by waitress.

Refuses to start without SECRET_KEY and ALLOWED_HOSTS, with a short SECRET_KEY, or without
EVENT_LOG_KEY: a misconfigured install must fail loudly at start-up, not run with a guessable
key, accept any Host header, or keep an event log whose chain anyone can recompute.
"""

from django.core.exceptions import ImproperlyConfigured

from config.env import env_flag, env_number

from .base import *  # noqa: F403
from .base import ALLOWED_HOSTS, EVENT_LOG_KEY, SECRET_KEY

DEBUG = False

_missing = [
    name
    for name, value in (("SECRET_KEY", SECRET_KEY), ("ALLOWED_HOSTS", ALLOWED_HOSTS))
    if not "".join(value).strip()  # blank from the environment ("   ") is none
]
if _missing:
    raise ImproperlyConfigured(
        f"Production settings need {' and '.join(_missing)} in the environment or .env "
        "(see .env.example)."
    )
# Django's own rule for a strong key (check security.W009): at least 50 characters, at least 5
# different ones. `make setup` writes one (secrets.token_urlsafe(50), 67 characters).
if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
    raise ImproperlyConfigured(
        "SECRET_KEY is too short or too simple for production: use at least 50 random "
        "characters, e.g. python -c 'import secrets; print(secrets.token_urlsafe(50))'."
    )
# Without it the chain is plain SHA-256, which anyone with write access to the database can
# recompute after editing the log (systemPatterns.md, "Anchors").
if not EVENT_LOG_KEY.strip():
    raise ImproperlyConfigured(
        "Production settings need EVENT_LOG_KEY (the event log's HMAC key) in the environment or "
        ".env: generate one with python -c 'import secrets; print(secrets.token_urlsafe(32))' "
        "and never change it for an existing log."
    )

SECURE_SSL_REDIRECT = env_flag("SECURE_SSL_REDIRECT", default=True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env_number(
    "SECURE_HSTS_SECONDS", default=31536000, minimum=0, meaning="0: no HSTS header"
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = env_flag("SESSION_COOKIE_SECURE", default=True)
CSRF_COOKIE_SECURE = env_flag("CSRF_COOKIE_SECURE", default=True)
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
USE_X_FORWARDED_HOST = False

TEMPLATES[0]["APP_DIRS"] = False  # noqa: F405
TEMPLATES[0]["OPTIONS"]["loaders"] = [  # noqa: F405
    (
        "django.template.loaders.cached.Loader",
        [
            "django.template.loaders.filesystem.Loader",
            "django.template.loaders.app_directories.Loader",
        ],
    )
]
