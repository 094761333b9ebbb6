"""Secrets the application must read back (an identity provider's client secret, a webhook's
signing secret), sealed at rest with Fernet (the `cryptography` library).

The key is derived (HKDF-SHA256) from SECRET_KEY with a `purpose` of the caller's, so one kind
of secret never opens another; every SECRET_KEY_FALLBACKS entry still opens, so rotating
SECRET_KEY the Django way keeps them readable. A copy of the database alone reveals none.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

__all__ = ["InvalidToken", "open_sealed", "seal"]


def _fernet(secret_key: str, purpose: bytes) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(
        secret_key.encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


def _keys(purpose: bytes) -> MultiFernet:
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet([_fernet(key, purpose) for key in keys])


def seal(secret: str, *, purpose: bytes) -> str:
    """`secret` encrypted and authenticated under the current SECRET_KEY, as text."""
    return _keys(purpose).encrypt(secret.encode()).decode()


def open_sealed(token: str, *, purpose: bytes) -> str:
    """The secret; raises `InvalidToken` when no key of the settings opens it."""
    return _keys(purpose).decrypt(token.encode()).decode()
