"""Replaying the log into the scratch tables of a rebuild or verify: in this process, or ranges
of streams side by side in worker processes.

Why processes: one process replays ~40k events/s, of which reading and decoding the log is a
third; the rest (the projectors, writing scratch rows) is Python that one interpreter runs on one
core. A stream-local projection's rows do not depend on how streams interleave in the log
(`Projection.stream_local`), so the streams can be split into ranges replayed by several
processes, each into a scratch database of its own (a file on SQLite, a schema on PostgreSQL:
`parts`), merged into the rebuild's scratch database when all are done:

- a row that belongs to one stream is written by the one process that replays that stream;
- a row that adds up what many streams contribute (`Projection.sums`: the dashboard's
  per-company totals and quarter-hour counts) is written by several as partial sums, and the
  merge adds them up (`aside.merge`), as the one-process replay adds them in its row cache;
- any other row found in two parts makes the merge fail (a primary key conflict): the
  rebuild stops rather than guess.

The ranges are many more than the processes (`RANGES_PER_PROCESS`), taken in turn from a shared
counter, so a process that started later (a worker spends ~0.5 s setting Django up) or was
given heavier streams takes fewer. The rebuild's own process replays ranges too, into the
rebuild's scratch database itself, so K processes are K - 1 workers.

Crash safety is the rebuild's (`engine`): workers only ever write their own part; the swap, in
the rebuild's process, is the only write to the live tables. A worker that fails or is killed
makes the rebuild fail (`WorkerFailed`); a worker whose rebuild process is gone stops at its
next batch; parts left by a run killed outright are swept by the next, like its scratch
database.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import multiprocessing.connection
import os
from collections.abc import Callable, Iterable, Iterator

from django.conf import settings
from django.db import connections, transaction

from common.db_aliases import temporary_alias
from events import keystore, replay
from events.store import RecordedEvent

from . import aside_postgres, aside_sqlite, rows, worker
from .aside import SCRATCH_ALIAS, merge
from .registry import Projection, get_projections
from .rows import row_cache

# Ranges of streams per process: enough for the processes to even out, few enough that each
# range is thousands of events (a range's first batch is one more indexed query).
RANGES_PER_PROCESS = 4
# With fewer events than this per process, a worker's start (~0.5 s of CPU) costs more than
# its share of the replay saves: `processes_for` uses fewer processes.
EVENTS_PER_PROCESS = 25_000

OnBatch = Callable[[int], None]  # called with the size of each batch applied


class WorkerFailed(RuntimeError):
    """A worker process of a parallel replay failed or was killed: the rebuild or verify
    fails with it, and nothing live was written."""


def database(using: str):
    """The module that builds aside on `using`'s database (the interface: `projections.aside`)."""
    return aside_postgres if connections[using].vendor == "postgresql" else aside_sqlite


def processes_for(events: int, processes: int | None = None) -> int:
    """How many processes replay `events` events: `processes` if given, else the setting
    `REBUILD_PROCESSES` but no more than one per `EVENTS_PER_PROCESS` events; at least 1."""
    if processes is None:
        processes = min(settings.REBUILD_PROCESSES, events // EVENTS_PER_PROCESS)
    return max(1, processes)


def no_more_than_ranges(processes: int, *, up_to: int, using: str) -> int:
    """`processes`, but no more than the ranges of streams the log (0, up_to] can be shared
    into: a process beyond those would start (its scratch part, ~0.5 s of CPU, its memory)
    only to find nothing left to replay (`--processes 200` on a log of 90 streams)."""
    if processes <= 1:
        return 1
    return max(
        1, min(processes, len(replay.stream_ranges(processes, up_to_position=up_to, using=using)))
    )


@contextlib.contextmanager
def fewer_collections() -> Iterator[None]:
    """Run the cyclic garbage collector far less often for the block (a replay), then as before.

    A replay allocates millions of short-lived objects while the row cache keeps tens of
    thousands of rows alive: at the default thresholds the collector ran about a thousand
    times in a 200,000-event rebuild, each oldest-generation pass walking every cached row,
    ~20 % of the run (measured with `gc.callbacks`). Rows, events and payloads hold no reference
    cycles, so nothing waits longer to be freed: reference counting frees them as before."""
    thresholds = gc.get_threshold()
    gc.set_threshold(50_000, 20, 100)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)


def create_tables(projections: list[Projection]) -> None:
    """The projections' tables, empty, in the scratch database (`SCRATCH_ALIAS`).

    Scratch tables keep their primary and unique keys (what the projectors look rows up by) but
    not the secondary indexes the pages need: those would only slow every write here, and the
    swap builds them on the live tables anyway."""
    with connections[SCRATCH_ALIAS].schema_editor() as editor:
        for projection in projections:
            for model in projection.models:
                editor.create_model(model)
        editor.deferred_sql.clear()


def apply_batches(
    projections: list[Projection],
    batches: Iterable[list[RecordedEvent]],
    on_batch: OnBatch | None = None,
) -> None:
    """Apply each batch to the projections in the scratch database, a transaction per batch.
    The keys of a batch's sealed payloads are read once, all at once (a stream's events come
    together)."""
    for batch in batches:
        with transaction.atomic(using=SCRATCH_ALIAS), keystore.keys_cached():
            replay.cache_keys(batch)
            for projection in projections:
                projection.apply(batch, SCRATCH_ALIAS)
        if on_batch:
            on_batch(len(batch))


def replay_here(
    projections: list[Projection],
    batches: Iterable[list[RecordedEvent]],
    progress: Callable[[int], None] | None = None,
) -> int:
    """Apply `batches` in this process, projectors' rows kept in memory across batches (bounded
    LRU, `rows.row_cache`); returns the events applied, each time passed to `progress`."""
    applied = 0

    def on_batch(size: int) -> None:
        nonlocal applied
        applied += size
        if progress:
            progress(applied)

    with row_cache(SCRATCH_ALIAS):
        apply_batches(projections, batches, on_batch)
    return applied


def _apply_ranges(projections, task: dict, shared: worker.Shared, on_batch: OnBatch) -> None:
    """Replay ranges of `task["ranges"]`, taking each in turn (`Shared.take`) until none is
    left."""
    while (index := shared.take(len(task["ranges"]), task["index"])) is not None:
        batches = replay.read_by_stream(
            up_to_position=task["up_to"],
            batch_size=task["batch_size"],
            using=task["using"],
            streams=task["ranges"][index],
        )
        apply_batches(projections, batches, on_batch)


def replay_in_processes(
    projections: list[Projection],
    *,
    up_to: int,
    batch_size: int,
    using: str,
    processes: int,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Replay the stream-local `projections`' events (0, up_to] into the scratch database with
    `processes` processes (this one and `processes - 1` workers), then merge the workers' parts
    into it. Returns the events applied. Raises `WorkerFailed` if a worker fails; the parts
    are removed however it ends."""
    context = multiprocessing.get_context("spawn")
    shared = worker.Shared(
        next_range=context.Value("q", 0),
        taken=context.Array("q", processes, lock=False),
        done=context.Array("q", processes, lock=False),
    )
    task = {
        # As this process was started with (`settings.SETTINGS_MODULE` is None under
        # overridden settings, e.g. in tests).
        "settings_module": os.environ.get("DJANGO_SETTINGS_MODULE") or settings.SETTINGS_MODULE,
        "entry": f"{__name__}.{replay_part.__name__}",
        "databases": {
            alias: dict(connections[alias].settings_dict) for alias in {using, "default"}
        },
        "parent": os.getpid(),
        "using": using,
        "projections": [p.name for p in projections],
        "ranges": replay.stream_ranges(
            processes * RANGES_PER_PROCESS, up_to_position=up_to, using=using
        ),
        "up_to": up_to,
        "batch_size": batch_size,
        # Replaying by stream, a process needs only the rows of a batch's streams (~500) and
        # the per-company totals in memory: a quarter of one process's row cache, shared out,
        # keeps the rebuild's memory, all processes together, under 300 MiB at 2 processes
        # (measured at 200,000 events: 287 MiB; 327 MiB with half the cache each).
        "cache_rows": max(1, rows.CACHE_ROWS // 4 // processes),
        "index": 0,
    }
    done = shared.done
    with database(using).parts(using, processes - 1) as parts:
        workers = [
            context.Process(
                target=worker.run,
                args=({**task, "index": index, "scratch": scratch}, shared),
                name=f"rebuild worker {index}",
                daemon=True,  # ended if this process exits on an error
            )
            for index, (_name, scratch) in enumerate(parts, start=1)
        ]

        def on_batch(size: int) -> None:
            done[0] += size
            _check(workers)
            if progress:
                progress(sum(done), up_to)

        try:
            for process in workers:
                process.start()
            with row_cache(SCRATCH_ALIAS, task["cache_rows"]):
                _apply_ranges(projections, task, shared, on_batch)
            # A worker still starting when the last range was taken has nothing to add: it
            # is not waited for (on a busy machine, starting takes seconds).
            idle = shared.idle(len(task["ranges"]), workers)
            for process in idle:
                process.kill()
            busy = [process for process in workers if process not in idle]
            _wait(busy, lambda: progress(sum(done), up_to) if progress else None)
        finally:
            for process in workers:
                if process.pid is None:  # never started (starting an earlier one failed)
                    continue
                if process.is_alive():
                    process.kill()
                process.join()
        for (name, _settings), process in zip(parts, workers, strict=True):
            if process in busy:
                with database(using).part_schema(name) as schema:
                    merge(projections, schema)
    return sum(done)


def _check(workers: list) -> None:
    """Raise `WorkerFailed` if a worker has ended with an error or a signal."""
    for process in workers:
        code = process.exitcode
        if code:  # None: running; 0: done
            how = f"was killed by signal {-code}" if code < 0 else f"failed (exit code {code})"
            raise WorkerFailed(
                f"The replay's {process.name} {how}; its output above says why. "
                "The live read models were not touched."
            )


def _wait(workers: list, tick: Callable[[], None]) -> None:
    """Wait until every worker has ended (`_check` after each), calling `tick` now and then."""
    running = {process.sentinel: process for process in workers}
    while running:
        for sentinel in multiprocessing.connection.wait(list(running), timeout=0.25):
            running.pop(sentinel).join()
        _check(workers)
        tick()


def replay_part(task: dict, shared: worker.Shared) -> None:
    """In a worker process (`projections.worker`): replay ranges of streams into this worker's
    part until none is left, its count of events applied kept in `shared.done`."""
    using, index = task["using"], task["index"]
    projections = get_projections(task["projections"])

    def on_batch(size: int) -> None:
        if os.getppid() != task["parent"]:  # the rebuild's process is gone: so is its run
            raise SystemExit(f"The rebuild's process {task['parent']} is gone; stopping.")
        shared.done[index] += size

    database(using).prepare(using)
    with fewer_collections(), temporary_alias(SCRATCH_ALIAS, like=using, **task["scratch"]):
        create_tables(projections)
        with row_cache(SCRATCH_ALIAS, task["cache_rows"]):
            _apply_ranges(projections, task, shared, on_batch)
