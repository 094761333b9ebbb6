"""The provider's client secret, sealed at rest (`common.sealed`)."""

from common.sealed import InvalidToken, open_sealed, seal

_PURPOSE = b"ledgerline sso client secret"


def encrypt(secret: str) -> str:
    return seal(secret, purpose=_PURPOSE)


def decrypt(token: str) -> str:
    """The secret, or '' when no key of the settings can read it (say, a new SECRET_KEY)."""
    try:
        return open_sealed(token, purpose=_PURPOSE)
    except InvalidToken:
        return ""
