"""Access events of single sign-on, on the company's stream (the provider's configuration) and
on users' streams (provisioning reuses accounts' `UserAdded` and `UserRoleChanged`)."""

from __future__ import annotations

import dataclasses

from django.utils.translation import gettext_lazy as _

from events.registry import DomainEvent, register


@register
@dataclasses.dataclass(frozen=True, kw_only=True)
class IdentityProviderConfigured(DomainEvent):
    """The company's sign-in settings as they are from now on. Never the client secret: only
    whether it changed."""

    label = _("Sign-in settings changed")
    detail_fields = ("name", "issuer", "client_id", "email_domains", "password_login")
    name: str
    issuer: str
    client_id: str
    email_domains: str  # comma-separated
    groups_claim: str
    role_map: str  # "group=Role, group=Role" in order
    password_login: str
    enabled: bool
    secret_changed: bool


@register
@dataclasses.dataclass(frozen=True, kw_only=True)
class SsoIdentityLinked(DomainEvent):
    """An existing user signed in through the provider for the first time (matched by e-mail)."""

    label = _("Linked to the identity provider")
    username: str
    issuer: str


@register
@dataclasses.dataclass(frozen=True, kw_only=True)
class SsoSignInRefused(DomainEvent):
    """The provider vouched for a person of the company whom Ledgerline did not let in."""

    label = _("Single sign-on refused")
    username: str
    reason: str
