"""Subscriptions that follow the log: each subscriber reads every company's events in log order,
keeps a checkpoint per company, and owes side effects that are done at least once.

The log is the outbox: every fact is already there, in commit order (appends are serialised,
so a position is never committed after a higher one). The worker (`outbox.worker`,
`manage.py run_worker`) runs every registered subscriber for each company whose lease it holds.

Writing a subscriber
--------------------
Subclass `Subscriber` and register an instance from your app's `AppConfig.ready()`::

    from outbox import engine

    class HookSender(engine.Subscriber):
        name = "webhooks"                  # unique, stored; never rename it
        event_types = {"OrderSubmitted"}   # None: every event
        order_matters = True               # see "retry and park" below
        start = "head"                     # "head", "beginning" or a company event number (int)
        max_attempts = 10

        def handle(self, event, outbox):
            # Inside the transaction that moves this subscriber's checkpoint past `event`:
            # database writes here commit with the checkpoint or not at all (a crash replays
            # nothing twice and skips nothing). Do NO side effect outside the database here:
            # say what is owed instead, keyed by something derived from the event's id.
            outbox.add(f"{event.id}:{endpoint.pk}", {"url": ...}, summary="POST to …",
                       stream_id=event.stream_id)

        def deliver(self, item):
            # Outside any transaction: do the side effect for one `OutboxItem` (item.key,
            # item.data, item.event_id, item.attempts). Return: it is recorded done (its status,
            # committed at once) and never delivered again. Raise: it is retried.
            send(item.data, idempotency_key=item.key)

        def tick_due(self, company_id, now):  # optional: a cheap read every round
            return is_digest_time(company_id, now)

        def tick(self, company_id, now, outbox):
            # When tick_due says so, in a transaction: time-driven work (a daily digest);
            # `outbox.add` with a key per period makes it once per period.
            ...

    # apps.py: def ready(self): engine.register(HookSender())

What a handler receives: `event` is an `events.store.RecordedEvent` (`.id`, `.position`,
`.event_type`, `.data` the typed event, `.stream_id`, `.company_id`, `.metadata`,
`.occurred_at`); `outbox` an `Outbox` bound to the event's company. Items are also added from
outside the worker, inside a caller's transaction, by `enqueue(...)` (a request that owes a
mail writes one row and returns; the worker sends it).

At least once, done once: `deliver` may run again for an item whose side effect happened but
whose "done" record was not committed (a crash in between, milliseconds); pass `item.key` to
the receiver as its idempotency key (the notifier puts it in the mail's Message-ID). An item
whose key already exists is not added again (`Outbox.add` returns None), so a handler that is
re-run never owes the same effect twice.

Retry and park: a failing `deliver` (or `handle`) is retried after `backoff(attempts)` (5 s,
10 s, 20 s … at most an hour). After `max_attempts` failures it is PARKED with the error as
its reason, shown on the ops desk with "retry" (try again from zero) and "skip" (give up), each
an audited event. A failing `handle` is parked as an item of kind "handle" and the checkpoint
moves past the event. Then the subscriber goes on with later items (`order_matters = False`:
notifications) or stops this company's deliveries at the parked item until it is retried or
skipped (`order_matters = True`: a webhook consumer that must see events in order).

Several workers: a company's subscriptions are run by the worker holding its lease (a session
advisory lock on PostgreSQL, a `Lease` row with an expiry on SQLite), and every checkpoint move
is conditional on the position read, so even a lease lost mid-round cannot move it twice.
All time comes from an injected `now()` callable (tests drive back-off and digests with it).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import uuid
from collections.abc import Callable, Iterable
from typing import Any, ClassVar

from django.db import DatabaseError, transaction
from django.db.models import Max
from django.utils import timezone

from events.models import Event
from events.store import RecordedEvent, head_position, recorded_event

from .models import OutboxItem, SubscriberCheckpoint, Subscription

Clock = Callable[[], dt.datetime]
logger = logging.getLogger("ledgerline.worker")
Status = OutboxItem.Status


class LeaseLost(Exception):
    """Another worker moved this subscriber's checkpoint: this worker no longer owns the company."""


class Subscriber:
    """Base of every subscriber (see the module's docstring)."""

    name: ClassVar[str] = ""
    event_types: ClassVar[Iterable[str] | None] = None
    order_matters: ClassVar[bool] = False
    start: ClassVar[str | int] = "head"
    max_attempts: ClassVar[int] = 8
    batch_size: ClassVar[int] = 100
    platform_items: ClassVar[bool] = False  # delivers items `enqueue`d under PLATFORM

    def backoff(self, attempts: int) -> dt.timedelta:
        """How long to wait after the `attempts`-th failure: 5 s doubling, at most an hour."""
        return dt.timedelta(seconds=min(5 * 2 ** (attempts - 1), 3600))

    def handle(self, event: RecordedEvent, outbox: Outbox) -> None:
        """Write what the event means for this subscriber; add the side effects it owes."""

    def deliver(self, item: OutboxItem) -> None:
        raise NotImplementedError(f"{type(self).__name__} adds items but cannot deliver them")

    def tick_due(self, company_id: uuid.UUID, now: dt.datetime) -> bool:
        """Whether `tick` has work now (a cheap read, every round; default: never)."""
        return False

    def tick(self, company_id: uuid.UUID, now: dt.datetime, outbox: Outbox) -> None:
        """Time-driven work for one company, in a transaction, when `tick_due` said so."""

    def passes_over(self, company_id: uuid.UUID, position: int) -> int:
        """The log position up to which the subscriber wants none of the company's events, its
        checkpoint standing at `position`. The default, `position`, looks at every event; a
        subscriber that knows a long stretch is of no interest to it (webhooks before any
        endpoint was registered) answers further on, and the checkpoint moves there in one
        step instead of walking the stretch event by event."""
        return position

    def wants(self, event_type: str) -> bool:
        return self.event_types is None or event_type in self.event_types


_subscribers: dict[str, Subscriber] = {}


def register(subscriber: Subscriber) -> None:
    """Add a subscriber for the worker to run (from an AppConfig.ready()); one per name."""
    if not subscriber.name:
        raise ValueError("A subscriber needs a name.")
    _subscribers[subscriber.name] = subscriber


def subscribers() -> list[Subscriber]:
    return list(_subscribers.values())


def subscriber(name: str) -> Subscriber | None:
    return _subscribers.get(name)


@dataclasses.dataclass
class Outbox:
    """Adds a subscriber's owed side effects for one company, inside the caller's transaction."""

    subscriber: str
    company_id: uuid.UUID
    position: int
    now: dt.datetime
    event: RecordedEvent | None = None

    def add(
        self,
        key: str,
        data: dict[str, Any] | None = None,
        *,
        summary: str = "",
        stream_id: uuid.UUID | None = None,
    ) -> OutboxItem | None:
        """Owe one side effect, identified by `key` (unique per subscriber; up to 200 chars).
        Returns the new item, or None if one with this key exists already (nothing added)."""
        return _add_item(
            subscriber=self.subscriber,
            company_id=self.company_id,
            key=key,
            data=data or {},
            summary=summary,
            position=self.position,
            event_id=self.event.id if self.event else None,
            stream_id=stream_id
            if stream_id is not None
            else getattr(self.event, "stream_id", None),
            now=self.now,
        )


# Items that belong to no company (a password-reset request names only an address): the worker
# runs them under this id, for subscribers with `platform_items = True` only.
PLATFORM = uuid.UUID(int=0)


def enqueue(
    subscriber: str,
    *,
    company_id,
    key: str,
    data: dict[str, Any],
    summary: str = "",
    stream_id: uuid.UUID | None = None,
    now: dt.datetime | None = None,
) -> OutboxItem | None:
    """Owe a side effect from outside the worker (a request), in the caller's transaction:
    nothing is sent here; the worker delivers it through `subscriber`'s `deliver`. Returns the
    item, or None when `key` was queued already."""
    return _add_item(
        subscriber=subscriber,
        company_id=company_id,
        key=key,
        data=data,
        summary=summary,
        position=head_position(),
        event_id=None,
        stream_id=stream_id,
        now=now or timezone.now(),
    )


def _add_item(*, subscriber, company_id, key, data, summary, position, event_id, stream_id, now):
    if OutboxItem.objects.filter(subscriber=subscriber, key=key).exists():
        return None
    return OutboxItem.objects.create(
        subscriber=subscriber,
        company_id=company_id,
        key=key,
        data=data,
        summary=summary[:300],
        position=position,
        event_id=event_id,
        stream_id=stream_id,
        next_attempt_at=now,
        created_at=now,
    )


# --- running one subscriber for one company ---------------------------------------------------


def run_company(
    sub: Subscriber,
    company_id: uuid.UUID,
    *,
    now: Clock = timezone.now,
    keep_lease: Callable[[], None] = lambda: None,
) -> int:
    """One round of `sub` for one company: handle new events, deliver due items, tick.
    Returns how much was done (0: nothing to do). The caller holds the company's lease;
    `keep_lease()` is called before each side effect (it renews the lease or raises LeaseLost).
    Raises LeaseLost when another worker moved the checkpoint meanwhile. For `PLATFORM`: only
    its items are delivered (it has no events, no checkpoint, no tick)."""
    if company_id == PLATFORM:
        return deliver_due(sub, company_id, now=now, keep_lease=keep_lease)
    done = handle_new_events(sub, company_id, now=now)
    done += deliver_due(sub, company_id, now=now, keep_lease=keep_lease)
    if sub.tick_due(company_id, now()):  # a read: an idle round takes no write lock
        try:
            with transaction.atomic():
                checkpoint = _checkpoint(sub, company_id, now())
                outbox = Outbox(sub.name, company_id, checkpoint.position, now())
                sub.tick(company_id, now(), outbox)
        except DatabaseError:
            raise
        except Exception:  # nothing written; tried again next round, the worker carries on
            logger.exception("%s: tick failed for company %s", sub.name, company_id)
    return done


def handle_new_events(sub: Subscriber, company_id: uuid.UUID, *, now: Clock) -> int:
    """Handle the company's events after the checkpoint (one batch), each in the transaction
    that moves the checkpoint past it. Returns the number of events handled or passed over."""
    checkpoint = _checkpoint(sub, company_id, now())
    if checkpoint.next_attempt_at is not None and checkpoint.next_attempt_at > now():
        return 0
    passed = sub.passes_over(company_id, checkpoint.position)
    if passed > checkpoint.position:
        with transaction.atomic():
            _move_checkpoint(checkpoint, checkpoint.position, passed, now())
    rows = list(
        Event.objects.filter(company_id=company_id, position__gt=checkpoint.position).order_by(
            "position"
        )[: sub.batch_size]
    )
    position = checkpoint.position
    for row in rows:
        if not sub.wants(row.event_type):
            continue
        event = recorded_event(row)
        try:
            with transaction.atomic():
                sub.handle(event, Outbox(sub.name, company_id, row.position, now(), event))
                position = _move_checkpoint(checkpoint, position, row.position, now())
        except LeaseLost:
            raise
        except Exception as error:
            _handle_failed(sub, checkpoint, position, event, error, now())
            return len(rows)
    if rows and position != rows[-1].position:  # the batch ended with events it does not want
        with transaction.atomic():
            _move_checkpoint(checkpoint, position, rows[-1].position, now())
    return len(rows)


def deliver_due(
    sub: Subscriber,
    company_id: uuid.UUID,
    *,
    now: Clock,
    keep_lease: Callable[[], None] = lambda: None,
) -> int:
    """Deliver the company's items that are due, in position order. Where order matters, stop
    at the first item that is parked or waiting for its retry. Returns items attempted."""
    statuses = [Status.PENDING, Status.PARKED] if sub.order_matters else [Status.PENDING]
    items = OutboxItem.objects.filter(
        subscriber=sub.name, company_id=company_id, status__in=statuses
    )
    if not sub.order_matters:
        items = items.filter(next_attempt_at__lte=now())
    attempted = 0
    for item in items.order_by("position", "created_at")[: sub.batch_size]:
        if item.status == Status.PARKED or item.next_attempt_at > now():
            break  # order matters: nothing after it goes first
        attempted += 1
        keep_lease()
        try:
            if item.kind == OutboxItem.Kind.HANDLE:
                _rehandle(sub, item, now)
            else:
                sub.deliver(item)
        except Exception as error:
            _delivery_failed(sub, item, error, now())
            if sub.order_matters:
                break
            continue
        if item.kind != OutboxItem.Kind.HANDLE:
            _mark_done(item, now())
    return attempted


def _rehandle(sub: Subscriber, item: OutboxItem, now: Clock) -> None:
    """Handle a parked event again (after "retry"); done with the handler's writes."""
    event = recorded_event(Event.objects.get(id=item.event_id))
    with transaction.atomic():
        sub.handle(event, Outbox(sub.name, item.company_id, event.position, now(), event))
        _mark_done(item, now())


def _mark_done(item: OutboxItem, now: dt.datetime) -> None:
    OutboxItem.objects.filter(pk=item.pk, status=Status.PENDING).update(
        status=Status.DONE, done_at=now, last_error=""
    )


def _delivery_failed(sub: Subscriber, item: OutboxItem, error: Exception, now: dt.datetime):
    attempts = item.attempts + 1
    parked = attempts >= sub.max_attempts
    OutboxItem.objects.filter(pk=item.pk, status=Status.PENDING).update(
        attempts=attempts,
        last_error=_reason(error),
        status=Status.PARKED if parked else Status.PENDING,
        parked_at=now if parked else None,
        next_attempt_at=now + sub.backoff(attempts),
    )


def _handle_failed(sub, checkpoint, position, event, error, now) -> None:
    """A handler raised at `event`: wait and retry; past the limit park it and go past it."""
    with transaction.atomic():
        attempts = checkpoint.attempts + 1
        if attempts < sub.max_attempts:
            SubscriberCheckpoint.objects.filter(pk=checkpoint.pk).update(
                position=position,
                attempts=attempts,
                next_attempt_at=now + sub.backoff(attempts),
                last_error=_reason(error),
                updated_at=now,
            )
            return
        _add_item(
            subscriber=sub.name,
            company_id=checkpoint.company_id,
            key=f"handle:{event.id}",
            data={},
            summary=f"Handling event {event.event_type} at position {event.position}",
            position=event.position,
            event_id=event.id,
            stream_id=event.stream_id,
            now=now,
        )
        OutboxItem.objects.filter(subscriber=sub.name, key=f"handle:{event.id}").update(
            kind=OutboxItem.Kind.HANDLE,
            status=Status.PARKED,
            attempts=attempts,
            last_error=_reason(error),
            parked_at=now,
        )
        _move_checkpoint(checkpoint, position, event.position, now)


def _reason(error: Exception) -> str:
    """The error as the ops desk and the webhooks page show it: its type and message, never
    where in our code it was raised (QA: "(at delivery.py:120)" is no help to a user); the
    traceback goes to the worker's log for the operator."""
    logger.warning("side effect failed: %s", type(error).__name__, exc_info=error)
    return f"{type(error).__name__}: {error}"[:2000]


def anything_due(now: dt.datetime) -> bool:
    """Whether any company has an outbox item or a failed handling whose time has come (two
    reads of partial indexes: the pending items, the failing checkpoints)."""
    return (
        OutboxItem.objects.filter(status=Status.PENDING, next_attempt_at__lte=now).exists()
        or SubscriberCheckpoint.objects.filter(next_attempt_at__lte=now).exists()
    )


# --- checkpoints -------------------------------------------------------------------------------


def _checkpoint(sub: Subscriber, company_id, now: dt.datetime) -> SubscriberCheckpoint:
    """The subscriber's checkpoint for the company, created at its start position if new."""
    checkpoint = SubscriberCheckpoint.objects.filter(
        subscriber=sub.name, company_id=company_id
    ).first()
    if checkpoint is not None:
        return checkpoint
    with transaction.atomic():
        checkpoint, _ = SubscriberCheckpoint.objects.get_or_create(
            subscriber=sub.name,
            company_id=company_id,
            defaults={"position": start_position(sub, company_id, now), "updated_at": now},
        )
    return checkpoint


def start_position(sub: Subscriber, company_id, now: dt.datetime) -> int:
    """Where a new checkpoint starts. "beginning": 0. An int N: just before the company's N-th
    event (its event number). "head": after the company's last event as of the log's head
    when the subscriber first ran (a company created later is followed from its start)."""
    if sub.start == "beginning":
        return 0
    company_events = Event.objects.filter(company_id=company_id).order_by("position")
    if isinstance(sub.start, int) and not isinstance(sub.start, bool):
        if sub.start <= 1:
            return 0
        before = company_events.filter(number=sub.start - 1).values_list("position", flat=True)
        return before.first() or (company_events.aggregate(p=Max("position"))["p"] or 0)
    subscription, _ = Subscription.objects.get_or_create(
        name=sub.name, defaults={"head_at_start": head_position(), "created_at": now}
    )
    last = company_events.filter(position__lte=subscription.head_at_start).aggregate(
        p=Max("position")
    )["p"]
    return last or 0


def _move_checkpoint(checkpoint, from_position: int, to_position: int, now) -> int:
    """Move the checkpoint, only if it still stands where this worker read it (a fence against a
    worker whose lease was taken over). Raises LeaseLost otherwise."""
    moved = SubscriberCheckpoint.objects.filter(pk=checkpoint.pk, position=from_position).update(
        position=to_position, attempts=0, next_attempt_at=None, last_error="", updated_at=now
    )
    if not moved:
        raise LeaseLost(f"{checkpoint.subscriber} for {checkpoint.company_id} moved elsewhere")
    checkpoint.position = to_position
    checkpoint.attempts, checkpoint.next_attempt_at = 0, None
    return to_position
