"""The event store API: append with optimistic concurrency, read a stream, the writers' transaction.

Writers are serialised by `write_transaction()`, the one way to open a transaction that writes:
on SQLite it is `transaction.atomic()`, which settings run as `BEGIN IMMEDIATE` (the database's
single write lock from the first statement; the next writer waits in `busy_timeout` instead of
failing); on PostgreSQL the transaction's first statement takes an advisory lock
(`events.postgres.lock_writers`). Either way
"read the head, write head + 1" is safe, a command's own reads happen under the lock, and
positions increase in commit order. Replaying the log (rebuilds, catch-up, verification) lives
in `events.replay`.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import itertools
import json
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache
from typing import Any, NamedTuple

from django.db import connections, router, transaction
from django.db.models import Max, Model
from django.utils import timezone

from common.form_fields import EARLIEST_DATE, LATEST_DATE
from common.request_context import current_request_id

from . import keystore, postgres, sealing, witness
from .exceptions import ConcurrencyError, OccurredAtOutOfRange, StreamOwnershipError
from .hashing import GENESIS, event_hash
from .models import Event
from .registry import DomainEvent, deserialize
from .sqlrows import aware_from_text, table


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
        "number",
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
        number: int | None = None,
    ):
        self._id = id  # a UUID, or the stored hex
        self.number = number  # in the company's log, when read with the row (`recorded_event`)
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
            self._data = _decode(self, self._payload)
            self._payload = None
        return self._data

    @property
    def payload_text(self) -> str | None:
        """The payload's stored JSON text while it is not decoded yet (a replay's rows are
        decoded on first use); None once decoded, or when it was never text."""
        return self._payload if isinstance(self._payload, str) else None

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


def _decode(event: RecordedEvent, payload) -> DomainEvent:
    """The typed event of a stored payload (JSON text or a dict), sealed fields opened."""
    event_type, schema_version = event.event_type, event.schema_version
    if isinstance(payload, str):
        if not sealing.may_hold_sealed(payload):
            if len(payload) <= _SHARED_PAYLOAD_CHARS:
                return _decode_shared(event_type, schema_version, payload)
            return deserialize(event_type, schema_version, json.loads(payload))
        payload = sealing.open_stored(
            payload, company_id=event.company_id, stream_id=event.stream_id
        )
        return deserialize(event_type, schema_version, payload)
    payload = sealing.open_payload(payload, company_id=event.company_id, stream_id=event.stream_id)
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


_writers = threading.local()  # per thread: the open writer transactions, by alias


class _Writer:
    """What one open writer transaction knows: the log's head as `load_current` read it (None
    once anything is appended: then `_head` reads it again) and the rows it loaded, which the
    inline projections take instead of reading them again (`preloaded`)."""

    __slots__ = ("extras", "head", "loaded", "streams")

    def __init__(self):
        self.head: tuple[int, str] | None = None
        self.loaded: dict[tuple[type, str], dict] = {}
        # stream id -> its last event as `load_current` read it (None: no events yet); an
        # append to the stream drops its entry, so only what the database holds now is here.
        self.streams: dict[uuid.UUID, StreamHead | None] = {}
        # name -> the value of a `register_head_read` subquery, read with the log's head
        # (handed over once: `head_read`).
        self.extras: dict[str, Any] = {}


class StreamHead(NamedTuple):
    """A stream's last event as stored (its company id and event id as the database gives
    them back). The event id names the stream's whole content, since events are never changed
    and ids never reused: a reader may key a cache of what it derived from the stream on it."""

    stream_type: str
    company_id: Any
    version: int
    event_id: Any


def _open_writers() -> dict[str, _Writer]:
    writers = getattr(_writers, "open", None)
    if writers is None:
        writers = _writers.open = {}
    return writers


@contextlib.contextmanager
def write_transaction(using: str = "default") -> Iterator[None]:
    """The transaction every writer opens (commands, `append`): one writer at a time.

    SQLite: `transaction.atomic()`, run as `BEGIN IMMEDIATE` (settings), so the write lock is
    held from the first statement and other writers queue in `busy_timeout`. PostgreSQL: the
    first statement takes the writers' advisory lock (`events.postgres.lock_writers`), released at
    commit or rollback. Nested writers join the outer one (no savepoint, no second lock); an error
    still unwinds the whole outer writer. Raises whatever the body raises, after rolling back.
    """
    writers = _open_writers()
    if using in writers:
        with transaction.atomic(using=using, savepoint=False):
            yield
        return
    with transaction.atomic(using=using), keystore.keys_cached():
        postgres.lock_writers(using)  # PostgreSQL: serialise the whole command, from here
        writers[using] = _Writer()
        try:
            yield
        finally:
            del writers[using]


def _writer(using: str) -> _Writer:
    writer = _open_writers().get(using)
    if writer is None:
        raise RuntimeError("Call this inside store.write_transaction().")
    return writer


_head_reads: dict[str, Callable[[str], str]] = {}


def register_head_read(name: str, sql: Callable[[str], str]) -> None:
    """Have the read of the log's head that every append starts from (`load_current`'s, or
    `append`'s own) also select `sql(using)`: a SELECT of one value, without parameters, for
    `head_read(name)` to hand over in the same writer transaction. A floor above the log reads
    what it needs for every append (the projections' checkpoints) without a statement of its own.
    """
    _head_reads[name] = sql


def _head_read_columns(using: str) -> list[str]:
    return [f"({sql(using)})" for sql in _head_reads.values()]


def _keep_head_reads(writer: _Writer, values: Sequence) -> None:
    writer.extras = dict(zip(_head_reads, values, strict=True))


def head_read(name: str, *, using: str = "default"):
    """The value of the `register_head_read` subquery `name` as this writer transaction read it
    with the log's head, handed over once (then `NOT_LOADED`, as outside a writer): whoever
    takes it may change what it read, so a second append reads it again."""
    writer = _open_writers().get(using)
    if writer is None:
        return NOT_LOADED
    return writer.extras.pop(name, NOT_LOADED)


_stream_rows: dict[str, list[type[Model]]] = {}


def register_stream_rows(stream_type: str, model: type[Model]) -> None:
    """Declare that `model` has (at most) one row per stream of `stream_type`, keyed by the
    stream id, written by an inline projection: `load_current` reads it with the stream's state
    so that the projection need not read it again."""
    models = _stream_rows.setdefault(stream_type, [])
    if model not in models:
        models.append(model)


def load_current(
    model: type[Model],
    stream_id,
    *,
    company_id,
    stream_type: str = "order",
    related_streams: Sequence[uuid.UUID] = (),
    using: str | None = None,
) -> Model | None:
    """An aggregate's current-state row (`model`, keyed by the stream id) in the actor's company,
    or None: what a command needs before it appends (its state and version), in one statement.

    The same statement reads the log's head (which `append` needs next: no other writer can
    move it while this writer transaction is open), the stream's rows of the inline projections
    (`register_stream_rows`), which the projections then take from `preloaded` instead of
    reading them again, and the last event of the stream and of each of `related_streams` (a
    `StreamHead`): `append` checks the stream's owner on it, and a reader of a related stream
    (the company's policy) asks `preloaded_head` for its version, and the `register_head_read`
    values (the projections' checkpoints). Call it inside `write_transaction()`. Raises
    ValidationError for a malformed id (as the ORM would).
    """
    using = using or router.db_for_write(model)
    writer = _writer(using)
    others = [other for other in _stream_rows.get(stream_type, ()) if other is not model]
    tables = [table(model, using), *(table(other, using) for other in others)]
    events = table(Event, using)
    main = tables[0]
    columns, joins = [], []
    for index, each in enumerate(tables):
        # A stream-rows model on the main model's own table (the order's summary row is its
        # state row) is read from the same row, not joined to itself.
        alias = "t0" if each.table == main.table else f"t{index}"
        columns += [f"{alias}.{each.column_of[name]}" for name in each.attnames]
        if alias != "t0":
            joins.append(
                f"LEFT JOIN {each.table} t{index} "
                f"ON t{index}.{each.column_of[each.pk]} = t0.{main.column_of[main.pk]}"
            )
    e = events.column_of
    streams = [uuid.UUID(str(each)) for each in (stream_id, *related_streams)]
    last = f"{e['stream_type']}, {e['company_id']}, {e['version']}, {e['id']}"
    for index in range(len(streams)):
        columns += [f"s{index}.{name}" for name in last.split(", ")]
        joins.append(
            f"LEFT JOIN (SELECT {last} FROM {events.table} WHERE {e['stream_id']} = %s "
            f"ORDER BY {e['version']} DESC LIMIT 1) s{index} ON 1 = 1"
        )
    position, hash_ = e["position"], e["hash"]
    columns += _head_read_columns(using)
    sql = (
        f"SELECT {', '.join(columns)}, h.{position}, h.{hash_} FROM {main.table} t0 "
        f"{' '.join(joins)} LEFT JOIN (SELECT {position}, {hash_} FROM {events.table} "
        f"ORDER BY {position} DESC LIMIT 1) h ON 1 = 1 "
        f"WHERE t0.{main.column_of['company_id']} = %s AND t0.{main.column_of[main.pk]} = %s"
    )
    params = [events.prep("stream_id", each) for each in streams]
    params += [main.prep("company_id", company_id), main.prep(main.pk, stream_id)]
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        raw = cursor.fetchone()
    if raw is None:
        return None
    start, rows = 0, []
    for index, each in enumerate(tables):
        writer.loaded.pop((each.model, using), None)  # what an earlier append knew is stale
        values = raw[start : start + len(each.attnames)]
        start += len(values)
        if values[each.attnames.index(each.pk)] is not None:  # else: no row of this model yet
            row = each.convert(values)
            if index or each.model in _stream_rows.get(stream_type, ()):
                writer.loaded[(each.model, using)] = {row[each.pk]: row}  # a projection's
            rows.append(row)
    for each in streams:
        head = StreamHead(*raw[start : start + 4])
        start += 4
        writer.streams[each] = head if head.version is not None else None
    _keep_head_reads(writer, raw[start : start + len(_head_reads)])
    start += len(_head_reads)
    head_position, head_hash = raw[start], raw[start + 1]
    writer.head = (head_position, head_hash) if head_position is not None else (0, GENESIS)
    # The instance gets its own values: the projection edits the row dict in place.
    return model.from_db(using, main.attnames, [rows[0][name] for name in main.attnames])


def preloaded(model: type[Model], using: str) -> dict:
    """The rows of `model` that `load_current` read in this writer transaction, by primary
    key, handed over once (a second call gets {}): after the projection writes them, only the
    database has them right. A key whose value is None has no row: its stream had no events
    before this writer's `append` (`register_stream_rows` models only)."""
    writer = _open_writers().get(using)
    if writer is None:
        return {}
    return writer.loaded.pop((model, using), {})


NOT_LOADED = object()  # `preloaded_head`'s answer for a stream `load_current` did not read


def preloaded_head(stream_id, *, using: str = "default"):
    """The stream's last event (`StreamHead`, or None for a stream with no events) as
    `load_current` read it in this writer transaction, or `NOT_LOADED` when it was not read
    (outside a writer, another stream, or appended to since)."""
    writer = _open_writers().get(using)
    if writer is None:
        return NOT_LOADED
    return writer.streams.get(uuid.UUID(str(stream_id)), NOT_LOADED)


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


def append_at_end(stream_id: uuid.UUID, events: Sequence[DomainEvent], **options):
    """`append` after the stream's last event, its version read inside the caller's writer
    transaction: for streams nobody edits against a version they were shown (a user's account,
    a company's settings, an endpoint, an outbox item, an erasure). Options as `append`'s."""
    return append(stream_id, stream_version(stream_id), events, **options)


def _owner_and_head(
    stream_id: uuid.UUID, writer: _Writer, using: str
) -> tuple[tuple | None, tuple[int, str]]:
    """In one statement: the stream's (type, company id as stored, version) from its last event
    (None if it has none) and the log's head (position, hash), (0, GENESIS) when empty; and the
    `register_head_read` values, kept in `writer`."""
    events = table(Event, using)
    c = events.column_of
    extras = "".join(f", {column}" for column in _head_read_columns(using))
    sql = (
        f"SELECT s.{c['stream_type']}, s.{c['company_id']}, s.{c['version']}, "
        f"h.{c['position']}, h.{c['hash']}{extras} FROM (SELECT 1) one "
        f"LEFT JOIN (SELECT {c['stream_type']}, {c['company_id']}, {c['version']} "
        f"FROM {events.table} WHERE {c['stream_id']} = %s "
        f"ORDER BY {c['version']} DESC LIMIT 1) s ON 1 = 1 "
        f"LEFT JOIN (SELECT {c['position']}, {c['hash']} FROM {events.table} "
        f"ORDER BY {c['position']} DESC LIMIT 1) h ON 1 = 1"
    )
    with connections[using].cursor() as cursor:
        cursor.execute(sql, [events.prep("stream_id", stream_id)])
        type_, company, version, position, hash_, *extra = cursor.fetchone()
    _keep_head_reads(writer, extra)
    owner = (type_, company, version) if version is not None else None
    return owner, ((position, hash_) if position is not None else (0, GENESIS))


def _head(using: str) -> tuple[int, str]:
    """The last event's position and hash ((0, GENESIS) for an empty log)."""
    writer = _open_writers().get(using)
    if writer is not None and writer.head is not None:
        return writer.head
    with connections[using].cursor() as cursor:
        events = table(Event, using)
        position, hash_ = events.column_of["position"], events.column_of["hash"]
        cursor.execute(
            f"SELECT {position}, {hash_} FROM {events.table} ORDER BY {position} DESC LIMIT 1"
        )
        return cursor.fetchone() or (0, GENESIS)


def new_event_id() -> uuid.UUID:
    """A time-ordered UUID (version 7, RFC 9562: 48 bits of Unix milliseconds, then random
    bits): new events' ids land at the right edge of the primary key's B-tree instead of on a
    random page of it, so an append rewrites one leaf page there, not a random one."""
    value = (time.time_ns() // 1_000_000) << 80 | int.from_bytes(os.urandom(10))
    value = value & ~(0xF << 76) | 0x7 << 76  # version 7
    value = value & ~(0x3 << 62) | 0x2 << 62  # the RFC variant
    return uuid.UUID(int=value)


def check_occurred_at(occurred_at: dt.datetime) -> None:
    """Raise `OccurredAtOutOfRange` unless the aware `occurred_at`, in UTC, falls on a date
    inside `common.form_fields` EARLIEST_DATE..LATEST_DATE: the hash converts it to UTC and
    every page to its time zone, and both overflow Python's datetime near year 1 and 9999."""
    try:
        day = occurred_at.astimezone(dt.UTC).date()
    except OverflowError:
        day = None
    if day is None or not EARLIEST_DATE <= day <= LATEST_DATE:
        raise OccurredAtOutOfRange(occurred_at, EARLIEST_DATE, LATEST_DATE)


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
    version_checked: bool = False,
) -> list[RecordedEvent]:
    """Append `events` to a stream atomically, if the stream is at `expected_version`.

    Raises ConcurrencyError (and writes nothing) when someone else appended first, and
    OccurredAtOutOfRange for an `occurred_at` the log cannot hold (`check_occurred_at`). Runs inside
    the caller's transaction when there is one, so the inline projections and the caller's own
    writes commit or roll back together with the events. `company` is a Company or its id.

    `version_checked=True`: the caller read `expected_version` from the stream inside its own
    writer transaction (the commands do, from the order's state row) and compared it already,
    so the version is not read again. A stale read can only be lower than the stream's version
    (the state row never runs ahead of the log), and then the unique (stream, version)
    constraint refuses the insert: still a ConcurrencyError, never a gap or a duplicate.
    """
    if not events:
        raise ValueError("append() needs at least one event.")
    if occurred_at is not None and timezone.is_naive(occurred_at):
        # The hash would read a naive time as the server's local time, the database as
        # TIME_ZONE: the two disagree wherever they differ, and the event would not verify.
        raise ValueError("occurred_at must be timezone-aware.")
    if occurred_at is not None:
        check_occurred_at(occurred_at)
    # The hash covers str(stream_id); the column gives back a UUID. Hash what will be read back.
    stream_id = uuid.UUID(str(stream_id))
    using = router.db_for_write(Event)
    recorded_at = timezone.now()
    occurred_at = occurred_at or recorded_at
    metadata = event_metadata(actor, correlation_id=correlation_id, causation_id=causation_id)
    company_id = getattr(company, "pk", company)
    with write_transaction(using):
        # One stream id, one stream type, one company, for good: checked here, under the
        # writers' lock, whoever calls (a client-chosen id must never reach another stream).
        writer = _writer(using)
        owner = writer.streams.pop(stream_id, NOT_LOADED)  # read by load_current
        if owner is NOT_LOADED:
            owner, head = _owner_and_head(stream_id, writer, using)
            writer.head = writer.head or head
        if owner is None:
            # A stream with no events has no rows in the inline projections keyed by its id
            # (they are made only by its events): they need not look for any.
            for model in _stream_rows.get(stream_type, ()):
                writer.loaded.setdefault((model, using), {})[stream_id] = None
        if owner is not None and (
            owner[0] != stream_type
            or str(owner[1]).replace("-", "") != str(company_id).replace("-", "")
        ):
            raise StreamOwnershipError(stream_id, stream_type, company_id, owner[:2])
        if not version_checked:
            current = owner[2] if owner is not None else 0
            if current != expected_version:
                raise ConcurrencyError(stream_id, expected_version, current)
        position, prev_hash = _head(using)
        rows: list[Event] = []
        for offset, event in enumerate(events, start=1):
            row = Event(
                id=new_event_id(),
                position=position + offset,
                stream_type=stream_type,
                stream_id=stream_id,
                version=expected_version + offset,
                event_type=event.event_type,
                schema_version=event.schema_version,
                payload=sealing.seal_payload(
                    event,
                    event.to_payload(),
                    company_id=company_id,
                    stream_type=stream_type,
                    stream_id=stream_id,
                ),
                metadata=metadata,
                company_id=company_id,
                occurred_at=occurred_at,
                recorded_at=recorded_at,
                prev_hash=prev_hash,
            )
            row.hash = prev_hash = hash_of(row)
            rows.append(row)
        writer.head = None  # read again by the next append (a savepoint may undo this)
        # The company number is counted by the INSERT itself (one more than the company's
        # highest, found in the (company, number) index): nothing to read beforehand.
        inserted = table(Event, using).insert_numbered(
            [_as_dict(row) for row in rows], "number", "company_id"
        )
        if inserted != len(rows):
            # Only reachable without a serialising lock (e.g. a misconfigured database): the
            # unique (stream, version), position and (company, number) constraints are the last
            # line of defence. The rows that did go in are undone with the writer transaction
            # this unwinds.
            raise ConcurrencyError(
                stream_id, expected_version, stream_version(stream_id, using=using)
            )
        recorded = [recorded_event(row, data) for row, data in zip(rows, events, strict=True)]
        for handler in _inline_handlers:
            handler(recorded, using)
        for model in _stream_rows.get(stream_type, ()):
            # What the projections did not take is stale now that they have written: a later
            # append in this writer transaction reads their rows from the database.
            writer.loaded.pop((model, using), None)
        witness.witness_on_commit(rows[-1].position, rows[-1].hash, using=using)
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
    rows = Event.objects.using(using).filter(stream_id=stream_id)
    if company is not None:
        rows = rows.filter(company_id=getattr(company, "pk", company))
    if up_to_version is not None:
        rows = rows.filter(version__lte=up_to_version)
    rows = rows.order_by("version")
    if until is not None:
        rows = itertools.takewhile(lambda row: row.occurred_at <= until, rows)
    with keystore.keys_cached():  # a stream's events share its subject's key: read it once
        return [recorded_event(row) for row in rows]


def head_position(*, using: str = "default") -> int:
    """The last event's position (0 for an empty log)."""
    return Event.objects.using(using).aggregate(p=Max("position"))["p"] or 0


def event_numbers(company_id, positions: list[int], *, using: str = "default") -> dict[int, int]:
    """{position: company number} for the company's events among `positions` (another
    company's events are left out).

    Looked up by position, and the company checked on the rows: given `company_id = ? AND
    position IN (…)`, SQLite (no ANALYZE statistics) may walk the company's whole index
    instead: 14 ms instead of 0.1 ms for 20,000 events a company."""
    rows = Event.objects.using(using).filter(position__in=positions)
    return {
        position: number
        for position, company, number in rows.values_list("position", "company_id", "number")
        if company == company_id or str(company) == str(company_id)
    }


def head_number(company_id, *, using: str = "default") -> int:
    """The company's last event number (0 without events)."""
    last = (
        Event.objects.using(using)
        .filter(company_id=company_id)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    return last or 0


def recorded_event(row, data: DomainEvent | None = None) -> RecordedEvent:
    """A stored row (an `Event`, or anything with its attributes) as a RecordedEvent; its
    personal fields opened. Decoded at once: an unknown type fails where the row is read."""
    event = RecordedEvent(
        id=row.id,
        position=row.position,
        stream_type=row.stream_type,
        stream_id=row.stream_id,
        version=row.version,
        event_type=row.event_type,
        schema_version=row.schema_version,
        data=data,
        payload=row.payload if data is None else None,
        metadata=row.metadata,
        company_id=row.company_id,
        occurred_at=row.occurred_at,
        recorded_at=row.recorded_at,
        number=getattr(row, "number", None),
    )
    event.data  # noqa: B018 (decoded now, see above)
    return event
