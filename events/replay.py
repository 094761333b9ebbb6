"""Replaying the log: batches of the whole log, in position order or stream by stream.

What rebuilds, catch-up and verification read, at a million events a run. This is the event
core's hot path, so it reads with hand-tuned SQL (`events.sqlrows`, raw cursors): keyset
pagination on a unique index, and on SQLite the columns as stored, decoded on first use. Pages
and commands read through `events.store.read_stream` and the ORM instead.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from functools import lru_cache, partial

from django.db import connections

from . import keystore, sealing
from .models import Event
from .sqlrows import aware_from_text, table, uuid_from_hex
from .store import RecordedEvent, recorded_event


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
    *,
    up_to_position: int | None = None,
    batch_size: int = 5000,
    using: str = "default",
    streams: tuple[uuid.UUID | None, uuid.UUID | None] = (None, None),
) -> Iterator[list[RecordedEvent]]:
    """Every event (up to a position) stream by stream: by stream id, then version.

    For replays whose result does not depend on how streams interleave in the log: each
    stream's events come together, so a replay finishes one stream's rows before the next and
    never has to come back to them. Keyset pagination on the unique (stream, version) index.
    `streams`: only the stream ids in [first, end) (None: from the first, to the last), a
    range of `stream_ranges`.
    """
    first, end = streams
    return _scan("stream", 0, batch_size, up_to_position, using, first_stream=first, end=end)


def stream_ranges(
    parts: int, *, up_to_position: int, using: str = "default"
) -> list[tuple[uuid.UUID | None, uuid.UUID | None]]:
    """At most `parts` ranges of stream ids, [first, end), that together hold every stream and
    about as many of the events (0, up_to_position] each (a stream is never split). For
    replaying the ranges side by side (`read_by_stream(streams=...)`). The bounds are the
    stream ids at every (events / parts)-th event in stream order: one statement each, walking
    the (stream, version) index."""
    connection = connections[using]
    events = table(Event, using)
    c = events.column_of
    where = f"WHERE {c['position']} <= %s"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {events.table} {where}", [up_to_position])
        (count,) = cursor.fetchone()
        parts = min(parts, count)
        bounds: list[uuid.UUID] = []
        # A bound at the first stream would make an empty first range (a process for nothing).
        cursor.execute(
            f"SELECT {c['stream_id']} FROM {events.table} {where} "
            f"ORDER BY {c['stream_id']}, {c['version']} LIMIT 1",
            [up_to_position],
        )
        first = cursor.fetchone()
        lowest = (
            (uuid_from_hex(first[0]) if isinstance(first[0], str) else first[0]) if first else None
        )
        for part in range(1, max(parts, 1)):
            cursor.execute(
                f"SELECT {c['stream_id']} FROM {events.table} {where} "
                f"ORDER BY {c['stream_id']}, {c['version']} LIMIT 1 OFFSET %s",
                [up_to_position, count * part // parts],
            )
            (value,) = cursor.fetchone()
            bound = uuid_from_hex(value) if isinstance(value, str) else value
            if bound > (bounds[-1] if bounds else lowest):
                bounds.append(bound)
    edges = [None, *bounds, None]
    return list(itertools.pairwise(edges))


def cache_keys(batch: list[RecordedEvent]) -> None:
    """Inside `keystore.keys_cached()`: read the keys of everything sealed in the batch's
    payloads in a few statements, before any is decoded; else each subject's key is a query
    when its first payload is opened, thousands per batch (a round trip each on PostgreSQL).
    Reading the keys of payloads no projector opens (a note's) too still costs less: on the
    bench's 20,000 orders, 85 statements instead of 22,000 (a quarter of the time)."""
    key_ids: set[str] = set()
    for event in batch:
        text = event.payload_text
        if text is not None:
            key_ids |= sealing.key_ids_in_text(text)
    if key_ids:
        keystore.cache_secrets(key_ids)


def _scan(
    order,
    after_position,
    batch_size,
    up_to_position,
    using,
    *,
    as_stored=False,
    first_stream=None,
    end=None,
):
    """Batches of the log in `order` ("position" or "stream"), each one indexed range query.

    The hot path of every replay: on SQLite it reads the columns as stored and leaves decoding
    to first use (`_replayed`); elsewhere rows are converted as the ORM converts them.
    `as_stored`: every column as the ORM gives it back, as `_Row`s (what verification hashes).
    `first_stream`, `end`: in stream order, only the stream ids in [first_stream, end).
    """
    connection = connections[using]
    events = table(Event, using)
    lean = not as_stored and (
        connection.vendor == "postgresql" or not connection.settings_dict.get("TIME_ZONE")
    )
    replayed = _replayed_native if connection.vendor == "postgresql" else _replayed
    sql = _scan_sql(
        using, order, up_to_position is not None, int(batch_size), lean, end is not None
    )
    if order == "position":
        key = (after_position,)
    else:  # before the first stream: (its id or the nil UUID, version 0), valid everywhere
        key = (events.prep("stream_id", first_stream or uuid.UUID(int=0)), 0)
    bounds = [] if up_to_position is None else [up_to_position]
    if end is not None:
        bounds.append(events.prep("stream_id", end))
    while True:
        params = [*key, *bounds]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if not rows:
            return
        if lean:
            batch = [replayed(row) for row in rows]
        elif as_stored:
            batch = [_stored_row(events, row) for row in rows]
        else:
            batch = [recorded_event(_Row(events.convert(row))) for row in rows]
        yield batch
        last = batch[-1]
        key = (
            (last.position,)
            if order == "position"
            else (events.prep("stream_id", last.stream_id), last.version)
        )


@lru_cache(maxsize=32)
def _scan_sql(
    using: str, order: str, bounded: bool, limit: int, lean: bool, ends: bool = False
) -> str:
    """The replay SELECT. The lean form selects the actor out of the metadata in SQL (the
    projectors get it without decoding the whole metadata), and the JSON as text, decoded on
    first use (Django's PostgreSQL connections load jsonb as text). On SQLite the datetimes are
    selected as expressions (`CAST … AS TEXT`): the driver converts a column *declared*
    datetime on every row (Django registers that), and `aware_from_text` does the same job in
    a fraction of the time; the driver's own timestamptz loader is fast."""
    events = table(Event, using)
    c = events.column_of
    columns = events.columns
    if lean and connections[using].vendor == "postgresql":
        actor = f"{c['metadata']} ->> 'actor_username'"
        occurred_at, recorded_at = c["occurred_at"], c["recorded_at"]
    else:
        actor = f"json_extract({c['metadata']}, '$.actor_username')"
        occurred_at = f"CAST({c['occurred_at']} AS TEXT)"
        recorded_at = f"CAST({c['recorded_at']} AS TEXT)"
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
                actor,
                c["company_id"],
                occurred_at,
                recorded_at,
            ]
        )
    if order == "position":
        where, order_by = f"{c['position']} > %s", c["position"]
    else:
        where = f"({c['stream_id']}, {c['version']}) > (%s, %s)"
        order_by = f"{c['stream_id']}, {c['version']}"
    if bounded:
        where += f" AND {c['position']} <= %s"
    if ends:
        where += f" AND {c['stream_id']} < %s"
    return f"SELECT {columns} FROM {events.table} WHERE {where} ORDER BY {order_by} LIMIT {limit}"


def _replayed(row: tuple, uuid_of=uuid_from_hex, when=aware_from_text) -> RecordedEvent:
    """A replayed row as a `RecordedEvent`: ids and the time converted from SQLite's text by
    default; `_replayed_native` for a driver that gives UUIDs and aware datetimes (psycopg)."""
    (id_, position, stream_type, stream_id, version, event_type, schema_version) = row[:7]
    (payload, metadata, actor, company_id, occurred_at, recorded_at) = row[7:]
    return RecordedEvent(
        id=id_,
        position=position,
        stream_type=stream_type,
        stream_id=uuid_of(stream_id),
        version=version,
        event_type=event_type,
        schema_version=schema_version,
        payload=payload,
        metadata=metadata,
        actor_username=actor if isinstance(actor, str) else None,
        company_id=uuid_of(company_id),
        occurred_at=when(occurred_at),
        recorded_at=recorded_at,
    )


def _as_is(value):
    return value


_replayed_native = partial(_replayed, uuid_of=_as_is, when=_as_is)


_JSON_COLUMNS = ("payload", "metadata")


def _stored_row(events, raw: tuple) -> _Row:
    """A row converted as the ORM converts it, plus `stored_json`: the JSON columns' text as
    stored, where the database keeps text (SQLite), for verification to compare with what the
    hash covers; None where the database keeps parsed JSON (PostgreSQL's jsonb)."""
    row = _Row(events.convert(raw))
    texts = {name: raw[events.attnames.index(name)] for name in _JSON_COLUMNS}
    row.stored_json = texts if all(isinstance(t, str) for t in texts.values()) else None
    return row


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
