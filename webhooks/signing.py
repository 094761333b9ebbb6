"""Signing per the Standard Webhooks spec (https://www.standardwebhooks.com/, the
`standardwebhooks` library): `webhook-id`, `webhook-timestamp`, `webhook-signature` headers;
the secret is "whsec_" + base64 of 24 random bytes, shown once and kept encrypted (Fernet, key
derived from SECRET_KEY by HKDF), because signing needs the secret itself, not a hash."""

from __future__ import annotations

import base64
import datetime as dt
import secrets

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from standardwebhooks.webhooks import Webhook


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def _fernet() -> Fernet:
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"ledgerline webhook secrets"
    ).derive(settings.SECRET_KEY.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def decrypt(token: str) -> str:
    return _fernet().decrypt(token.encode()).decode()


def headers(secret: str, message_id: str, body: str, at: dt.datetime) -> dict[str, str]:
    """The Standard Webhooks headers for `body` (the exact bytes sent, as text)."""
    signature = Webhook(secret).sign(message_id, at, body)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature,
    }
