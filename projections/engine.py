"""Running projections: inline with every append, catch-up, rebuild aside and swap, verify.

Rebuild design (see memory-bank/systemPatterns.md): the new rows are built in a scratch SQLite
file, away from the live tables, while the site keeps serving. Then the few events appended
meanwhile are applied to the scratch rows and, in one short write transaction that finds no newer
event (else it steps back and catches up again), the live tables are replaced from the scratch
file (DELETE + INSERT … SELECT through ATTACH). An error or an interrupt before that transaction
commits leaves the live read models exactly as they were. `rebuild` and `verify` are one loop
(`_aside`); what differs per database (a scratch file attached on SQLite, a scratch schema on
PostgreSQL) is in `aside_sqlite` and `aside_postgres`, behind the interface `projections.aside`.
The replay itself, in this process or in several (`processes`), is `projections.replaying`.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable

from django.db import connections, transaction

from events import replay, store
from events.models import Event
from events.sqlrows import table
from events.store import RecordedEvent

from . import replaying
from .aside import SCRATCH_ALIAS, Difference, compare
from .models import ProjectionCheckpoint, key_uuid
from .registry import Projection, all_projections

Progress = Callable[[int, int], None]  # (events done, events total)


# --- inline ---------------------------------------------------------------------------------


def apply_inline(events: list[RecordedEvent], using: str) -> None:
    """Apply freshly appended events to every projection that is up to date.

    Runs inside the append's transaction, so a failing projection rolls the command back. A
    projection whose checkpoint is behind the log (new, or being caught up) is skipped: applying
    an event on top of missing history would be wrong; `catch_up` brings it forward.

    Up to date: following the log (checkpoint NULL), or exactly at the position before these
    events (a catch-up or a rebuild just brought it there: it is marked as following from now
    on, once). So in the usual case this only reads the checkpoints: a command writes no
    checkpoint row (issue #25). If a projector then fails, the transaction (and any marking
    with it) rolls back.
    """
    before = events[0].position - 1
    stored = _stored_checkpoints(using)
    joining = {name for name, position in stored.items() if position == before}
    if before == 0:  # the first events ever: projections without a checkpoint row yet
        joining |= {p.name for p in all_projections()} - stored.keys()
    if joining:
        _set_checkpoints(joining, None, using)
    following = {name for name, position in stored.items() if position is None} | joining
    for projection in all_projections():
        if projection.name in following:
            projection.apply(events, using)


def _checkpoints_as_json(using: str) -> str:
    """A SELECT of every checkpoint as one JSON object, {name: position or null} (null too for
    no rows on PostgreSQL): read with the log's head by every append (`register_head_read`)."""
    checkpoints = table(ProjectionCheckpoint, using)
    aggregate = (
        "json_object_agg" if connections[using].vendor == "postgresql" else "json_group_object"
    )
    return (
        f"SELECT {aggregate}({checkpoints.column_of['name']}, "
        f"{checkpoints.column_of['position']}) FROM {checkpoints.table}"
    )


store.register_head_read("checkpoints", _checkpoints_as_json)


def _stored_checkpoints(using: str) -> dict[str, int | None]:
    """{name: position as stored (None: following the log)}, as this writer transaction read it
    with the log's head, else read now."""
    stored = store.head_read("checkpoints", using=using)
    if stored is store.NOT_LOADED:
        with connections[using].cursor() as cursor:
            cursor.execute(_checkpoints_as_json(using))
            (stored,) = cursor.fetchone()
    if isinstance(stored, str):  # SQLite's JSON is text
        stored = json.loads(stored)
    return stored or {}


def checkpoint_positions(using: str = "default") -> dict[str, int]:
    """{projection name: the last log position it has applied}; the log's head (0 when empty)
    for a projection that follows the log inline. One statement (this runs in commands'
    transactions too)."""
    checkpoints, events = table(ProjectionCheckpoint, using), table(Event, using)
    position = events.column_of["position"]
    with connections[using].cursor() as cursor:
        cursor.execute(
            f"SELECT {checkpoints.column_of['name']}, COALESCE("
            f"{checkpoints.column_of['position']}, "
            f"(SELECT MAX({position}) FROM {events.table}), 0) FROM {checkpoints.table}"
        )
        return dict(cursor.fetchall())


def _set_checkpoints(names, position: int | None, using: str) -> None:
    """Move the named projections' checkpoints to `position` (None: following the log's
    head, inline) in one upsert."""
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


# --- building aside ---------------------------------------------------------------------------


def build_aside(
    projections: list[Projection],
    *,
    up_to: int,
    batch_size: int,
    using: str = "default",
    progress: Progress | None = None,
    processes: int = 1,
) -> int:
    """Create the projections' tables in the scratch database and replay (0, up_to] into them;
    the stream-local projections with `processes` processes (`projections.replaying`)."""
    replaying.create_tables(projections)
    # Stream-local projections replay stream by stream: one stream's rows are finished before
    # the next stream's, so the row cache only ever holds the streams of a batch (plus the
    # per-company totals), whatever the log's size. The others replay in log order.
    local = [p for p in projections if p.stream_local]
    ordered = []
    with replaying.database(using).log_from_scratch(using) as log_table:
        for projection in projections:
            if not projection.stream_local:
                with transaction.atomic(using=SCRATCH_ALIAS):
                    if not projection.build_from_log(log_table, up_to, SCRATCH_ALIAS):
                        ordered.append(projection)
    passes = bool(local) + bool(ordered)

    def share(index: int) -> Callable[..., None]:
        """Progress of the pass `index`: every pass reads the log, so each is its share."""

        def report(read: int, total: int = up_to) -> None:
            if progress:
                progress((index * up_to + read) // passes, up_to)

        return report

    done = 0  # events applied, counted once however many passes read them
    if local and processes > 1:
        done = replaying.replay_in_processes(
            local,
            up_to=up_to,
            batch_size=batch_size,
            using=using,
            processes=processes,
            progress=share(0),
        )
    elif local:
        batches = replay.read_by_stream(up_to_position=up_to, batch_size=batch_size, using=using)
        done = replaying.replay_here(local, batches, share(0))
    if ordered:
        batches = replay.read_all(0, batch_size=batch_size, up_to_position=up_to, using=using)
        done = max(done, replaying.replay_here(ordered, batches, share(passes - 1)))
    return done


def _apply_tail(projections, after: int, up_to: int, using: str, batch_size: int) -> int:
    applied = 0
    for batch in replay.read_all(after, batch_size=batch_size, up_to_position=up_to, using=using):
        with transaction.atomic(using=SCRATCH_ALIAS):
            for projection in projections:
                projection.apply(batch, SCRATCH_ALIAS)
        applied += len(batch)
    return applied


def _aside(
    projections: list[Projection],
    targets: Callable[[], dict[str, int]],
    at_lock: Callable,
    *,
    batch_size: int,
    using: str,
    progress: Progress | None = None,
    processes: int | None = None,
):
    """The one loop of rebuild and verify: build the projections aside up to their `targets()`
    (name -> log position), catch up with the events appended meanwhile, then take the
    writers' lock and, if the targets did not move again, return (events applied, processes
    that replayed them, `at_lock(cursor, scratch name)`) before the lock is released; if they
    moved, let go of the lock and catch up again. Nothing live is written outside `at_lock`'s
    transaction. `processes`: how many replay side by side (None: `replaying.processes_for`
    decides by the log's size)."""
    database = replaying.database(using)
    with replaying.fewer_collections(), database.scratch(using) as name:
        database.prepare(using)
        built = targets()
        first = min(built.values(), default=0)
        processes = replaying.processes_for(first, processes)
        processes = replaying.no_more_than_ranges(processes, up_to=first, using=using)
        done = build_aside(
            projections,
            up_to=first,
            batch_size=batch_size,
            using=using,
            progress=progress,
            processes=processes,
        )
        built = dict.fromkeys(built, first)
        while True:
            live = targets()
            # The tail goes into the scratch rows before the lock: once locked, the scratch
            # database may be part of the writers' transaction (SQLite: attached).
            ranges: dict[tuple[int, int], list[Projection]] = {}
            for projection in projections:
                ranges.setdefault((built[projection.name], live[projection.name]), []).append(
                    projection
                )
            done += max(
                (_apply_tail(group, a, b, using, batch_size) for (a, b), group in ranges.items()),
                default=0,
            )
            built = live
            with database.locked(name, using) as cursor:
                if targets() != live:
                    continue  # appended since: leave the lock, apply those too, try again
                return done, processes, at_lock(cursor, name)


@dataclasses.dataclass
class RebuildResult:
    events: int
    seconds: float
    head: int
    processes: int = 1  # that replayed the log side by side

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


def rebuild(
    projections: list[Projection],
    *,
    batch_size: int = 5000,
    using: str = "default",
    progress: Progress | None = None,
    processes: int | None = None,
) -> RebuildResult:
    """Replay the whole log into fresh read models and swap them in atomically; `processes`
    replay side by side (None: as many as `replaying.processes_for` finds worth it)."""
    started = time.perf_counter()
    database = replaying.database(using)
    heads = []

    def targets() -> dict[str, int]:
        head = store.head_position(using=using)
        heads.append(head)
        return {p.name: head for p in projections}

    def swap(cursor, name: str) -> None:
        for projection in projections:
            for model in projection.models:
                database.replace_rows(cursor, name, model)
        # Swapped in at the head, under the writers' lock: from the next append on they are
        # applied inline, as are projections that never fell behind.
        _set_checkpoints([p.name for p in projections], None, using)

    done, processes, _ = _aside(
        projections,
        targets,
        swap,
        batch_size=batch_size,
        using=using,
        progress=progress,
        processes=processes,
    )
    return RebuildResult(done, time.perf_counter() - started, heads[-1], processes)


# --- verification ---------------------------------------------------------------------------


def verify(
    projections: list[Projection],
    *,
    batch_size: int = 5000,
    using: str = "default",
    limit: int = 20,
    processes: int | None = None,
) -> list[Difference]:
    """Rebuild in scratch up to each projection's checkpoint and compare with the live rows
    (`processes`: as `rebuild`'s)."""
    database = replaying.database(using)

    def targets() -> dict[str, int]:
        live = checkpoint_positions(using)
        return {p.name: live.get(p.name, 0) for p in projections}

    def differences(cursor, name: str) -> list[Difference]:
        live_schema, scratch_schema = database.schemas(cursor, name)
        found: list[Difference] = []
        for projection in projections:
            for model in projection.models:
                found += compare(cursor, projection.name, model, limit, live_schema, scratch_schema)
        return found[:limit]

    _, _, found = _aside(
        projections,
        targets,
        differences,
        batch_size=batch_size,
        using=using,
        processes=processes,
    )
    return found


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
