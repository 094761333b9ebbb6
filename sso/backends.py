"""The authentication backend of single sign-on: mozilla-django-oidc's code flow, with the
company's provider in place of the one provider of its settings.

The library does the protocol (token request with the PKCE verifier, JWKS look-up, userinfo);
`sso.oidc` checks the ID token fully and `sso.commands.sign_in` decides who gets in. Which
provider: the one the sign-in started with (its id is kept in the session by `sso.views`).
"""

from __future__ import annotations

import logging

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from accounts.backends import CompanyUserBackend

from . import client_secret, commands, oidc
from .exceptions import SignInRefused
from .models import IdentityProvider

logger = logging.getLogger("ledgerline.sso")

PROVIDER_SESSION_KEY = "sso_provider_id"
REFUSAL_SESSION_KEY = "sso_refusal"
ID_TOKEN_SESSION_KEY = "oidc_id_token"
LOGOUT_ORIGIN_SESSION_KEY = "sso_logout_origin"


class CompanyOIDCBackend(OIDCAuthenticationBackend):
    """Authenticates the callback of a sign-in through the company's identity provider."""

    def __init__(self, *args, **kwargs):
        # The library reads one provider from the settings here; ours is per company (below).
        self.UserModel = get_user_model()

    def authenticate(self, request, **kwargs):
        """The signed-in user, or None (the reason is left in the session for the page)."""
        if request is None or "code" not in request.GET:
            return None
        provider = (
            IdentityProvider.objects.select_related("company")
            .filter(pk=request.session.get(PROVIDER_SESSION_KEY), enabled=True)
            .first()
        )
        if provider is None:
            return None
        try:
            self._use(provider)
            return super().authenticate(request, **kwargs)
        except SignInRefused as refused:
            logger.info("sso sign-in refused for %s: %s", provider.company.slug, refused.reason)
            request.session[REFUSAL_SESSION_KEY] = refused.reason
            return None
        except Exception:  # the provider's answer was unusable: refuse, never a 500
            logger.exception("sso sign-in failed for %s", provider.company.slug)
            request.session[REFUSAL_SESSION_KEY] = (
                "The identity provider's answer could not be used. Try again in a moment."
            )
            return None

    def _use(self, provider: IdentityProvider) -> None:
        discovery = oidc.discover(provider.issuer)
        self.provider = provider
        self.discovery = discovery
        self.OIDC_OP_TOKEN_ENDPOINT = discovery.token_endpoint
        self.OIDC_OP_USER_ENDPOINT = discovery.userinfo_endpoint
        self.OIDC_OP_JWKS_ENDPOINT = discovery.jwks_uri
        self.OIDC_RP_CLIENT_ID = provider.client_id
        self.OIDC_RP_CLIENT_SECRET = client_secret.decrypt(provider.client_secret_encrypted)
        if not self.OIDC_RP_CLIENT_SECRET:
            raise SignInRefused(_("Single sign-on is not set up completely. Ask your Manager."))

    def verify_token(self, token, **kwargs):
        """The ID token's claims after every check (sso.oidc.verify_id_token)."""
        return oidc.verify_id_token(
            token,
            discovery=self.discovery,
            client_id=self.provider.client_id,
            nonce=kwargs.get("nonce"),
        )

    def store_tokens(self, access_token, id_token):
        # The ID token is the hint for RP-initiated logout (sso.views.logout); the access
        # token is not kept.
        self.request.session[ID_TOKEN_SESSION_KEY] = id_token

    def get_userinfo(self, access_token, id_token, payload):
        """The ID token's claims, completed by the userinfo endpoint's for the same `sub`."""
        claims = dict(payload)
        if self.OIDC_OP_USER_ENDPOINT:
            extra = super().get_userinfo(access_token, id_token, payload)
            if isinstance(extra, dict) and extra.get("sub") == payload.get("sub"):
                claims = {**extra, **payload}
                for name in ("email", "email_verified", self.provider.groups_claim):
                    if name not in payload and name in extra:
                        claims[name] = extra[name]
        return claims

    def get_or_create_user(self, access_token, id_token, payload):
        claims = self.get_userinfo(access_token, id_token, payload)
        return commands.sign_in(provider=self.provider, claims=claims)

    def get_user(self, user_id):
        """The session's user, read exactly as a password login's (with its company; inactive
        users are nobody)."""
        return CompanyUserBackend().get_user(user_id)
