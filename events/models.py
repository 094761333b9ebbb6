"""The event log: one append-only table, the single source of truth."""

from django.db import models

from accounts.models import UUIDModel

from .exceptions import AppendOnlyError


class EventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("updated")

    def delete(self):
        raise AppendOnlyError("deleted")

    def _raw_delete(self, using):
        raise AppendOnlyError("deleted")

    def bulk_update(self, objs, fields, batch_size=None):
        raise AppendOnlyError("updated")


class Event(UUIDModel):
    """One immutable fact. Written only by `events.store.append`.

    `position` orders the whole log (projections replay by it); `version` orders one stream.
    `prev_hash`/`hash` chain every event to the one before it (see memory-bank/systemPatterns.md).
    """

    position = models.BigIntegerField(unique=True, editable=False)
    stream_type = models.CharField(max_length=50)
    stream_id = models.UUIDField()
    version = models.PositiveIntegerField()
    event_type = models.CharField(max_length=100)
    schema_version = models.PositiveSmallIntegerField(default=1)
    payload = models.JSONField()
    metadata = models.JSONField(default=dict)
    company = models.ForeignKey(
        "accounts.Company",
        on_delete=models.PROTECT,
        related_name="events",
        db_index=False,  # the (company, position) index serves every company lookup
    )
    occurred_at = models.DateTimeField()
    recorded_at = models.DateTimeField()
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["position"]
        # Related lookups and the admin use the base manager: make it the guarded one too.
        base_manager_name = "objects"
        constraints = [
            models.UniqueConstraint(
                fields=["stream_id", "version"], name="event_stream_version_unique"
            ),
            models.CheckConstraint(condition=models.Q(version__gte=1), name="event_version_gte_1"),
        ]
        indexes = [
            # The audit log: a company's events, newest first, keyset-paginated by position.
            models.Index(fields=["company", "-position"], name="event_company_position"),
            models.Index(fields=["company", "event_type", "-position"], name="event_company_type"),
            models.Index(fields=["company", "occurred_at"], name="event_company_occurred"),
        ]
        default_permissions = ("view",)
        permissions = [("verify_events", "Can see the event log's integrity status")]

    def __str__(self) -> str:
        return f"#{self.position} {self.event_type} {self.stream_id} v{self.version}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("deleted")


class IntegrityCheck(UUIDModel):
    """The outcome of each `verify_events` run, shown on the audit log page."""

    checked_at = models.DateTimeField()
    ok = models.BooleanField()
    events_checked = models.BigIntegerField()
    head_position = models.BigIntegerField(default=0)
    head_hash = models.CharField(max_length=64, blank=True)
    message = models.TextField(blank=True)
    duration_seconds = models.FloatField(default=0)

    class Meta:
        ordering = ["-checked_at"]
        get_latest_by = "checked_at"

    def __str__(self) -> str:
        return f"{'OK' if self.ok else 'BROKEN'} at {self.checked_at:%Y-%m-%d %H:%M}"
