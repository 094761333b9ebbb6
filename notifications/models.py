"""Each user's notification choices, and what waits for the daily digest."""

from django.conf import settings
from django.db import models

from common.models import UUIDModel

from .kinds import Choice


class NotificationPreference(UUIDModel):
    """A user's choice for one kind (no row: the kind's default for the user's role)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(max_length=30)
    choice = models.CharField(max_length=10, choices=Choice.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="notification_pref_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind}: {self.choice}"


class DigestEntry(UUIDModel):
    """One line of a user's next daily digest, written by the notifier with its checkpoint."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    company_id = models.UUIDField()
    kind = models.CharField(max_length=30)
    event_id = models.UUIDField()
    data = models.JSONField(default=dict)  # what the mail says (see notifications.subscriber)
    created_at = models.DateTimeField()
    digest_key = models.CharField(max_length=200, blank=True)  # the digest it went into

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "event_id"], name="digest_entry_unique")
        ]
        indexes = [models.Index(fields=["company_id", "digest_key"], name="digest_entry_due")]


class DigestRun(UUIDModel):
    """A company's daily digest was made for this (local) day: once, whatever the workers."""

    company_id = models.UUIDField()
    day = models.DateField()
    made_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["company_id", "day"], name="digest_run_unique")
        ]
