"""Tenancy: every user belongs to one company and sees only that company's data."""

import uuid
import zoneinfo
from collections.abc import Iterable
from functools import cached_property
from importlib import import_module

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.sessions.base_session import AbstractBaseSession
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from common.models import UUIDModel


def validate_time_zone(value: str) -> None:
    """An IANA zone name this machine knows ("Europe/Berlin"); "" is allowed where blank is."""
    if value and value not in zoneinfo.available_timezones():
        raise ValidationError(
            _("Unknown time zone %(value)s: use an IANA name such as Europe/Berlin."),
            params={"value": value},
        )


class PasswordLogin(models.TextChoices):
    """Who of a company may log in with a password (single sign-on is the other way in)."""

    EVERYONE = "everyone", _("Everyone")
    MANAGERS = "managers", _("Managers only (a break-glass account)")
    NOBODY = "nobody", _("Nobody: single sign-on only")


class Company(UUIDModel):
    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=50, unique=True)
    currency = models.CharField(
        max_length=3,
        default="EUR",
        validators=[RegexValidator(r"^[A-Z]{3}$", "Use a three-letter ISO 4217 code, e.g. EUR.")],
        help_text=_("ISO 4217 currency code of all the company's orders."),
    )
    password_login = models.CharField(
        max_length=10, choices=PasswordLogin.choices, default=PasswordLogin.EVERYONE
    )
    # Issue #29: every time shown to the company's users is in this zone unless a user chose
    # their own; events keep UTC instants.
    time_zone = models.CharField(
        max_length=64,
        default="UTC",
        validators=[validate_time_zone],
        help_text=_("IANA time zone of the company (Europe/Berlin)."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "companies"
        constraints = [
            # Order numbers are the slug in capitals (ACME-000042): `ACME` beside `acme` would
            # number alike, so slugs are unique whatever their case (issue #24 §5).
            models.UniqueConstraint(
                Lower("slug"),
                name="company_slug_unique_any_case",
                violation_error_message=_("A company with this slug already exists (in any case)."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    """The built-in roles, each a Django group of the same name (created by a data migration).

    A role is only the group that holds permissions (granted in `orders/permissions.py`): views,
    navigation and commands ask for permissions, never for a role, so a new group with the right
    permissions works like these.
    """

    STAFF = "Staff", _("Staff")
    MANAGER = "Manager", _("Manager")
    AUDITOR = "Auditor", _("Auditor")
    OPS = "Ops", _("Ops")


def role_label(name: str) -> str:
    """A role's (group's) name as users read it, in the active language; a group that is not a
    built-in role keeps its own name."""
    return str(Role(name).label) if name in Role.values else name


def roles_label(roles: str | Iterable[str]) -> str:
    """Roles as users read them: each name in the active language (`role_label`), in the given
    order, joined by ", ". `roles` is a stored, comma-separated text ("Ops, Staff": `User.role`,
    a log's `from_role`) or the names; "Ops, Staff" -> "Betrieb, Mitarbeiter" in German; '' for
    none."""
    names = roles.split(",") if isinstance(roles, str) else roles
    return ", ".join(role_label(name.strip()) for name in names if name.strip())


class User(AbstractUser):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    company = models.ForeignKey(
        Company, on_delete=models.PROTECT, null=True, blank=True, related_name="users"
    )
    # Issue #29, "My settings": blank means the browser's language / the company's time zone.
    language = models.CharField(max_length=10, blank=True, default="", choices=settings.LANGUAGES)
    time_zone = models.CharField(
        max_length=64, blank=True, default="", validators=[validate_time_zone]
    )

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        # Granted to the Manager role by accounts/0005; asked for by /team/ and its commands.
        permissions = [("manage_team", "Can manage the company's team")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(company__isnull=False) | models.Q(is_superuser=True),
                name="user_company_required_unless_superuser",
            )
        ]

    def clean(self) -> None:
        super().clean()
        if self.company_id is None and not self.is_superuser:
            raise ValidationError({"company": "Every user but a superuser belongs to a company."})

    @cached_property
    def role(self) -> str:
        """The names of the user's groups (its roles), comma-separated, for display; '' if none.

        Only for showing: what a user may do is asked of its permissions (`has_perm`).
        """
        return ", ".join(sorted(group.name for group in self.groups.all()))

    def may_use_password(self) -> bool:
        """Whether the company lets this user log in with a password (`Company.password_login`):
        always for a superuser; "managers" keeps it for the Managers' break-glass accounts."""
        if self.company_id is None:
            return True
        rule = self.company.password_login
        if rule == PasswordLogin.MANAGERS:
            return self.groups.filter(name=Role.MANAGER.value).exists()
        return rule != PasswordLogin.NOBODY


class ApiKey(UUIDModel):
    """An integration's key (issue #27). The key acts as `user`: a user of the company that
    cannot log in (no usable password) and holds the key's role, so what the key may do is the
    role's permissions, exactly as for people. Only a SHA-256 of the key is stored (the key is
    256 random bits, so a plain digest is enough); the key itself is shown once. Revoking
    deactivates the user, so the key stops working at once."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="api_keys")
    user = models.OneToOneField(User, on_delete=models.PROTECT, related_name="api_key")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, help_text=_("The key's first characters, to tell it."))
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["company", "name"], name="api_key_company_name")
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        """How the key's actions are signed in the log: "<name> (API key)"."""
        return f"{self.name} (API key)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class ApiKeyUser(User):
    """The user an API key acts as, as requests see it: its username in the log is the key's
    display name ("shop (API key)") instead of the stored, unique, technical username."""

    class Meta:
        proxy = True

    def get_username(self) -> str:
        return self.api_key.display_name


class SignInBurst(UUIDModel):
    """The open burst of failed sign-ins of one user, not yet in the log (`accounts.sign_ins`
    records it as one `UserSignInsFailed` when it closes), and when the user was last recorded
    as locked out (one `UserLockedOut` per lock, however often the locked door is tried)."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="sign_in_burst")
    failures = models.PositiveIntegerField(default=0)
    first_failed_at = models.DateTimeField(null=True, blank=True)
    last_failed_at = models.DateTimeField(null=True, blank=True)
    locked_out_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.user_id}: {self.failures} failed sign-ins"


class UserSession(AbstractBaseSession):
    """Django's database session with the signed-in user's id in its own column (Django's
    "Extending database-backed session engines"; written by `accounts.sessions.SessionStore`
    whenever the session is saved), so a user's sessions are one index look-up away: ending
    them (deactivation, single sign-on removing the user) reads that user's rows only, instead
    of decoding every live session of every company."""

    user_id = models.UUIDField(null=True, db_index=True)  # a `User` primary key

    class Meta(AbstractBaseSession.Meta):
        db_table = "accounts_user_session"

    @classmethod
    def get_session_store_class(cls):
        """The store of `SESSION_ENGINE` (`accounts.sessions`), found as Django finds it."""
        return import_module(settings.SESSION_ENGINE).SessionStore
