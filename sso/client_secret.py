"""The provider's client secret, encrypted at rest with Fernet (the `cryptography` library).

The key is derived (HKDF-SHA256) from SECRET_KEY, and every SECRET_KEY_FALLBACKS entry can
still decrypt, so rotating SECRET_KEY the Django way keeps SSO working; a copy of the database
without the settings does not reveal the secret.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

_INFO = b"ledgerline sso client secret"


def _fernet(secret_key: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(
        secret_key.encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


def _keys() -> MultiFernet:
    return MultiFernet(
        [_fernet(settings.SECRET_KEY)]
        + [_fernet(key) for key in getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    )


def encrypt(secret: str) -> str:
    return _keys().encrypt(secret.encode()).decode()


def decrypt(token: str) -> str:
    """The secret, or '' when no key of the settings can read it (say, a new SECRET_KEY)."""
    try:
        return _keys().decrypt(token.encode()).decode()
    except InvalidToken:
        return ""
