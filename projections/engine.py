"""Running projections: inline with every append, catch-up, rebuild aside and swap, verify.

Rebuild design (see memory-bank/systemPatterns.md): the new rows are built in a scratch SQLite
file, away from the live tables, while the site keeps serving. Then the few events appended
meanwhile are applied to the scratch rows and, in one short write transaction that finds no newer
event (else it steps back and catches up again), the live tables are replaced from the scratch
file (DELETE + INSERT … SELECT through ATTACH). An error or an interrupt before that transaction
commits leaves the live read models exactly as they were. On PostgreSQL, `rebuild` and `verify`
hand over to `projections/rebuild_postgres.py` (a scratch schema instead of a scratch file).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import time
import uuid
from collections.abc import Callable, Iterator

from django.db import connections, transaction

from events import replay, store
from events.sqlrows import table
from events.store import RecordedEvent

from . import scratch
from .models import ProjectionCheckpoint, key_uuid
from .registry import Projection, all_projections
from .rows import row_cache

SCRATCH_ALIAS = "projections_scratch"
Progress = Callable[[int, int], None]  # (events done, events total)


# --- inline ---------------------------------------------------------------------------------


def apply_inline(events: list[RecordedEvent], using: str) -> None:
    """Apply freshly appended events to every projection that is up to date.

    Runs inside the append's transaction, so a failing projection rolls the command back. A
    projection whose checkpoint is behind the log (new, or being caught up) is skipped: applying
    an event on top of missing history would be wrong; `catch_up` brings it forward.
    """
    before = events[0].position - 1
    last = events[-1].position
    # One statement moves every up-to-date checkpoint and says which they were. If a projector
    # then fails, the transaction (and this update with it) rolls back.
    checkpoints = table(ProjectionCheckpoint, using)
    with connections[using].cursor() as cursor:
        cursor.execute(
            f"UPDATE {checkpoints.table} SET {checkpoints.column_of['position']} = %s "
            f"WHERE {checkpoints.column_of['position']} = %s "
            f"RETURNING {checkpoints.column_of['name']}",
            [last, before],
        )
        moved = {name for (name,) in cursor.fetchall()}
    if before == 0:  # the first events ever: projections without a checkpoint row yet
        missing = {p.name for p in all_projections()} - set(checkpoint_positions(using))
        _set_checkpoints(missing, last, using)
        moved |= missing
    for projection in all_projections():
        if projection.name in moved:
            projection.apply(events, using)


def checkpoint_positions(using: str = "default") -> dict[str, int]:
    # Plain SQL: this runs in every command's transaction.
    return {row["name"]: row["position"] for row in table(ProjectionCheckpoint, using).select()}


def _set_checkpoints(names, position: int, using: str) -> None:
    """Move the named projections' checkpoints to `position` (one upsert)."""
    table(ProjectionCheckpoint, using).upsert(
        {"id": key_uuid("checkpoint", name), "name": name, "position": position} for name in names
    )


# --- catch-up -------------------------------------------------------------------------------


def catch_up(
    projection: Projection,
    *,
    batch_size: int = 2000,
    using: str = "default",
    progress: Progress | None = None,
) -> int:
    """Apply the events after the projection's checkpoint, one batch per transaction.

    Returns how many events were applied. Only the missing events are read.
    """
    applied = 0
    total = store.head_position(using=using) - checkpoint_positions(using).get(projection.name, 0)
    while True:
        with store.write_transaction(using):
            checkpoints = checkpoint_positions(using)
            position = checkpoints.get(projection.name, 0)
            batch = next(iter(replay.read_all(position, batch_size=batch_size, using=using)), [])
            if not batch:
                return applied
            projection.apply(batch, using)
            _set_checkpoints([projection.name], batch[-1].position, using)
        applied += len(batch)
        if progress:
            progress(applied, max(total, applied))


# --- building aside -------------------------------------------------------------------------


@contextlib.contextmanager
def scratch_database(using: str = "default") -> Iterator[str]:
    """A throw-away SQLite file registered as a Django database alias, removed afterwards."""
    main = connections[using]
    if main.vendor != "sqlite":  # pragma: no cover
        raise NotImplementedError("Building projections aside is implemented for SQLite.")
    path = scratch.new_path(using)
    settings = dict(connections.settings[using])
    settings.update(
        NAME=path,
        OPTIONS={"init_command": "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"},
        CONN_MAX_AGE=0,
        TEST={**settings.get("TEST", {}), "NAME": path},
    )
    # Scratch files of a rebuild or verify killed part-way go now; ours is claimed while in use.
    scratch.remove_leftovers(using)
    with scratch.claimed(path):
        connections.settings[SCRATCH_ALIAS] = settings
        try:
            yield path
        finally:
            connections[SCRATCH_ALIAS].close()
            with contextlib.suppress(AttributeError):
                delattr(connections._connections, SCRATCH_ALIAS)
            del connections.settings[SCRATCH_ALIAS]
            for suffix in scratch.SUFFIXES:
                with contextlib.suppress(FileNotFoundError):
                    os.remove(path + suffix)


def _stream_without_mmap(using: str) -> None:
    """A replay reads the whole file once: memory-mapping it, or a page cache sized for a web
    server's hot pages, would only swell this process's resident memory (mapped and cached
    pages count as ours) without making a single pass faster. Also keeps the swap's big
    DELETE + INSERT from filling a 64 MB cache. Applies to this (command-line) connection only."""
    connection = connections[using]
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA mmap_size=0")
            cursor.execute("PRAGMA cache_size=-16384")


def build_aside(
    projections: list[Projection],
    *,
    up_to: int,
    batch_size: int,
    using: str = "default",
    progress: Progress | None = None,
) -> int:
    """Create the projections' tables in the scratch database and replay (0, up_to] into them."""
    _stream_without_mmap(using)
    scratch = connections[SCRATCH_ALIAS]
    with scratch.schema_editor() as editor:
        for projection in projections:
            for model in projection.models:
                editor.create_model(model)
        # Scratch tables keep their primary and unique keys (what the projectors look rows up
        # by) but not the secondary indexes the pages need: those would only slow every write
        # here, and the swap builds them on the live tables anyway.
        editor.deferred_sql.clear()
    # Stream-local projections replay stream by stream: one stream's rows are finished before
    # the next stream's, so the row cache only ever holds the streams of a batch (plus the
    # per-company totals), whatever the log's size. The others replay in log order.
    local = [p for p in projections if p.stream_local]
    ordered = [p for p in projections if not p.stream_local]
    passes = []
    if local:
        passes.append(
            (local, replay.read_by_stream(up_to_position=up_to, batch_size=batch_size, using=using))
        )
    if ordered:
        passes.append(
            (
                ordered,
                replay.read_all(0, batch_size=batch_size, up_to_position=up_to, using=using),
            )
        )
    done = 0  # events applied, counted once however many passes read them
    with row_cache(SCRATCH_ALIAS):  # rows stay in memory across batches (bounded LRU)
        for index, (group, batches) in enumerate(passes):
            read = 0
            for batch in batches:
                with transaction.atomic(using=SCRATCH_ALIAS):
                    for projection in group:
                        projection.apply(batch, SCRATCH_ALIAS)
                read += len(batch)
                done = max(done, read)
                if progress:  # both passes read the log: each is its share of the bar
                    progress((index * up_to + read) // len(passes), up_to)
    return done


def _apply_tail(projections, after: int, up_to: int, using: str, batch_size: int) -> int:
    applied = 0
    for batch in replay.read_all(after, batch_size=batch_size, up_to_position=up_to, using=using):
        with transaction.atomic(using=SCRATCH_ALIAS):
            for projection in projections:
                projection.apply(batch, SCRATCH_ALIAS)
        applied += len(batch)
    return applied


@contextlib.contextmanager
def _attached(path: str, using: str):
    connection = connections[using]
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("ATTACH DATABASE %s AS scratch", [path])
    try:
        yield connection
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DETACH DATABASE scratch")


def _columns(model) -> str:
    return ", ".join(f'"{f.column}"' for f in model._meta.concrete_fields)


@dataclasses.dataclass
class RebuildResult:
    events: int
    seconds: float
    head: int

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


def rebuild(
    projections: list[Projection],
    *,
    batch_size: int = 5000,
    using: str = "default",
    progress: Progress | None = None,
) -> RebuildResult:
    """Replay the whole log into fresh read models and swap them in atomically."""
    if connections[using].vendor == "postgresql":
        from . import rebuild_postgres

        return rebuild_postgres.rebuild(
            projections, batch_size=batch_size, using=using, progress=progress
        )
    started = time.perf_counter()
    with scratch_database(using) as path:
        head = store.head_position(using=using)
        done = build_aside(
            projections, up_to=head, batch_size=batch_size, using=using, progress=progress
        )
        while True:
            # The events appended meanwhile go into the scratch rows *before* the swap
            # transaction: once the scratch file is attached, BEGIN IMMEDIATE locks it as well,
            # and the scratch connection could no longer write to it ("database is locked").
            tail_end = store.head_position(using=using)
            done += _apply_tail(projections, head, tail_end, using, batch_size)
            head = tail_end
            connections[SCRATCH_ALIAS].close()
            with _attached(path, using) as connection, store.write_transaction(using):
                # The write lock is held from here: no event can be appended until the swap commits.
                if store.head_position(using=using) != head:
                    continue  # appended since: leave the lock, apply those too, try again
                with connection.cursor() as cursor:
                    for projection in projections:
                        for model in projection.models:
                            _replace_rows(cursor, model)
                _set_checkpoints([p.name for p in projections], head, using)
            break
    return RebuildResult(done, time.perf_counter() - started, head)


def _replace_rows(cursor, model) -> None:
    """Replace a live table's rows with the scratch table's, inside the caller's transaction.

    The secondary indexes are dropped first and created again from their own stored SQL (so
    they come back exactly as the migrations made them): building an index from 100,000 rows
    in one sort is several times faster than updating eight B-trees row by row. Rows go in by
    primary key order, so the primary key index is appended to rather than split at random.
    """
    db_table, cols = model._meta.db_table, _columns(model)
    pk = model._meta.pk.column
    cursor.execute(
        "SELECT name, sql FROM main.sqlite_master "
        "WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL ORDER BY name",
        [db_table],
    )
    indexes = cursor.fetchall()
    for name, _sql in indexes:
        cursor.execute(f'DROP INDEX main."{name}"')
    cursor.execute(f'DELETE FROM main."{db_table}"')
    cursor.execute(
        f'INSERT INTO main."{db_table}" ({cols}) '
        f'SELECT {cols} FROM scratch."{db_table}" ORDER BY "{pk}"'
    )
    for _name, sql in indexes:
        cursor.execute(sql)


# --- verification ---------------------------------------------------------------------------


@dataclasses.dataclass
class Difference:
    projection: str
    table: str
    row_id: str
    problem: str  # "missing", "unexpected" or "differs: col1, col2"


def verify(
    projections: list[Projection],
    *,
    batch_size: int = 5000,
    using: str = "default",
    limit: int = 20,
) -> list[Difference]:
    """Rebuild in scratch up to each projection's checkpoint and compare with the live rows."""
    if connections[using].vendor == "postgresql":
        from . import rebuild_postgres

        return rebuild_postgres.verify(projections, batch_size=batch_size, using=using, limit=limit)
    differences: list[Difference] = []

    def positions() -> dict[str, int]:
        live = checkpoint_positions(using)
        return {p.name: live.get(p.name, 0) for p in projections}

    with scratch_database(using) as path:
        built = positions()
        first = min(built.values(), default=0)
        build_aside(projections, up_to=first, batch_size=batch_size, using=using)
        built = dict.fromkeys(built, first)
        while True:
            # As in `rebuild`: write the scratch rows before the attached scratch file is locked.
            live = positions()
            for projection in projections:
                name = projection.name
                _apply_tail([projection], built[name], live[name], using, batch_size)
                built[name] = live[name]
            connections[SCRATCH_ALIAS].close()
            with _attached(path, using) as connection, store.write_transaction(using):
                if positions() != live:
                    continue  # the live rows moved on since: catch the scratch rows up, again
                with connection.cursor() as cursor:
                    for projection in projections:
                        for model in projection.models:
                            differences += _compare(cursor, projection.name, model, limit)
            break
    return differences[:limit]


def _compare(
    cursor, name: str, model, limit: int, live_schema="main", scratch_schema="scratch"
) -> list[Difference]:
    """The rows that differ between the live table and the scratch one (EXCEPT, both ways).

    The schemas: SQLite's attached databases (`main`, `scratch`) or PostgreSQL's schemas."""
    db_table, cols = model._meta.db_table, _columns(model)
    live, scratch = f'"{live_schema}"."{db_table}"', f'"{scratch_schema}"."{db_table}"'
    fields = [f.column for f in model._meta.concrete_fields]
    found: dict[str, Difference] = {}
    cursor.execute(
        f"SELECT {cols} FROM {live} EXCEPT SELECT {cols} FROM {scratch} LIMIT %s",
        [limit],
    )
    live_rows = {row[0]: row for row in cursor.fetchall()}
    cursor.execute(
        f"SELECT {cols} FROM {scratch} EXCEPT SELECT {cols} FROM {live} LIMIT %s",
        [limit],
    )
    expected_rows = {row[0]: row for row in cursor.fetchall()}
    for row_id in sorted(set(live_rows) | set(expected_rows), key=str):
        live_row, expected_row = live_rows.get(row_id), expected_rows.get(row_id)
        if expected_row is None:
            problem = "unexpected row (not produced by the log)"
        elif live_row is None:
            problem = "missing row (the log produces it)"
        else:
            changed = [
                f"{field}: live={live_value!r} expected={expected_value!r}"
                for field, live_value, expected_value in zip(
                    fields, live_row, expected_row, strict=True
                )
                if live_value != expected_value
            ]
            problem = "differs: " + "; ".join(changed)
        # A UUID key as SQLite stores it (32 hex digits), whichever database returned it.
        key = row_id.hex if isinstance(row_id, uuid.UUID) else str(row_id)
        found[key] = Difference(name, db_table, key, problem)
    return list(found.values())


# --- status ---------------------------------------------------------------------------------


@dataclasses.dataclass
class Status:
    name: str
    checkpoint: int
    head: int

    @property
    def lag(self) -> int:
        return self.head - self.checkpoint


def status(using: str = "default") -> list[Status]:
    head = store.head_position(using=using)
    checkpoints = checkpoint_positions(using)
    return [Status(p.name, checkpoints.get(p.name, 0), head) for p in all_projections()]
