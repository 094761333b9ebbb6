"""The subscription engine's state: where each subscriber stands per company, the side effects
it owes and has done, the leases that give a company's work to one worker, worker heartbeats.

Company ids are plain UUID columns: this app sits below `accounts` (floor plan) and its rows
are bookkeeping about the log, which already ties every event to its company.
"""

from django.db import models

from common.models import UUIDModel


class Subscription(UUIDModel):
    """A subscriber the engine has run at least once, and the log's head when it first ran:
    "start at head" means each company's events up to that head are not handled (a company
    created later is followed from its first event)."""

    name = models.CharField(max_length=50, unique=True)
    head_at_start = models.BigIntegerField()
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.name


class SubscriberCheckpoint(UUIDModel):
    """The last log position of a company's events a subscriber has handled, moved in the same
    transaction as what the subscriber writes; plus the failing handle attempts at the next."""

    subscriber = models.CharField(max_length=50)
    company_id = models.UUIDField()
    position = models.BigIntegerField(default=0)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["subscriber", "company_id"], name="outbox_checkpoint_unique"
            )
        ]
        indexes = [
            # The worker's idle check (`engine.anything_due`): only failing checkpoints.
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(next_attempt_at__isnull=False),
                name="outbox_checkpoint_due",
            )
        ]

    def __str__(self) -> str:
        return f"{self.subscriber}@{self.position} ({self.company_id})"


class OutboxItem(UUIDModel):
    """One side effect a subscriber owes (a mail, an HTTP call), keyed for idempotency, or one
    event whose handling failed past the limit (kind "handle"). `status` done is the record
    that the side effect happened: it is never done again."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DONE = "done", "Done"
        PARKED = "parked", "Parked"
        SKIPPED = "skipped", "Skipped"

    class Kind(models.TextChoices):
        EFFECT = "effect", "Side effect"
        HANDLE = "handle", "Event handling"

    subscriber = models.CharField(max_length=50)
    company_id = models.UUIDField()
    key = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.EFFECT)
    position = models.BigIntegerField()  # the event's (or the checkpoint's, for ticks)
    event_id = models.UUIDField(null=True, blank=True)
    stream_id = models.UUIDField(null=True, blank=True)  # e.g. the order it is about
    data = models.JSONField(default=dict)
    summary = models.CharField(max_length=300, blank=True)  # for people, never an address
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField()
    done_at = models.DateTimeField(null=True, blank=True)
    parked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["subscriber", "key"], name="outbox_item_key_unique")
        ]
        indexes = [
            models.Index(
                fields=["subscriber", "company_id", "status", "position"],
                name="outbox_item_queue",
            ),
            models.Index(fields=["stream_id", "done_at"], name="outbox_item_stream"),
            # The worker's idle check (`engine.anything_due`): only pending items are in it.
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status="pending"),
                name="outbox_item_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subscriber}:{self.key} ({self.status})"


class Lease(UUIDModel):
    """Who works a company's subscriptions, until when (SQLite; PostgreSQL uses advisory locks)."""

    name = models.CharField(max_length=100, unique=True)
    owner = models.CharField(max_length=200)
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} → {self.owner} until {self.expires_at:%H:%M:%S}"


class WorkerHeartbeat(UUIDModel):
    """A worker process checking in: the ops desk says when none has done so recently."""

    worker = models.CharField(max_length=200, unique=True)
    hostname = models.CharField(max_length=200)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField()
    stopped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-seen_at"]

    def __str__(self) -> str:
        return self.worker
