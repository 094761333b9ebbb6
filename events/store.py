"""The event store API: append with optimistic concurrency, read a stream, stream the log.

Writers are serialised: on SQLite every `transaction.atomic()` is `BEGIN IMMEDIATE` (see
settings), so the writer that appends holds the database's single write lock from its first
statement and the next writer waits (busy_timeout) instead of failing. That makes "read the
head, write head + 1" safe, and positions increase in commit order. On PostgreSQL the same
guarantee comes from a transaction-scoped advisory lock taken before the head is read.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import itertools
import json
import uuid
from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache
from typing import Any

from django.db import IntegrityError, connections, router, transaction
from django.db.models import Max
from django.utils import timezone

from accounts.request_context import current_request_id

from . import writelock
from .exceptions import ConcurrencyError
from .hashing import GENESIS, event_hash
from .models import Event
from .registry import DomainEvent, deserialize
from .sqlrows import aware_from_text, table, uuid_from_hex

_PG_LOG_LOCK_KEY = 7_316_001  # arbitrary constant naming "the event log" advisory lock


class RecordedEvent:
    """An event as stored: its typed data plus where and when it sits in the log. Read-only.

    `data`, `metadata` and `id` are decoded on first use: a replay reads a million events and
    most projectors never look at most payloads (a note's text, say), so decoding them eagerly
    would be most of a rebuild's work.
    """

    __slots__ = (
        "_actor_username",
        "_data",
        "_id",
        "_metadata",
        "_payload",
        "_recorded_at",
        "company_id",
        "event_type",
        "occurred_at",
        "position",
        "schema_version",
        "stream_id",
        "stream_type",
        "version",
    )
    _compared = (
        "id",
        "position",
        "stream_type",
        "stream_id",
        "version",
        "event_type",
        "schema_version",
        "data",
        "metadata",
        "company_id",
        "occurred_at",
        "recorded_at",
    )

    def __init__(
        self,
        *,
        id,
        position: int,
        stream_type: str,
        stream_id: uuid.UUID,
        version: int,
        event_type: str,
        schema_version: int,
        company_id: uuid.UUID,
        occurred_at: dt.datetime,
        recorded_at,
        metadata,
        data: DomainEvent | None = None,
        payload=None,
        actor_username: str | None = None,
    ):
        self._id = id  # a UUID, or the stored hex
        self.position, self.stream_type, self.stream_id = position, stream_type, stream_id
        self.version, self.event_type, self.schema_version = version, event_type, schema_version
        self.company_id, self.occurred_at, self._recorded_at = company_id, occurred_at, recorded_at
        self._data, self._payload = data, payload  # payload: a dict or the stored JSON text
        self._metadata, self._actor_username = metadata, actor_username  # dict or JSON text

    @property
    def id(self) -> uuid.UUID:
        if not isinstance(self._id, uuid.UUID):
            self._id = uuid.UUID(self._id)
        return self._id

    @property
    def data(self) -> DomainEvent:
        if self._data is None:
            self._data = _decode(self.event_type, self.schema_version, self._payload)
            self._payload = None
        return self._data

    @property
    def metadata(self) -> dict[str, Any]:
        if isinstance(self._metadata, str):
            self._metadata = json.loads(self._metadata)
        return self._metadata

    @property
    def recorded_at(self) -> dt.datetime:
        if isinstance(self._recorded_at, str):
            self._recorded_at = aware_from_text(self._recorded_at)
        return self._recorded_at

    @property
    def actor_username(self) -> str:
        if self._actor_username is None:
            self._actor_username = self.metadata.get("actor_username") or ""
        return self._actor_username

    def _values(self) -> tuple:
        return tuple(getattr(self, name) for name in self._compared)

    def __eq__(self, other) -> bool:
        if not isinstance(other, RecordedEvent):
            return NotImplemented
        return self._values() == other._values()

    __hash__ = None  # mutable caches inside, and equal events need not be the same object

    def __repr__(self) -> str:
        return (
            f"<RecordedEvent {self.position} {self.event_type} "
            f"{self.stream_type}:{self.stream_id} v{self.version}>"
        )


def _decode(event_type: str, schema_version: int, payload) -> DomainEvent:
    if isinstance(payload, str):
        if len(payload) <= _SHARED_PAYLOAD_CHARS:
            return _decode_shared(event_type, schema_version, payload)
        payload = json.loads(payload)
    return deserialize(event_type, schema_version, payload)


# Short payloads repeat (a transition without a reason is `{"from_state": …, "to_state": …}`):
# decode each once and share the (frozen, immutable) event. Bounded: part of a replay's memory.
_SHARED_PAYLOAD_CHARS = 160


@lru_cache(maxsize=4096)
def _decode_shared(event_type: str, schema_version: int, payload: str) -> DomainEvent:
    return deserialize(event_type, schema_version, json.loads(payload))


InlineHandler = Callable[[list[RecordedEvent], str], None]
_inline_handlers: list[InlineHandler] = []


def register_inline_handler(handler: InlineHandler) -> None:
    """Run `handler(events, using)` inside every append's transaction (projections use this)."""
    if handler not in _inline_handlers:
        _inline_handlers.append(handler)


@contextlib.contextmanager
def write_transaction(using: str = "default") -> Iterator[None]:
    """`transaction.atomic()` for a writer, after queueing for the database (`writelock`)."""
    # Nested inside another writer (a command around `append`): one transaction, no savepoint
    # to take and release. An error still unwinds the whole outer writer.
    path = writelock.database_path(using)
    with writelock.queue(path) as depth, transaction.atomic(using=using, savepoint=depth == 0):
        yield


def stream_version(stream_id: uuid.UUID, *, using: str = "default") -> int:
    """The stream's current version (0 for a stream with no events)."""
    events = table(Event, using)
    with connections[using].cursor() as cursor:
        cursor.execute(
            f"SELECT MAX({events.column_of['version']}) FROM {events.table} "
            f"WHERE {events.column_of['stream_id']} = %s",
            [events.prep("stream_id", stream_id)],
        )
        return cursor.fetchone()[0] or 0


def _head(using: str) -> tuple[int, str]:
    """The last event's position and hash ((0, GENESIS) for an empty log)."""
    with connections[using].cursor() as cursor:
        events = table(Event, using)
        position, hash_ = events.column_of["position"], events.column_of["hash"]
        cursor.execute(
            f"SELECT {position}, {hash_} FROM {events.table} ORDER BY {position} DESC LIMIT 1"
        )
        return cursor.fetchone() or (0, GENESIS)


def append(
    stream_id: uuid.UUID,
    expected_version: int,
    events: Sequence[DomainEvent],
    *,
    company,
    actor=None,
    stream_type: str = "order",
    occurred_at: dt.datetime | None = None,
    correlation_id: str | None = None,
    causation_id: str | None = None,
) -> list[RecordedEvent]:
    """Append `events` to a stream atomically, if the stream is at `expected_version`.

    Raises ConcurrencyError (and writes nothing) when someone else appended first. Runs inside
    the caller's transaction when there is one, so the inline projections and the caller's own
    writes commit or roll back together with the events. `company` is a Company or its id.
    """
    if not events:
        raise ValueError("append() needs at least one event.")
    if occurred_at is not None and timezone.is_naive(occurred_at):
        # The hash would read a naive time as the server's local time, the database as
        # TIME_ZONE: the two disagree wherever they differ, and the event would not verify.
        raise ValueError("occurred_at must be timezone-aware.")
    # The hash covers str(stream_id); the column gives back a UUID. Hash what will be read back.
    stream_id = uuid.UUID(str(stream_id))
    using = router.db_for_write(Event)
    recorded_at = timezone.now()
    occurred_at = occurred_at or recorded_at
    metadata = event_metadata(actor, correlation_id=correlation_id, causation_id=causation_id)
    with write_transaction(using):
        _lock_log(using)
        current = stream_version(stream_id, using=using)
        if current != expected_version:
            raise ConcurrencyError(stream_id, expected_version, current)
        position, prev_hash = _head(using)
        rows: list[Event] = []
        for offset, event in enumerate(events, start=1):
            row = Event(
                id=uuid.uuid4(),
                position=position + offset,
                stream_type=stream_type,
                stream_id=stream_id,
                version=expected_version + offset,
                event_type=event.event_type,
                schema_version=event.schema_version,
                payload=event.to_payload(),
                metadata=metadata,
                company_id=getattr(company, "pk", company),
                occurred_at=occurred_at,
                recorded_at=recorded_at,
                prev_hash=prev_hash,
            )
            row.hash = prev_hash = hash_of(row)
            rows.append(row)
        try:
            with transaction.atomic(using=using):
                table(Event, using).insert(_as_dict(row) for row in rows)
        except IntegrityError:
            # Only reachable without a serialising lock (e.g. a misconfigured database):
            # the unique (stream, version) constraint is the last line of defence.
            raise ConcurrencyError(
                stream_id, expected_version, stream_version(stream_id, using=using)
            ) from None
        recorded = [_recorded(row, data) for row, data in zip(rows, events, strict=True)]
        for handler in _inline_handlers:
            handler(recorded, using)
    return recorded


_added_metadata: contextvars.ContextVar[tuple[tuple[str, Any], ...]] = contextvars.ContextVar(
    "added_metadata", default=()
)


@contextlib.contextmanager
def metadata_added(**fields: Any) -> Iterator[None]:
    """Add `fields` (JSON values) to the metadata of every event appended inside the block.

    For writers that are not a page: `import_orders` says on each event that it was imported,
    from which file and row, while going through the same commands as the pages.
    """
    token = _added_metadata.set((*_added_metadata.get(), *fields.items()))
    try:
        yield
    finally:
        _added_metadata.reset(token)


def event_metadata(
    actor=None, *, correlation_id: str | None = None, causation_id: str | None = None
) -> dict[str, Any]:
    """The metadata `append` records: who acted (None: the system) and the request it served,
    plus any `metadata_added` fields. An actor without a primary key (the import's operator,
    who is not a user) has a username but no `actor_id`."""
    actor_pk = getattr(actor, "pk", None)
    return {
        "actor_id": str(actor_pk) if actor_pk is not None else None,
        "actor_username": actor.get_username() if actor is not None else "system",
        "correlation_id": correlation_id or current_request_id(),
        "causation_id": causation_id,
        **dict(_added_metadata.get()),
    }


def _as_dict(row: Event) -> dict:
    return {f.attname: getattr(row, f.attname) for f in Event._meta.concrete_fields}


def hash_of(row: Event) -> str:
    """The chain hash of a stored (or about to be stored) event row."""
    return event_hash(
        prev_hash=row.prev_hash,
        position=row.position,
        event_id=row.id,
        stream_type=row.stream_type,
        stream_id=row.stream_id,
        version=row.version,
        event_type=row.event_type,
        schema_version=row.schema_version,
        payload=row.payload,
        metadata=row.metadata,
        company_id=row.company_id,
        occurred_at=row.occurred_at,
        recorded_at=row.recorded_at,
    )


def read_stream(
    stream_id: uuid.UUID,
    *,
    up_to_version: int | None = None,
    until: dt.datetime | None = None,
    company=None,
    using: str = "default",
) -> list[RecordedEvent]:
    """A stream's events in version order; optionally only up to a version or a moment.

    With `until`, the stream stops at its first event that occurred later: a history never has
    a hole, even if an event was recorded with an earlier `occurred_at` than the one before it.
    """
    events = table(Event, using)
    column = events.column_of
    where = [f"{column['stream_id']} = %s"]
    params = [events.prep("stream_id", stream_id)]
    if company is not None:
        where.append(f"{column['company_id']} = %s")
        params.append(events.prep("company_id", getattr(company, "pk", company)))
    if up_to_version is not None:
        where.append(f"{column['version']} <= %s")
        params.append(up_to_version)
    rows = events.select(" AND ".join(where), params, tail=f"ORDER BY {column['version']}")
    if until is not None:
        rows = list(itertools.takewhile(lambda row: row["occurred_at"] <= until, rows))
    return [_recorded(_Row(row)) for row in rows]


def read_all(
    after_position: int = 0,
    *,
    batch_size: int = 2000,
    up_to_position: int | None = None,
    using: str = "default",
) -> Iterator[list[RecordedEvent]]:
    """The whole log in position order, as batches, with memory bounded by `batch_size`.

    Keyset pagination on the unique position index: each batch is one indexed range query, so
    reading the millionth event costs the same as reading the first.
    """
    return _scan("position", after_position, batch_size, up_to_position, using)


def read_by_stream(
    *, up_to_position: int | None = None, batch_size: int = 5000, using: str = "default"
) -> Iterator[list[RecordedEvent]]:
    """Every event (up to a position) stream by stream: by stream id, then version.

    For replays whose result does not depend on how streams interleave in the log: each
    stream's events come together, so a replay finishes one stream's rows before the next and
    never has to come back to them. Keyset pagination on the unique (stream, version) index.
    """
    return _scan("stream", 0, batch_size, up_to_position, using)


def _scan(order, after_position, batch_size, up_to_position, using, *, as_stored=False):
    """Batches of the log in `order` ("position" or "stream"), each one indexed range query.

    The hot path of every replay: on SQLite it reads the columns as stored and leaves decoding
    to first use (`_replayed`); elsewhere rows are converted as the ORM converts them.
    `as_stored`: every column as the ORM gives it back, as `_Row`s (what verification hashes).
    """
    connection = connections[using]
    events = table(Event, using)
    lean = (
        not as_stored
        and connection.vendor == "sqlite"
        and not connection.settings_dict.get("TIME_ZONE")
    )
    sql = _scan_sql(using, order, up_to_position is not None, int(batch_size), lean)
    if order == "position":
        key = (after_position,)
    else:  # before every stream: (the nil UUID, version 0), valid on every database
        key = (events.prep("stream_id", uuid.UUID(int=0)), 0)
    while True:
        params = [*key, up_to_position] if up_to_position is not None else [*key]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if not rows:
            return
        if lean:
            batch = [_replayed(row) for row in rows]
        elif as_stored:
            batch = [_Row(events._convert(row)) for row in rows]
        else:
            batch = [_recorded(_Row(events._convert(row))) for row in rows]
        yield batch
        last = batch[-1]
        key = (
            (last.position,)
            if order == "position"
            else (events.prep("stream_id", last.stream_id), last.version)
        )


@lru_cache(maxsize=32)
def _scan_sql(using: str, order: str, bounded: bool, limit: int, lean: bool) -> str:
    """The replay SELECT. In the lean form the datetimes are selected as expressions
    (`CAST … AS TEXT`): the driver converts a column *declared* datetime on every row (Django
    registers that), and `aware_from_text` does the same job in a fraction of the time;
    `json_extract` hands the projectors the actor without decoding the whole metadata."""
    events = table(Event, using)
    c = events.column_of
    columns = events.columns
    if lean:
        columns = ", ".join(
            [
                c["id"],
                c["position"],
                c["stream_type"],
                c["stream_id"],
                c["version"],
                c["event_type"],
                c["schema_version"],
                c["payload"],
                c["metadata"],
                f"json_extract({c['metadata']}, '$.actor_username')",
                c["company_id"],
                f"CAST({c['occurred_at']} AS TEXT)",
                f"CAST({c['recorded_at']} AS TEXT)",
            ]
        )
    if order == "position":
        where, order_by = f"{c['position']} > %s", c["position"]
    else:
        where = f"({c['stream_id']}, {c['version']}) > (%s, %s)"
        order_by = f"{c['stream_id']}, {c['version']}"
    if bounded:
        where += f" AND {c['position']} <= %s"
    return f"SELECT {columns} FROM {events.table} WHERE {where} ORDER BY {order_by} LIMIT {limit}"


def _replayed(row: tuple) -> RecordedEvent:
    (id_, position, stream_type, stream_id, version, event_type, schema_version) = row[:7]
    (payload, metadata, actor, company_id, occurred_at, recorded_at) = row[7:]
    return RecordedEvent(
        id=id_,
        position=position,
        stream_type=stream_type,
        stream_id=uuid_from_hex(stream_id),
        version=version,
        event_type=event_type,
        schema_version=schema_version,
        payload=payload,
        metadata=metadata,
        actor_username=actor if isinstance(actor, str) else None,
        company_id=uuid_from_hex(company_id),
        occurred_at=aware_from_text(occurred_at),
        recorded_at=recorded_at,
    )


class _Row:
    """A stored event row with attribute access (what `hash_of` and `_recorded` read)."""

    __slots__ = ("__dict__",)

    def __init__(self, values: dict):
        self.__dict__ = values


def iter_rows(
    after_position: int = 0,
    *,
    batch_size: int = 2000,
    up_to_position: int | None = None,
    using: str = "default",
) -> Iterator[list[_Row]]:
    """Stored rows in position order, in batches (verification hashes these as stored)."""
    return _scan("position", after_position, batch_size, up_to_position, using, as_stored=True)


def head_position(*, using: str = "default") -> int:
    return Event.objects.using(using).aggregate(p=Max("position"))["p"] or 0


def _recorded(row: Event, data: DomainEvent | None = None) -> RecordedEvent:
    return RecordedEvent(
        id=row.id,
        position=row.position,
        stream_type=row.stream_type,
        stream_id=row.stream_id,
        version=row.version,
        event_type=row.event_type,
        schema_version=row.schema_version,
        data=data
        if data is not None
        else deserialize(row.event_type, row.schema_version, row.payload),
        metadata=row.metadata,
        company_id=row.company_id,
        occurred_at=row.occurred_at,
        recorded_at=row.recorded_at,
    )


def _lock_log(using: str) -> None:
    connection = connections[using]
    if connection.vendor == "postgresql":  # pragma: no cover - SQLite is the tested default
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_LOG_LOCK_KEY])
