"""The only way to change who has access to a company: create it, add users, change roles,
deactivate and reactivate them, issue set-password links.

Each command runs in one write transaction: check the actor may manage the team (the
`accounts.manage_team` permission, company-scoped: another company's user is `UserNotFound`),
validate, change the `User` rows and group memberships, and append exactly one event to the
user's (or company's) stream with the actor in its metadata (`accounts/events.py`). So the audit
log says who gave whom which role and when. Any failure raises an `AccessError` and writes
nothing. Permissions are read afresh on every request (contrib.auth), so a role change applies
from the affected user's next request; the actor's own permission is decided inside the write
transaction from the database (`authorization.actor_now`), never from its request's cache.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import secrets
import uuid

import pycountry
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext
from django.utils.translation import gettext as _

from common.typed_input import InputError, clean_text
from events import store
from outbox import engine

from .authorization import actor_now
from .events import (
    COMPANY_STREAM,
    USER_STREAM,
    ApiKeyCreated,
    ApiKeyRevoked,
    CompanyCreated,
    CompanyTimeZoneChanged,
    InvitationRevoked,
    PasswordLinkIssued,
    UserAdded,
    UserDeactivated,
    UserReactivated,
    UserRoleChanged,
)
from .exceptions import (
    API_KEYS_NOT_PERMITTED,
    ApiKeyNotFound,
    InvalidAccessChange,
    LastManager,
    TeamNotPermitted,
    UserNotFound,
)
from .models import (
    ApiKey,
    Company,
    Role,
    User,
    UserSession,
    roles_label,
    validate_time_zone,
)
from .tokens import password_link_tokens

logger = logging.getLogger("ledgerline.accounts")

MANAGE_TEAM = "accounts.manage_team"


@dataclasses.dataclass(frozen=True)
class PasswordLink:
    """A one-time set-password link: `url` (absolute when a site address is known, else the
    path), and the address it was e-mailed to ("" when e-mail is not configured)."""

    user: User
    url: str
    emailed_to: str


def email_configured() -> bool:
    """Whether links are e-mailed: `EMAIL_HOST` is set (settings)."""
    return bool(settings.EMAIL_HOST)


# ISO 4217 codes that are no money: no currency (XXX), testing (XTS), precious metals, and
# supranational accounting units (SDR, bond-market and regional units). XAF, XOF, XCD, XPF
# are real currencies and stay.
NOT_MONEY = frozenset(
    {"XXX", "XTS", "XAU", "XAG", "XPD", "XPT", "XDR", "XBA", "XBB", "XBC", "XBD", "XSU", "XUA"}
)


def create_company(
    *,
    name: str,
    slug: str,
    currency: str,
    manager_username: str,
    manager_email: str,
    site_url: str = "",
    time_zone: str = "UTC",
) -> PasswordLink:
    """Create a company and its first Manager (no password yet) and issue a set-password link.

    Events: `CompanyCreated` (company stream), `UserAdded` and `PasswordLinkIssued` (the
    manager's stream), recorded by "system" (an operator's command). Raises
    `InvalidAccessChange` (field -> messages) for a duplicate name or slug, a currency code that
    is not ISO 4217, an unknown time zone, an existing or invalid username, an invalid e-mail
    address. A zone other than UTC is recorded as `CompanyTimeZoneChanged` after the creation.
    """
    currency = currency.strip().upper()
    time_zone = (time_zone or "").strip()
    company = Company(
        name=name.strip(), slug=slug.strip().lower(), currency=currency, time_zone=time_zone
    )
    errors = {**_validation_errors(company), **_text_errors(company, ("name",))}
    if "__all__" in errors:  # the slug's any-case constraint: say it on the slug
        errors.setdefault("slug", []).extend(errors.pop("__all__"))
    if pycountry.currencies.get(alpha_3=currency) is None:
        errors.setdefault("currency", []).append(
            f"{currency!r} is not an ISO 4217 currency code (e.g. EUR, USD, GBP)."
        )
    elif currency in NOT_MONEY:
        errors.setdefault("currency", []).append(
            f"{currency!r} is not a currency orders can be priced in "
            "(ISO 4217 lists it for no currency, tests, metals or accounting units)."
        )
    manager = User(username=manager_username.strip(), email=manager_email.strip())
    manager.set_unusable_password()
    errors.update(_user_errors(manager))
    for field, messages in _namespace_errors(company.slug, manager.username).items():
        errors.setdefault(field, []).extend(messages)
    if errors:
        raise InvalidAccessChange(errors)
    with store.write_transaction():
        company.save()
        manager.company = company
        manager.save()
        manager.groups.set([Group.objects.get(name=Role.MANAGER.value)])
        store.append(
            company.pk,
            0,
            [CompanyCreated(name=company.name, slug=company.slug, currency=company.currency)],
            company=company,
            stream_type=COMPANY_STREAM,
        )
        if company.time_zone != "UTC":
            _append_company_zone(company, None)
        record_user_event(manager, None, _added(manager, Role.MANAGER))
        link = _issue_link(manager, None, site_url)
    return link


def add_user(
    *,
    actor,
    username: str,
    first_name: str,
    last_name: str,
    email: str,
    role: str,
    site_url: str = "",
) -> PasswordLink:
    """Add a user with `role` to the actor's company and issue its set-password link. The
    username is in the company's namespace (`in_namespace`), so whether it is taken says
    nothing about other companies (issue #24 item 10).

    Events `UserAdded` then `PasswordLinkIssued`. Raises `TeamNotPermitted`, or
    `InvalidAccessChange` for a taken or invalid username, an invalid e-mail, an unknown role.
    """
    with store.write_transaction():
        actor = _check_actor(actor)
        role = _role(role)
        user = User(
            username=in_namespace(actor.company.slug, username),
            first_name=first_name.strip(),
            last_name=last_name.strip(),
            email=email.strip(),
            company_id=actor.company_id,
        )
        user.set_unusable_password()
        errors = _user_errors(user)
        if errors:
            raise InvalidAccessChange(errors)
        user.save()
        user.groups.set([Group.objects.get(name=role.value)])
        record_user_event(user, actor, _added(user, role))
        link = _issue_link(user, actor, site_url)
    return link


def change_role(*, actor, user_id, role: str) -> User:
    """Give the user `role` instead of its current roles (event `UserRoleChanged`).

    Raises `TeamNotPermitted`, `UserNotFound`, `InvalidAccessChange` (unknown role, or the role
    it already has), `LastManager` (it would leave no active Manager).
    """
    with store.write_transaction():
        actor = _check_actor(actor)
        user = _team_member(actor, user_id)  # first: another company's user is a 404, whatever
        role = _role(role)
        before = user.role
        if before == role.value:
            raise _refusal(
                gettext("%(username)s is already %(role)s."), user, "role", role=role.label
            )
        if role != Role.MANAGER:
            _keep_a_manager(user)
        user.groups.set([Group.objects.get(name=role.value)])
        user.__dict__.pop("role", None)  # the cached display of its roles
        changed = UserRoleChanged(username=user.username, from_role=before, to_role=role.value)
        record_user_event(user, actor, changed)
    return user


def deactivate_user(*, actor, user_id) -> User:
    """Deactivate the user and end its sessions at once (event `UserDeactivated`).

    Raises `TeamNotPermitted`, `UserNotFound`, `InvalidAccessChange` (already inactive),
    `LastManager`.
    """
    with store.write_transaction():
        actor = _check_actor(actor)
        user = _team_member(actor, user_id)
        if not user.is_active:
            raise _refusal(gettext("%(username)s is already deactivated."), user)
        _keep_a_manager(user)
        user.is_active = False
        user.save(update_fields=["is_active"])
        ended = end_sessions(user)
        record_user_event(
            user, actor, UserDeactivated(username=user.username, sessions_ended=ended)
        )
    return user


def reactivate_user(*, actor, user_id) -> User:
    """Let a deactivated user log in again (event `UserReactivated`).

    Raises `TeamNotPermitted`, `UserNotFound`, `InvalidAccessChange` (already active).
    """
    with store.write_transaction():
        actor = _check_actor(actor)
        user = _team_member(actor, user_id)
        if user.is_active:
            raise _refusal(gettext("%(username)s is already active."), user)
        user.is_active = True
        user.save(update_fields=["is_active"])
        record_user_event(user, actor, UserReactivated(username=user.username))
    return user


def issue_password_link(*, actor, user_id, site_url: str = "") -> PasswordLink:
    """A new one-time set-password link for an active user (event `PasswordLinkIssued`; the
    user's older links are void from then on), e-mailed when e-mail is configured. For a user
    who already has a password the link only ever goes to their own address: without e-mail
    it is refused, never shown to the actor. Raises `TeamNotPermitted`, `UserNotFound`,
    `InvalidAccessChange` (deactivated user; a password and no e-mail)."""
    with store.write_transaction():
        actor = _check_actor(actor)
        user = _team_member(actor, user_id)
        if not user.is_active:
            message = gettext("%(username)s is deactivated: reactivate the account first.")
            raise _refusal(message, user)
        link = _issue_link(user, actor, site_url)
    return link


def unlock_user(*, actor, user_id) -> User:
    """Lift the login throttle's lock on a team member now, instead of after the cool-off
    (django-axes' failure records for the username, from every address, are cleared; event
    `UserUnlocked` on the user's sign-in stream, so set-password links stay valid). An
    address-wide lock (`login_throttle`) is the address's, not the user's, and stays.

    Raises `TeamNotPermitted`, `UserNotFound`, `InvalidAccessChange` (not locked out).
    """
    from axes.utils import reset  # axes' models: not importable before the apps load

    from . import sign_ins

    with store.write_transaction():
        actor = _check_actor(actor)
        user = _team_member(actor, user_id)
        if user.username not in sign_ins.locked_out_usernames([user.username]):
            raise _refusal(gettext("%(username)s is not locked out."), user)
        cleared = reset(username=user.username)
        sign_ins.unlocked(user, actor=actor, attempts=cleared)
    return user


def revoke_invitation(*, actor, user_id) -> User:
    """Withdraw the invitation of a user who never set a password: deactivate the account,
    which voids its links (event `InvitationRevoked`). Raises `TeamNotPermitted`,
    `UserNotFound`, `InvalidAccessChange` (already has a password, or deactivated)."""
    with store.write_transaction():
        actor = _check_actor(actor)
        user = _team_member(actor, user_id)
        if user.has_usable_password():
            message = gettext("%(username)s has set a password: deactivate the account instead.")
            raise _refusal(message, user)
        if not user.is_active:
            raise _refusal(gettext("%(username)s is already deactivated."), user)
        user.is_active = False
        user.save(update_fields=["is_active"])
        record_user_event(user, actor, InvitationRevoked(username=user.username))
    return user


API_KEY_PREFIX = "llk_"


@dataclasses.dataclass(frozen=True)
class IssuedApiKey:
    """A new API key: `secret` is the key itself, shown once and never stored."""

    api_key: ApiKey
    secret: str


def api_key_hash(secret: str) -> str:
    """The stored form of a key: its SHA-256, hex (the key holds 256 random bits)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def create_api_key(*, actor, name: str, role: str, company: Company | None = None) -> IssuedApiKey:
    """Issue an API key named `name` with `role` for the actor's company (event `ApiKeyCreated`
    on the key user's stream). `actor` None is the operator (`manage.py create_api_key`), who
    names the `company`. The key acts as a user of the company that cannot log in.

    Raises `TeamNotPermitted`, `InvalidAccessChange` (empty or taken name, unknown role).
    """
    with store.write_transaction():
        if actor is not None:
            _check_actor(actor, API_KEYS_NOT_PERMITTED)
            company = actor.company
        role = _role(role)
        name = name.strip()
        if not name or len(name) > 100:
            raise InvalidAccessChange(
                {"name": [gettext("Give the key a name of 1 to 100 characters.")]}
            )
        if ApiKey.objects.filter(company=company, name=name).exists():
            raise InvalidAccessChange(
                {"name": [gettext("There is already a key named %(name)r.") % {"name": name}]}
            )
        secret = API_KEY_PREFIX + secrets.token_urlsafe(32)
        user = User(username=f"apikey-{secrets.token_hex(8)}", company=company)
        user.set_unusable_password()
        user.save()
        user.groups.set([Group.objects.get(name=role.value)])
        api_key = ApiKey.objects.create(
            company=company,
            user=user,
            name=name,
            prefix=secret[:12],
            key_hash=api_key_hash(secret),
            created_at=timezone.now(),
        )
        record_user_event(
            user, actor, ApiKeyCreated(name=name, role=role.value, prefix=api_key.prefix)
        )
    return IssuedApiKey(api_key=api_key, secret=secret)


def revoke_api_key(*, actor, key_id) -> ApiKey:
    """Revoke a key of the actor's company: it stops working at once (event `ApiKeyRevoked`).

    Raises `TeamNotPermitted`, `ApiKeyNotFound` (also another company's key), `InvalidAccessChange`
    (already revoked).
    """
    with store.write_transaction():
        _check_actor(actor, API_KEYS_NOT_PERMITTED)
        try:
            api_key = ApiKey.objects.select_related("user").get(
                company_id=actor.company_id, pk=key_id
            )
        except (ApiKey.DoesNotExist, ValidationError, ValueError, TypeError):
            raise ApiKeyNotFound() from None
        if api_key.revoked_at is not None:
            raise InvalidAccessChange(
                {"": [gettext("The key %(name)r is already revoked.") % {"name": api_key.name}]}
            )
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
        api_key.user.is_active = False
        api_key.user.save(update_fields=["is_active"])
        record_user_event(
            api_key.user, actor, ApiKeyRevoked(name=api_key.name, prefix=api_key.prefix)
        )
    return api_key


RESET_REQUEST = "password_reset_request"


def request_password_reset(*, email: str) -> None:
    """The login page's "forgot your password": owe the worker a look-up of `email` (one
    outbox row under `outbox.engine.PLATFORM`, since an address names no company), in the
    request's transaction. The request does the same work whether or not the address is known,
    and never waits for a mail server (issue #24 item 10); `issue_reset_links` does the rest."""
    engine.enqueue(
        "notifier",
        company_id=engine.PLATFORM,
        key=f"password-reset:{uuid.uuid4()}",
        data={"kind": RESET_REQUEST, "email": email.strip()},
    )


def issue_reset_links(*, email: str, request_key: str) -> int:
    """Run by the worker for a reset request: a new link for each active user whose address is
    `email` (case-insensitively), owed to the notifier for that address: a reset for a user who
    has a password, an invitation for one who never set one (its first link expired). Each is a
    `PasswordLinkIssued` by "system", which voids the user's older links. A request delivered
    again (a crash before it was recorded done) issues nothing twice: the owed mail's key is
    derived from the request's. Returns how many links were issued."""
    wanted = email.strip().casefold()
    candidates = User.objects.filter(email__iexact=email.strip(), is_active=True)
    issued = 0
    for user_id in [u.pk for u in candidates if u.email.casefold() == wanted]:
        with store.write_transaction():
            user = User.objects.select_related("company").filter(pk=user_id).first()
            if user is None or not user.is_active or not user.email or user.company_id is None:
                continue
            link = PasswordLink(user=user, url="", emailed_to=user.email)
            if not _owe_link(link, key=f"{request_key}:{user.pk}"):
                continue
            record_user_event(
                user, None, PasswordLinkIssued(username=user.username, emailed_to=user.email)
            )
        issued += 1
    return issued


def operator_password_link(*, company_slug: str, username: str, site_url: str = "") -> PasswordLink:
    """A new set-password link issued by the platform operator (`manage.py
    issue_password_link`), by "system": for a user who has a password only e-mailed to their
    own address (as for a Manager). Raises `UserNotFound` (no such active user in that
    company), `InvalidAccessChange` (a password and no e-mail)."""
    with store.write_transaction():
        user = User.objects.filter(
            company__slug=company_slug, username=username, is_active=True
        ).first()
        if user is None:
            raise UserNotFound()
        link = _issue_link(user, None, site_url)
    return link


def end_sessions(user) -> int:
    """Delete every database session of `user` (its browsers are signed out at once); returns
    how many were unexpired.

    Reads only `user`'s sessions (`UserSession.user_id`, indexed): the work does not grow with
    anyone else's sessions (GUIDE invariant 6). Django's `get_user` would refuse an inactive
    user on the next request anyway; this also ends the sessions of a user who stays active
    (single sign-on removing their role), and a reactivated user's old browsers stay signed out.
    """
    sessions = UserSession.objects.filter(user_id=user.pk)
    ended = sessions.filter(expire_date__gt=timezone.now()).count()
    sessions.delete()
    return ended


def password_link_path(user, view: str = "set_password") -> str:
    """The path of a one-time link to set `user`'s password: Django's `PasswordResetConfirmView`
    with a `tokens.password_link_tokens` token, valid until the password changes,
    `PASSWORD_RESET_TIMEOUT` passes or anything is appended to the user's stream."""
    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    token = password_link_tokens.make_token(user)
    return reverse(view, kwargs={"uidb64": uidb64, "token": token})


# --- time zone and language (issue #29) ----------------------------------------------------


def set_company_time_zone(*, actor, time_zone: str) -> Company:
    """Set the actor's company's time zone (an IANA name: "Europe/Berlin"). Every time shown
    to its users who chose none, its dashboard's days and its digest hour follow it; the log's
    instants stay UTC, so nothing recorded changes. A Manager's (`accounts.manage_team`).

    Event: `CompanyTimeZoneChanged` on the company stream (none when the zone is the same).
    Raises `TeamNotPermitted`, or `InvalidAccessChange` ({"time_zone": [...]}) for an
    unknown zone.
    """
    time_zone = (time_zone or "").strip()
    with store.write_transaction():
        actor = _check_actor(actor)
        company = Company.objects.get(pk=actor.company_id)
        _check_time_zone(time_zone, required=True)
        if company.time_zone == time_zone:
            return company
        company.time_zone = time_zone
        company.save(update_fields=["time_zone"])
        _append_company_zone(company, actor)
    return company


def set_locale_preferences(*, user, language: str, time_zone: str) -> User:
    """Store `user`'s own language ("" = the browser's) and time zone ("" = the company's),
    from "My settings". Not events: a person's display settings, not facts about orders or
    access, and nobody else may change them (as notification choices). Raises
    `InvalidAccessChange` (field -> messages) for a language not offered or an unknown zone."""
    language, time_zone = (language or "").strip(), (time_zone or "").strip()
    errors = {}
    if language and language not in dict(settings.LANGUAGES):
        errors["language"] = [
            _("Choose one of: %(codes)s.") % {"codes": ", ".join(dict(settings.LANGUAGES))}
        ]
    try:
        _check_time_zone(time_zone, required=False)
    except InvalidAccessChange as error:
        errors.update(error.errors)
    if errors:
        raise InvalidAccessChange(errors)
    User.objects.filter(pk=user.pk).update(language=language, time_zone=time_zone)
    user.language, user.time_zone = language, time_zone
    return user


def _check_time_zone(time_zone: str, *, required: bool) -> None:
    if not time_zone and not required:
        return
    try:
        validate_time_zone(time_zone or "-")
    except ValidationError as error:
        raise InvalidAccessChange({"time_zone": list(error.messages)}) from None


def _append_company_zone(company: Company, actor) -> None:
    store.append_at_end(
        company.pk,
        [CompanyTimeZoneChanged(time_zone=company.time_zone)],
        company=company,
        actor=actor,
        stream_type=COMPANY_STREAM,
    )


# --- internals ------------------------------------------------------------------------------


def _refusal(message: str, user: User, field: str = "", **params) -> InvalidAccessChange:
    """A change refused about `user` (`message` names them as %(username)s), on `field` ("":
    the request as a whole)."""
    return InvalidAccessChange({field: [message % {"username": user.username, **params}]})


def _check_actor(actor, refusal: str = ""):
    """The actor as committed now (`actor_now`, inside the writer transaction) if it may manage
    its company's team; else raise `TeamNotPermitted`."""
    actor = actor_now(actor)
    if actor.company_id is None or not actor.has_perm(MANAGE_TEAM):
        raise TeamNotPermitted(refusal)
    return actor


def _team_member(actor, user_id) -> User:
    try:
        # An API key's user is managed on the keys page, not as a team member.
        user = User.objects.filter(
            company_id=actor.company_id, pk=user_id, api_key__isnull=True
        ).first()
    except (ValidationError, ValueError, TypeError):
        user = None
    if user is None:
        raise UserNotFound()
    return user


def _role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise InvalidAccessChange(
            {"role": [gettext("Choose a role: %(roles)s.") % {"roles": roles_label(Role.values)}]}
        ) from None


def _keep_a_manager(user: User) -> None:
    """Raise LastManager if `user` is its company's only active Manager."""
    if not user.is_active or not user.groups.filter(name=Role.MANAGER.value).exists():
        return
    others = User.objects.filter(
        company_id=user.company_id,
        is_active=True,
        groups__name=Role.MANAGER.value,
        api_key__isnull=True,  # a key cannot manage the team from a browser
    ).exclude(pk=user.pk)
    if not others.exists():
        raise LastManager(user.username)


def in_namespace(slug: str, username: str) -> str:
    """`username` in the company's namespace: `<slug>.<name>`, the prefix added when missing.
    A Manager adds users only there, so a name a Manager is refused is one its own company has
    (the team page lists it), never another company's."""
    username = username.strip()
    return username if username.startswith(f"{slug}.") else f"{slug}.{username}"


def _namespace_errors(slug: str, username: str) -> dict[str, list[str]]:
    """For a new company: its namespace (`<slug>.…`) must hold no user yet, and its first
    Manager's name must not be in another company's namespace."""
    errors: dict[str, list[str]] = {}
    if slug and User.objects.filter(username__istartswith=f"{slug}.").exists():
        errors["slug"] = [f"Usernames beginning with {slug!r}. exist: choose another slug."]
    prefix = username.split(".", 1)[0] if "." in username else ""
    others = Company.objects.filter(slug__iexact=prefix).exclude(slug__iexact=slug)
    if prefix and others.exists():
        errors["username"] = [f"{prefix!r}. names belong to another company's users."]
    return errors


def _validation_errors(instance) -> dict[str, list[str]]:
    try:
        instance.full_clean()
    except ValidationError as error:
        return {field: list(messages) for field, messages in error.message_dict.items()}
    return {}


def _text_errors(instance, fields: tuple[str, ...]) -> dict[str, list[str]]:
    """Put `fields` of `instance` in NFC; messages for those holding a control character
    (`typed_input.clean_text`: the same rule as every other text path into the log)."""
    errors: dict[str, list[str]] = {}
    for field in fields:
        try:
            setattr(instance, field, clean_text(getattr(instance, field)))
        except InputError as error:
            errors[field] = [str(error)]
    return errors


def _user_errors(user: User) -> dict[str, list[str]]:
    errors = {
        field: messages
        for field, messages in _validation_errors(user).items()
        if field not in ("password", "company")
    }
    errors.update(_text_errors(user, ("username", "first_name", "last_name", "email")))
    if not user.email:
        errors.setdefault("email", []).append(
            gettext("An e-mail address is required for the link.")
        )
    return errors


def _added(user: User, role: Role) -> UserAdded:
    return UserAdded(
        username=user.username,
        first_name=user.first_name,
        last_name=user.last_name,
        email=user.email,
        role=role.value,
    )


def record_user_event(user: User, actor, event) -> None:
    """Append `event` to `user`'s stream, by `actor` (None: the system)."""
    store.append_at_end(
        user.pk,
        [event],
        company=user.company_id,
        actor=actor,
        stream_type=USER_STREAM,
    )


def _issue_link(user: User, actor, site_url: str) -> PasswordLink:
    """Record a new link (which voids the older ones: `tokens`), then make it. A user who has
    a password gets it only at their own address: no address to send it to is a refusal."""
    emailed_to = user.email if email_configured() else ""
    if user.has_usable_password() and not emailed_to:
        raise InvalidAccessChange(
            {
                "": [
                    gettext(
                        "%(username)s already has a password: a new link goes only to their "
                        "own e-mail address, and e-mail is not configured. They can reset it "
                        "from the login page once it is."
                    )
                    % {"username": user.username}
                ]
            }
        )
    record_user_event(
        user, actor, PasswordLinkIssued(username=user.username, emailed_to=emailed_to)
    )
    url = site_url.rstrip("/") + password_link_path(user)  # after the event: it binds the token
    link = PasswordLink(user=user, url=url, emailed_to=emailed_to)
    _owe_link(link)
    return link


def _owe_link(link: PasswordLink, *, key: str = "") -> bool:
    """Owe the notifier the link's mail, in the caller's transaction (the worker sends it, with
    retries, after the commit; docs/worker.md), if it is to be e-mailed. The worker makes the
    link when it sends, so the mail carries the newest. False if `key` was owed already."""
    if not link.emailed_to:
        return False
    user = link.user
    purpose = "reset" if user.has_usable_password() else "invitation"
    return (
        engine.enqueue(
            "notifier",
            company_id=user.company_id,
            key=key or f"password-link:{uuid.uuid4()}",
            data={"kind": "password_link", "user_id": str(user.pk), "purpose": purpose},
            stream_id=user.pk,
        )
        is not None
    )
