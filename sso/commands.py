"""Single sign-on's writes: a company's provider settings, and what a sign-in through the
provider does to the user (create, link, role from groups, refuse).

Each runs in one write transaction and appends its access events with the actor in their
metadata: a Manager (or the platform operator: no actor) for settings, the provider itself
("<name> (SSO)") for what a sign-in changes. Refusals of a person of the company are recorded
too (`SsoSignInRefused`); then `SignInRefused` is raised after the commit.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable

from django.contrib.auth.models import Group
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from accounts.authorization import actor_now
from accounts.commands import MANAGE_TEAM, end_sessions, record_user_event
from accounts.events import COMPANY_STREAM, UserAdded, UserRoleChanged
from accounts.exceptions import SSO_NOT_PERMITTED, InvalidAccessChange, TeamNotPermitted
from accounts.models import Company, PasswordLogin, Role, User
from events import store

from . import client_secret as secret_at_rest
from .events import IdentityProviderConfigured, SsoIdentityLinked, SsoSignInRefused
from .exceptions import SignInRefused
from .models import EmailDomain, ExternalIdentity, IdentityProvider
from .oidc import check_issuer_url

DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


@dataclasses.dataclass(frozen=True)
class ProviderActor:
    """The identity provider as the actor of the events a sign-in causes (no user row)."""

    name: str
    pk = None

    def get_username(self) -> str:
        return self.name


def configure_provider(
    *,
    actor,
    company: Company,
    name: str,
    issuer: str,
    client_id: str,
    client_secret: str | None,
    email_domains: Iterable[str],
    groups_claim: str,
    role_map: Iterable[tuple[str, str]],
    password_login: str,
    enabled: bool = True,
) -> IdentityProvider:
    """Set the company's identity provider (event `IdentityProviderConfigured`).

    `actor` is a Manager of `company` (permission `accounts.manage_team`) or None for the
    platform operator's command. `client_secret` None keeps the stored one. Raises
    `TeamNotPermitted`, or `InvalidAccessChange` (field -> messages) for an issuer that is not
    https, an e-mail domain that is malformed or another company's, an unknown role, a missing
    secret.
    """
    domains = sorted({d.strip().lower() for d in email_domains if d.strip()})
    pairs = [(g.strip(), r.strip()) for g, r in role_map if g.strip()]
    name, issuer, client_id = name.strip(), issuer.strip().rstrip("/"), client_id.strip()
    groups_claim = groups_claim.strip() or "groups"
    errors = _provider_errors(name, issuer, client_id, domains, pairs, password_login)
    with store.write_transaction():
        if actor is not None:  # decided on the actor as committed now (accounts.authorization)
            actor = actor_now(actor)
            if actor.company_id != company.pk or not actor.has_perm(MANAGE_TEAM):
                raise TeamNotPermitted(SSO_NOT_PERMITTED)
        provider = IdentityProvider.objects.filter(company=company).first()
        taken = EmailDomain.objects.filter(domain__in=domains).exclude(provider__company=company)
        if taken.exists():
            errors.setdefault("email_domains", []).append(
                gettext("Already used by another company: %(domains)s.")
                % {"domains": ", ".join(sorted(taken.values_list("domain", flat=True)))}
            )
        if provider is None and not client_secret:
            errors["client_secret"] = [gettext("The client secret is required.")]
        if errors:
            raise InvalidAccessChange(errors)
        provider = provider or IdentityProvider(company=company)
        provider.name, provider.issuer, provider.client_id = name, issuer, client_id
        provider.groups_claim, provider.role_map, provider.enabled = groups_claim, pairs, enabled
        if client_secret:
            provider.client_secret_encrypted = secret_at_rest.encrypt(client_secret)
        provider.save()
        provider.domains.exclude(domain__in=domains).delete()
        for domain in domains:
            EmailDomain.objects.get_or_create(domain=domain, provider=provider)
        company.password_login = password_login
        company.save(update_fields=["password_login"])
        store.append_at_end(
            company.pk,
            [
                IdentityProviderConfigured(
                    name=name,
                    issuer=issuer,
                    client_id=client_id,
                    email_domains=", ".join(domains),
                    groups_claim=groups_claim,
                    role_map=", ".join(f"{g}={r}" for g, r in pairs),
                    password_login=password_login,
                    enabled=enabled,
                    secret_changed=bool(client_secret),
                )
            ],
            company=company,
            actor=actor,
            stream_type=COMPANY_STREAM,
        )
    return provider


def _provider_errors(name, issuer, client_id, domains, pairs, password_login) -> dict:
    """What is wrong with a provider's settings on their own (field -> messages); the database's
    part (domains taken, the first secret) is checked in the writer."""
    errors: dict[str, list[str]] = {}
    try:
        check_issuer_url(issuer)
    except ValueError as error:
        errors["issuer"] = [str(error)]
    for field, value in (("name", name), ("client_id", client_id)):
        if not value:
            errors[field] = [gettext("This field is required.")]
    bad = [d for d in domains if not DOMAIN.match(d)]
    if bad or not domains:
        errors["email_domains"] = [
            gettext("Not an e-mail domain: %(domains)s.") % {"domains": ", ".join(bad)}
            if bad
            else gettext("Name at least one domain.")
        ]
    unknown = [role for _, role in pairs if role not in Role.values]
    if unknown:
        errors["role_map"] = [
            gettext("Unknown role %(roles)s: use %(known)s.")
            % {"roles": ", ".join(unknown), "known": ", ".join(Role.values)}
        ]
    if password_login not in PasswordLogin.values:
        errors["password_login"] = [
            gettext("Choose one of %(values)s.") % {"values": ", ".join(PasswordLogin.values)}
        ]
    return errors


def provider_for_email(email: str) -> IdentityProvider | None:
    """The enabled provider whose company owns the address's domain, or None."""
    domain = email.strip().lower().rpartition("@")[2]
    if not domain:
        return None
    found = EmailDomain.objects.select_related("provider__company").filter(domain=domain).first()
    if found is None or not found.provider.enabled:
        return None
    return found.provider


def sign_in(*, provider: IdentityProvider, claims: dict) -> User:
    """The user the provider's verified `claims` sign in, created or updated; raises
    SignInRefused (after recording it, for a person of the company).

    - The address (`email` claim, verified unless the provider says otherwise) must be in one of
      the company's domains.
    - The role is the first mapped group the person is in; none: no access (an existing user's
      roles are removed and their sessions end: the provider said they no longer belong).
    - A user deactivated in Ledgerline stays out, whatever the provider says.
    - First sign-in: the user is found by `sub` (then by e-mail within the company, and linked),
      or created with the mapped role.
    """
    email = str(claims.get("email") or "").strip().lower()
    if claims.get("email_verified") is False:
        raise SignInRefused(_("The identity provider has not verified your e-mail address."))
    if not provider.domains.filter(domain=email.rpartition("@")[2]).exists() or "@" not in email:
        raise SignInRefused(
            gettext("%(who)s does not belong to %(company)s's sign-in.")
            % {"who": email or gettext("Your account"), "company": provider.company.name}
        )
    groups = claims.get(provider.groups_claim) or []
    role = provider.role_for([groups] if isinstance(groups, str) else groups)
    actor = ProviderActor(provider.actor_name)
    refusal = None
    with store.write_transaction():
        user = _user_for(provider, str(claims["sub"]), email, actor)
        if user is None:
            if not role:
                raise SignInRefused(_shown(_no_group(provider)))
            return _provision(provider, claims, email, role, actor)
        if not user.is_active:
            refusal = (
                gettext_noop("Your Ledgerline account (%(username)s) is deactivated."),
                {"username": user.username},
            )
        elif not role:
            refusal = _no_group(provider)
            if user.groups.exists():
                _set_role(user, "", actor)
            end_sessions(user)
        else:
            if role != user.role:
                _set_role(user, role, actor)
            user.first_name = str(claims.get("given_name") or user.first_name)[:150]
            user.last_name = str(claims.get("family_name") or user.last_name)[:150]
            user.save(update_fields=["first_name", "last_name"])
        if refusal:
            # The log keeps the reason in the code's English; the person reads it translated.
            reason = refusal[0] % refusal[1]
            record_user_event(user, actor, SsoSignInRefused(username=user.username, reason=reason))
    if refusal:
        raise SignInRefused(_shown(refusal), audit=True)
    return user


def _no_group(provider: IdentityProvider) -> tuple[str, dict]:
    """(English message, its values): stored as English, shown translated (`_shown`)."""
    return (
        gettext_noop(
            "Your account at %(provider)s is in no group that gives access to Ledgerline. "
            "Ask your administrator to add you to one."
        ),
        {"provider": provider.name},
    )


def _shown(refusal: tuple[str, dict]) -> str:
    message, values = refusal
    return gettext(message) % values


def _user_for(provider, subject: str, email: str, actor) -> User | None:
    identity = (
        ExternalIdentity.objects.select_related("user")
        .filter(issuer=provider.issuer, subject=subject, user__company=provider.company)
        .first()
    )
    if identity is not None:
        return identity.user
    matches = list(User.objects.filter(company=provider.company, email__iexact=email)[:2])
    if len(matches) != 1:
        return None
    user = matches[0]
    ExternalIdentity.objects.filter(user=user).delete()  # a new subject replaces an old one
    ExternalIdentity.objects.create(user=user, issuer=provider.issuer, subject=subject)
    record_user_event(
        user, actor, SsoIdentityLinked(username=user.username, issuer=provider.issuer)
    )
    return user


def _provision(provider, claims: dict, email: str, role: str, actor) -> User:
    if User.objects.filter(username__iexact=email).exists():
        raise SignInRefused(
            gettext("An account named %(email)s already exists elsewhere. Ask your administrator.")
            % {"email": email}
        )
    user = User(
        username=email,
        email=email,
        first_name=str(claims.get("given_name") or "")[:150],
        last_name=str(claims.get("family_name") or "")[:150],
        company=provider.company,
    )
    user.set_unusable_password()
    user.save()
    user.groups.set([Group.objects.get(name=role)])
    ExternalIdentity.objects.create(user=user, issuer=provider.issuer, subject=str(claims["sub"]))
    record_user_event(
        user,
        actor,
        UserAdded(
            username=user.username,
            first_name=user.first_name,
            last_name=user.last_name,
            email=user.email,
            role=role,
        ),
    )
    return user


def _set_role(user: User, role: str, actor) -> None:
    before = user.role
    user.groups.set([Group.objects.get(name=role)] if role else [])
    user.__dict__.pop("role", None)
    record_user_event(
        user, actor, UserRoleChanged(username=user.username, from_role=before, to_role=role)
    )
