"""A company's identity provider (OpenID Connect) and the people it signs in.

One provider per company. The client secret is stored encrypted (`sso.secrets`): the database
alone does not reveal it. E-mail domains belong to one company each (a unique row per domain),
so a typed address names at most one provider.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Company, User
from common.models import UUIDModel


class IdentityProvider(UUIDModel):
    company = models.OneToOneField(
        Company, on_delete=models.PROTECT, related_name="identity_provider"
    )
    name = models.CharField(
        max_length=100, help_text='Shown on the login page: "Sign in with <name>".'
    )
    issuer = models.URLField(
        max_length=500,
        help_text=_(
            "The provider's issuer URL; its discovery document is read from "
            "<issuer>/.well-known/openid-configuration."
        ),
    )
    client_id = models.CharField(max_length=255)
    client_secret_encrypted = models.TextField(editable=False)
    groups_claim = models.CharField(
        max_length=100,
        default="groups",
        help_text=_(
            "The ID-token or userinfo claim that lists the person's groups (or app roles)."
        ),
    )
    # [[group, role], ...]: the first of the person's groups in this order gives the role.
    role_map = models.JSONField(default=list)
    enabled = models.BooleanField(default=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.company})"

    @property
    def actor_name(self) -> str:
        """How the provider appears as the actor of the access events it causes."""
        return f"{self.name} (SSO)"

    def role_for(self, groups) -> str:
        """The role of the first mapped group the person is in ('' for none)."""
        mine = {str(group) for group in groups}
        for group, role in self.role_map:
            if group in mine:
                return role
        return ""


class EmailDomain(models.Model):
    domain = models.CharField(max_length=253, unique=True)
    provider = models.ForeignKey(IdentityProvider, on_delete=models.CASCADE, related_name="domains")

    def __str__(self) -> str:
        return self.domain


class ExternalIdentity(UUIDModel):
    """Which provider account (issuer + `sub`) is which user: `sub` is the provider's stable id
    for the person, so a changed e-mail address still finds the same user."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="external_identity")
    issuer = models.URLField(max_length=500)
    subject = models.CharField(max_length=255)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"], name="one_user_per_subject")
        ]
