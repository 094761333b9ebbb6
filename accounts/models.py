"""Tenancy: every user belongs to one company and sees only that company's data."""

import uuid
from functools import cached_property

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models

from common.models import UUIDModel


class Company(UUIDModel):
    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=50, unique=True)
    currency = models.CharField(
        max_length=3,
        default="EUR",
        validators=[RegexValidator(r"^[A-Z]{3}$", "Use a three-letter ISO 4217 code, e.g. EUR.")],
        help_text="ISO 4217 currency code of all the company's orders.",
    )

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "companies"

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    """The built-in roles, each a Django group of the same name (created by a data migration).

    A role is only the group that holds permissions (granted in `orders/permissions.py`): views,
    navigation and commands ask for permissions, never for a role, so a new group with the right
    permissions works like these.
    """

    STAFF = "Staff"
    MANAGER = "Manager"
    AUDITOR = "Auditor"
    OPS = "Ops"


class User(AbstractUser):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    company = models.ForeignKey(
        Company, on_delete=models.PROTECT, null=True, blank=True, related_name="users"
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
