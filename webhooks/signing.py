"""Signing per the Standard Webhooks spec (https://www.standardwebhooks.com/, the
`standardwebhooks` library): `webhook-id`, `webhook-timestamp`, `webhook-signature` headers;
the secret is "whsec_" + base64 of 24 random bytes, shown once and kept sealed
(`common.sealed`), because signing needs the secret itself, not a hash."""

from __future__ import annotations

import base64
import datetime as dt
import secrets

from standardwebhooks.webhooks import Webhook

from common.sealed import open_sealed, seal


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


_PURPOSE = b"ledgerline webhook secrets"


def encrypt(secret: str) -> str:
    return seal(secret, purpose=_PURPOSE)


def decrypt(token: str) -> str:
    return open_sealed(token, purpose=_PURPOSE)


def headers(secret: str, message_id: str, body: str, at: dt.datetime) -> dict[str, str]:
    """The Standard Webhooks headers for `body` (the exact bytes sent, as text)."""
    signature = Webhook(secret).sign(message_id, at, body)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature,
    }
