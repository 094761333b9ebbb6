"""Two real OpenID Connect providers (Acme's and Globex's) for the whole SSO test session, and
Acme's provider configured in Ledgerline for each test."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from accounts.models import Role
from sso import commands
from tests import factories

from .provider import ProviderProcess

CALLBACK = "http://testserver/sso/callback/"
ACME_CLIENT = ("ledgerline-acme", "acme-client-secret-0123456789")
ROLE_MAP = [
    ("ledgerline-managers", "Manager"),
    ("ledgerline-staff", "Staff"),
    ("auditors", "Auditor"),
]


@pytest.fixture(scope="session")
def acme_idp(tmp_path_factory):
    provider = ProviderProcess(tmp_path_factory.mktemp("acme-idp"))
    provider.client(*ACME_CLIENT, [CALLBACK], ["http://testserver/accounts/login/"])
    provider.client("another-app", "another-secret-0123456789", [CALLBACK])
    yield provider
    provider.stop()


@pytest.fixture(scope="session")
def globex_idp(tmp_path_factory):
    provider = ProviderProcess(tmp_path_factory.mktemp("globex-idp"))
    provider.client(*ACME_CLIENT, [CALLBACK])  # the same client id at another issuer
    yield provider
    provider.stop()


@pytest.fixture(autouse=True)
def _fresh_discovery():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def acme_sso(acme, acme_idp):
    """Acme signs in through its provider (domain acme.example); returns the provider row."""
    return commands.configure_provider(
        actor=None,
        company=acme,
        name="Acme IdP",
        issuer=acme_idp.issuer,
        client_id=ACME_CLIENT[0],
        client_secret=ACME_CLIENT[1],
        email_domains=["acme.example"],
        groups_claim="groups",
        role_map=ROLE_MAP,
        password_login="everyone",
    )


@pytest.fixture
def acme_manager(acme):
    return factories.user(Role.MANAGER, acme)
