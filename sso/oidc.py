"""The OpenID Connect parts mozilla-django-oidc leaves to its user: the provider's discovery
document, and a full check of the ID token.

mozilla-django-oidc checks the signature and the nonce but not the issuer, the audience or the
token's times (its `_verify_jws` turns audience checking off), and it reads one provider from the
settings. Ledgerline has one provider per company, so the endpoints come from the discovery
document (OpenID Connect Discovery 1.0, section 4) of the company's issuer, and the ID token is
checked as OpenID Connect Core 1.0 section 3.1.3.7 asks: signature by a key of the provider's
JWKS, `iss` equal to the issuer, `aud` containing our client id (and `azp` equal to it when there
are several audiences), `exp` in the future and `iat` not in it (within a minute of clock skew),
and the `nonce` of this sign-in.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from urllib.parse import urlsplit

import jwt
import requests
from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext_lazy as _

from .exceptions import SignInRefused

CLOCK_SKEW = dt.timedelta(seconds=60)
DISCOVERY_SECONDS = 3600
SIGNING_ALGORITHMS = ("RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256")


@dataclasses.dataclass(frozen=True)
class Discovery:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str = ""
    end_session_endpoint: str = ""
    algorithms: tuple[str, ...] = ("RS256",)


def check_issuer_url(issuer: str) -> None:
    """Raise ValueError unless `issuer` is an https URL (http only where the settings allow it,
    for a provider on this machine in development and tests)."""
    parts = urlsplit(issuer)
    if parts.scheme == "https" and parts.netloc:
        return
    if parts.scheme == "http" and parts.netloc and settings.SSO_ALLOW_HTTP_ISSUER:
        return
    raise ValueError(_("The issuer must be an https:// URL."))


def discover(issuer: str) -> Discovery:
    """The provider's endpoints from its discovery document (cached for an hour).

    Raises SignInRefused when the document cannot be read or names another issuer (a document
    that does not vouch for the issuer we asked about is not that provider's).
    """
    issuer = issuer.rstrip("/")
    key = f"sso:discovery:{issuer}"
    found = cache.get(key)
    if found is not None:
        return found
    try:
        check_issuer_url(issuer)
        response = requests.get(
            f"{issuer}/.well-known/openid-configuration",
            timeout=settings.SSO_HTTP_TIMEOUT,
            allow_redirects=False,
        )
        response.raise_for_status()
        document = response.json()
    except (ValueError, requests.RequestException) as error:
        raise SignInRefused(
            _("The identity provider could not be reached. Try again in a moment.")
        ) from error
    if not isinstance(document, dict) or str(document.get("issuer", "")).rstrip("/") != issuer:
        raise SignInRefused(_("The identity provider's configuration names another issuer."))
    try:
        found = Discovery(
            issuer=issuer,
            authorization_endpoint=document["authorization_endpoint"],
            token_endpoint=document["token_endpoint"],
            jwks_uri=document["jwks_uri"],
            userinfo_endpoint=document.get("userinfo_endpoint", ""),
            end_session_endpoint=document.get("end_session_endpoint", ""),
            algorithms=tuple(
                alg
                for alg in document.get("id_token_signing_alg_values_supported", ["RS256"])
                if alg in SIGNING_ALGORITHMS
            )
            or ("RS256",),
        )
    except KeyError as error:
        raise SignInRefused(_("The identity provider's configuration is incomplete.")) from error
    cache.set(key, found, DISCOVERY_SECONDS)
    return found


@functools.lru_cache(maxsize=64)
def _jwks_client(jwks_uri: str) -> jwt.PyJWKClient:
    """One client per provider key set: it caches the keys and fetches them again for a `kid`
    it does not know (a rotated key)."""
    return jwt.PyJWKClient(jwks_uri, cache_keys=True, timeout=settings.SSO_HTTP_TIMEOUT)


def signing_key(token: str, discovery: Discovery) -> jwt.PyJWK:
    """The key of the provider's JWKS that signed `token` (matched by `kid`)."""
    try:
        header = jwt.get_unverified_header(token)
        keys = jwt.PyJWKClient(
            discovery.jwks_uri, cache_keys=True, timeout=settings.SSO_HTTP_TIMEOUT
        )
        return keys.get_signing_key(header.get("kid"))
    except (jwt.PyJWKClientError, jwt.DecodeError) as error:
        raise SignInRefused(_("The identity provider's answer could not be verified.")) from error


def verify_id_token(
    token: str,
    *,
    discovery: Discovery,
    client_id: str,
    nonce: str | None,
    now: dt.datetime | None = None,
) -> dict:
    """The claims of `token` after every check of OIDC Core 3.1.3.7; raises SignInRefused.

    `now` (aware) is the clock to judge `exp` and `iat` by: tests pass their own.
    """
    refused = SignInRefused("The identity provider's answer could not be verified.")
    key = signing_key(token, discovery)
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=list(discovery.algorithms),
            audience=client_id,
            issuer=discovery.issuer,
            options={
                "require": ["iss", "sub", "aud", "exp", "iat"],
                # The times are checked below against `now`.
                "verify_exp": False,
                "verify_iat": False,
                "verify_nbf": False,
            },
        )
    except jwt.InvalidTokenError as error:
        raise refused from error
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != client_id:
        raise refused
    now = now or dt.datetime.now(dt.UTC)
    try:
        expires = dt.datetime.fromtimestamp(int(claims["exp"]), dt.UTC)
        issued = dt.datetime.fromtimestamp(int(claims["iat"]), dt.UTC)
    except (TypeError, ValueError, OverflowError) as error:
        raise refused from error
    if expires + CLOCK_SKEW <= now or issued - CLOCK_SKEW > now:
        raise SignInRefused(_("The identity provider's answer has expired. Sign in again."))
    if nonce is not None and claims.get("nonce") != nonce:
        raise refused
    return claims
