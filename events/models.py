"""The event log: one append-only table, the single source of truth."""

import uuid

from django.db import models

from common.models import RowIdField, UUIDModel

from .exceptions import AppendOnlyError


class AppendOnlyQuerySet(models.QuerySet):
    """Refuses every bulk change or removal of stored rows (the triggers refuse them in SQL)."""

    def update(self, **kwargs):
        raise AppendOnlyError("updated", self.model._meta.verbose_name_plural)

    def delete(self):
        raise AppendOnlyError("deleted", self.model._meta.verbose_name_plural)

    def _raw_delete(self, using):
        raise AppendOnlyError("deleted", self.model._meta.verbose_name_plural)

    def bulk_update(self, objs, fields, batch_size=None):
        raise AppendOnlyError("updated", self.model._meta.verbose_name_plural)


class AppendOnlyModel(models.Model):
    """A row is written once: saving a stored row or deleting one raises AppendOnlyError."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("changed", self._meta.verbose_name_plural)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("deleted", self._meta.verbose_name_plural)


class Event(AppendOnlyModel):
    """One immutable fact. Written only by `events.store.append`.

    `position` orders the whole log (projections replay by it); `version` orders one stream;
    `number` orders one company's events (1, 2, 3… without gaps: the numbers its users, the
    API and the webhooks see; the global position interleaves every company's events).
    `prev_hash`/`hash` chain every event to the one before it (see memory-bank/systemPatterns.md);
    the number is not hashed, but it follows from what is (the company and the position order),
    and `verify_events` checks it.
    """

    # The primary key is the position, SQLite's rowid: the table is its own position index
    # (one B-tree fewer to write per event), and the UUID is a unique column beside it.
    position = RowIdField(primary_key=True, editable=False)
    id = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    # Given by the append's INSERT (one more than the company's highest, `store.append`).
    number = models.BigIntegerField(editable=False)
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

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["position"]
        # Related lookups and the admin use the base manager: make it the guarded one too.
        base_manager_name = "objects"
        constraints = [
            models.UniqueConstraint(
                fields=["stream_id", "version"], name="event_stream_version_unique"
            ),
            models.CheckConstraint(condition=models.Q(version__gte=1), name="event_version_gte_1"),
            # An event by its company number (audit cursors, the API's feed, webhooks), and the
            # company's highest number for the next append; two appends racing for one number
            # cannot both commit.
            models.UniqueConstraint(fields=["company", "number"], name="event_company_number"),
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

    def opened_payload(self) -> dict:
        """The payload as written: personal fields opened, or the ERASED / UNREADABLE marker
        where their key is gone (events/sealing.py). The stored `payload` stays sealed."""
        from .sealing import open_payload

        return open_payload(self.payload, company_id=self.company_id, stream_id=self.stream_id)

    def decoded(self):
        """The typed event (`registry.deserialize` of the opened payload)."""
        from .registry import deserialize

        return deserialize(self.event_type, self.schema_version, self.opened_payload())


class IntegrityCheck(AppendOnlyModel, UUIDModel):
    """The outcome of each `verify_events` run, shown on the audit log page.

    Append-only like the log (ORM and triggers, migration 0006): the last good run's head is an
    anchor `verify_events` checks the log against, so it must not be rewritten in place.
    """

    checked_at = models.DateTimeField()
    ok = models.BooleanField()
    events_checked = models.BigIntegerField()
    head_position = models.BigIntegerField(default=0)
    head_hash = models.CharField(max_length=64, blank=True)
    message = models.TextField(blank=True)
    duration_seconds = models.FloatField(default=0)
    # What the log was checked against outside the database ("" before witnesses existed).
    witnesses = models.TextField(blank=True)
    # The highest position a witness confirmed (None: no witnessed checkpoint was compared).
    witnessed_position = models.BigIntegerField(null=True, blank=True)
    # Events after the last witnessed position (None: not compared).
    unwitnessed_events = models.BigIntegerField(null=True, blank=True)
    # HMAC of the fields above under EVENT_LOG_KEY (`verification.signature`): a row written
    # with only the database file cannot make the pages say OK ("" before issue #24 §13).
    signature = models.CharField(max_length=64, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-checked_at"]
        base_manager_name = "objects"
        get_latest_by = "checked_at"

    def __str__(self) -> str:
        return f"{'OK' if self.ok else 'BROKEN'} at {self.checked_at:%Y-%m-%d %H:%M}"


class BackupRecord(AppendOnlyModel, UUIDModel):
    """One checked backup written by `backup_db` (only a copy that passed its checks is
    recorded): when, where, how big, up to which event. Shown on the ops page. Append-only in
    the ORM like the log: a record of what was done is not edited afterwards."""

    taken_at = models.DateTimeField()
    path = models.TextField()
    size_bytes = models.BigIntegerField()
    head_position = models.BigIntegerField()
    events_checked = models.BigIntegerField()
    # integrity_check and the hash chain both passed on the copy (always, today: a copy that
    # fails is not published); kept so a later, weaker kind of backup can say it was not.
    verified = models.BooleanField(default=True)
    duration_seconds = models.FloatField(default=0)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-taken_at"]
        base_manager_name = "objects"
        get_latest_by = "taken_at"

    def __str__(self) -> str:
        return f"backup {self.path} at {self.taken_at:%Y-%m-%d %H:%M}"
