"""What happened to a company's access: past-tense facts, appended to the event log.

Company facts go on the company's stream (stream_type "company", stream id = company id), a
user's on the user's stream (stream_type "user", stream id = user id). The actor (who gave whom
which role) is in every event's metadata, as for orders. A payload never holds a secret: a
password link is recorded as issued, never its token.
"""

from __future__ import annotations

import dataclasses

from django.utils.translation import gettext_lazy as _

from events.registry import DomainEvent, register

COMPANY_STREAM = "company"
ROLE_FIELDS = frozenset({"role", "from_role", "to_role"})


class _ShowsRoles:
    """The log shows a stored role ("Staff", or "Staff, Ops") as users read it."""

    def shown_value(self, field_name: str, value):
        if field_name not in ROLE_FIELDS or not value:
            return value
        from .models import roles_label

        return roles_label(str(value))


USER_STREAM = "user"
SIGN_IN_STREAM = "sign_in"


@register
@dataclasses.dataclass(frozen=True, kw_only=True)
class CompanyCreated(DomainEvent):
    label = _("Company created")
    name: str
    slug: str
    currency: str


@register
@dataclasses.dataclass(frozen=True, kw_only=True)
class UserAdded(_ShowsRoles, DomainEvent):
    label = _("User added")
    username: str
    first_name: str
    last_name: str
    email: str
    role: str


@register
@dataclasses.dataclass(frozen=True, kw_only=True)
class UserRoleChanged(_ShowsRoles, DomainEvent):
    label = _("Role changed")
    username: str
    from_role: str  # the user's roles before, comma-separated ("" for none)
    to_role: str


@register
@dataclasses.dataclass(frozen=True, kw_only=True)
class UserDeactivated(DomainEvent):
    label = _("User deactivated")
    username: str
    sessions_ended: int


@register
@dataclasses.dataclass(frozen=True, kw_only=True)
class UserReactivated(DomainEvent):
    label = _("User reactivated")
    username: str


@register
@dataclasses.dataclass(frozen=True, kw_only=True)
class PasswordLinkIssued(DomainEvent):
    label = _("Set-password link issued")
    username: str
    emailed_to: str  # the address it was e-mailed to; "" when only shown to the actor


@register
@dataclasses.dataclass(frozen=True, kw_only=True)
class ApiKeyCreated(_ShowsRoles, DomainEvent):
    """On the key user's stream. Never the key: only its first characters (`prefix`)."""

    label = _("API key created")
    name: str
    role: str
    prefix: str


@register
@dataclasses.dataclass(frozen=True, kw_only=True)
class ApiKeyRevoked(DomainEvent):
    label = _("API key revoked")
    name: str
    prefix: str


@register
@dataclasses.dataclass(frozen=True, kw_only=True)
class CompanyTimeZoneChanged(DomainEvent):
    """The company's time zone (issue #29): times are shown and days counted in it from now on;
    the log's instants stay UTC, so nothing recorded changes."""

    label = _("Company time zone changed")
    time_zone: str


# --- sign-ins (issue #32): on the user's sign-in stream (`SIGN_IN_STREAM`), not the user's
# own stream, whose version binds the set-password links (`tokens`): a stranger's typos must not
# void an invitation.


@register
@dataclasses.dataclass(frozen=True, kw_only=True)
class UserSignedIn(DomainEvent):
    """A successful sign-in; the actor is the user. `method`: "password" or "single sign-on"."""

    label = _("Signed in")
    username: str
    method: str


@register
@dataclasses.dataclass(frozen=True, kw_only=True)
class UserSignInsFailed(DomainEvent):
    """A burst of failed sign-ins with the user's username (`accounts.sign_ins`: one entry per
    burst, recorded when it closes; the event's time is the first failure). Never the password
    typed, nor the address."""

    label = _("Failed sign-ins")
    username: str
    failures: int
    first_at: str  # ISO 8601, UTC
    last_at: str


@register
@dataclasses.dataclass(frozen=True, kw_only=True)
class UserLockedOut(DomainEvent):
    """The login throttle (django-axes) locked the username out. `scope`: "user" (too many
    failures for this username from one address) or "address" (too many from the address with
    any usernames); `minutes`: how long the lock lasts."""

    label = _("Locked out")
    username: str
    scope: str
    minutes: int


@register
@dataclasses.dataclass(frozen=True, kw_only=True)
class UserUnlocked(DomainEvent):
    """A Manager lifted the login throttle's lock on a colleague (sign-in stream); `attempts`:
    how many locked username+address pairs it cleared."""

    label = _("Unlocked")
    username: str
    attempts: int


@register
@dataclasses.dataclass(frozen=True, kw_only=True)
class InvitationRevoked(DomainEvent):
    """A Manager withdrew the invitation of a user who never set a password: the account is
    deactivated and its links are void (user stream)."""

    label = _("Invitation revoked")
    username: str
