"""Webhook endpoints a company registers, and the log of every delivery attempt.

What is owed to an endpoint is the outbox's (`outbox.OutboxItem`, subscriber "webhooks", one
item per endpoint and event, `data["endpoint"]`), written with the subscriber's checkpoint, so
each matching event is owed exactly once per endpoint (webhooks/subscriber.py).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Company
from common.models import UUIDModel


class WebhookEndpoint(UUIDModel):
    class Status(models.TextChoices):
        ENABLED = "enabled", _("Enabled")
        DISABLED = "disabled", _("Disabled")
        FAILING = "failing", _("Failing")

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    url = models.URLField(max_length=500)
    description = models.CharField(max_length=200, blank=True)
    # Event types delivered (`events.registry` names); empty: every event of the company.
    event_types = models.JSONField(default=list, blank=True)
    # The signing secret ("whsec_…", Standard Webhooks), encrypted (webhooks/signing.py).
    secret_encrypted = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ENABLED)
    status_reason = models.CharField(max_length=300, blank=True)
    # Events at or before this log position are not owed (they can be replayed).
    start_position = models.BigIntegerField()
    # When the delivery at the head of its queue first failed (None: not failing now).
    failing_since = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["company", "status"], name="webhook_co_status")]

    def __str__(self) -> str:
        return self.url

    def wants(self, event_type: str) -> bool:
        return not self.event_types or event_type in self.event_types


class DeliveryAttempt(UUIDModel):
    """One POST (or the failure to make one) to an endpoint: when, for which event, the status
    code, how long it took and the first bytes of the answer (or the error)."""

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="+")
    company_id = models.UUIDField()
    event_id = models.UUIDField()
    event_number = models.BigIntegerField()
    event_type = models.CharField(max_length=100)
    attempted_at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField()
    response_head = models.CharField(max_length=500, blank=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["endpoint", "-attempted_at"], name="webhook_attempt_log"),
        ]

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300
