"""Rebuild and verify on PostgreSQL, with the promises `projections/engine.py` makes on SQLite.

- Built aside: the new rows are replayed into a scratch schema of the same database
  (`projections_scratch_<hex>`), through a second connection whose `search_path` puts that schema
  first, so the projectors' own SQL (unqualified table names) writes there and nowhere else.
  The live read models keep serving meanwhile.
- Swapped in one short transaction: the events appended meanwhile are applied to the scratch rows
  first; then one transaction takes the writers' lock (`events.postgres.lock_writers`: no event
  can be appended until it commits), checks that the head has not moved (else it steps back and
  catches up again) and replaces the live rows with DELETE + INSERT … SELECT. Readers are never
  blocked: until the commit they see the old rows (MVCC); indexes stay in place.
- Interrupted runs leave the live read models intact: nothing live is written before the swap
  transaction, which commits or rolls back as a whole. The scratch schema is dropped on the way
  out; a run killed outright leaves its schema behind, and the next rebuild or verify drops it.
  Runs queue on a session advisory lock, so one run never drops another's scratch schema.
- Verify replays into the scratch schema up to each projection's checkpoint and compares the two
  tables row by row with EXCEPT, both ways, while holding the writers' lock.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Iterator

from django.db import connections, transaction

from events import store
from events.postgres import lock_writers

from . import engine
from .registry import Projection

SCHEMA_PREFIX = "projections_scratch_"
# Session advisory lock queueing rebuild/verify runs on one database (see the module docstring).
SCRATCH_LOCK_KEY = 7_316_002


@contextlib.contextmanager
def scratch_schema(using: str = "default") -> Iterator[str]:
    """A fresh schema registered as the `engine.SCRATCH_ALIAS` database alias; dropped afterwards.

    Yields the schema's name. Also lifts the statement timeout of the `using` connection for the
    run (a rebuild's statements are long by nature) and restores it afterwards.
    """
    main = connections[using]
    main.ensure_connection()
    with main.cursor() as cursor:
        cursor.execute("SET statement_timeout = 0")
        cursor.execute("SELECT pg_advisory_lock(%s)", [SCRATCH_LOCK_KEY])
        try:
            _drop_leftovers(cursor)
            schema = f"{SCHEMA_PREFIX}{uuid.uuid4().hex}"
            cursor.execute(f'CREATE SCHEMA "{schema}"')
            cursor.execute("SHOW search_path")
            live_path = cursor.fetchone()[0]
            settings = dict(connections.settings[using])
            settings.update(
                OPTIONS={
                    **settings.get("OPTIONS", {}),
                    # The scratch tables first; anything else as the live connection finds it.
                    "options": f"-c search_path={schema},{live_path.replace(' ', '')} "
                    "-c statement_timeout=0 -c synchronous_commit=off",
                },
                CONN_MAX_AGE=0,
                CONN_HEALTH_CHECKS=False,
            )
            connections.settings[engine.SCRATCH_ALIAS] = settings
            try:
                yield schema
            finally:
                connections[engine.SCRATCH_ALIAS].close()
                with contextlib.suppress(AttributeError):
                    delattr(connections._connections, engine.SCRATCH_ALIAS)
                del connections.settings[engine.SCRATCH_ALIAS]
                cursor.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        finally:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [SCRATCH_LOCK_KEY])
            cursor.execute("RESET statement_timeout")


def scratch_schemas(using: str = "default") -> list[str]:
    """The scratch schemas present in the database (none, outside a run)."""
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT nspname FROM pg_namespace WHERE starts_with(nspname, %s) ORDER BY nspname",
            [SCHEMA_PREFIX],
        )
        return [name for (name,) in cursor.fetchall()]


def _drop_leftovers(cursor) -> None:
    """Drop the scratch schemas of runs that were killed (we hold the runs' lock: none is live)."""
    cursor.execute(
        "SELECT nspname FROM pg_namespace WHERE starts_with(nspname, %s)", [SCHEMA_PREFIX]
    )
    for (name,) in cursor.fetchall():
        cursor.execute(f'DROP SCHEMA "{name}" CASCADE')


def rebuild(
    projections: list[Projection],
    *,
    batch_size: int = 5000,
    using: str = "default",
    progress: engine.Progress | None = None,
) -> engine.RebuildResult:
    """`engine.rebuild` on PostgreSQL: replay the whole log aside and swap the rows in."""
    started = time.perf_counter()
    with scratch_schema(using) as schema:
        head = store.head_position(using=using)
        done = engine.build_aside(
            projections, up_to=head, batch_size=batch_size, using=using, progress=progress
        )
        while True:
            tail_end = store.head_position(using=using)
            done += engine._apply_tail(projections, head, tail_end, using, batch_size)
            head = tail_end
            with transaction.atomic(using=using):
                lock_writers(using)  # held until COMMIT: no append can slip in before the swap
                if store.head_position(using=using) != head:
                    continue  # appended since: leave the lock, apply those too, try again
                with connections[using].cursor() as cursor:
                    for projection in projections:
                        for model in projection.models:
                            _replace_rows(cursor, model, schema)
                engine._set_checkpoints([p.name for p in projections], head, using)
            break
    return engine.RebuildResult(done, time.perf_counter() - started, head)


def _replace_rows(cursor, model, schema: str) -> None:
    """Replace a live table's rows with the scratch table's, inside the caller's transaction."""
    db_table, cols = model._meta.db_table, engine._columns(model)
    pk = model._meta.pk.column
    cursor.execute(f'DELETE FROM "{db_table}"')
    cursor.execute(
        f'INSERT INTO "{db_table}" ({cols}) '
        f'SELECT {cols} FROM "{schema}"."{db_table}" ORDER BY "{pk}"'
    )


def verify(
    projections: list[Projection],
    *,
    batch_size: int = 5000,
    using: str = "default",
    limit: int = 20,
) -> list[engine.Difference]:
    """`engine.verify` on PostgreSQL: rebuild aside up to each checkpoint, compare row by row."""
    differences: list[engine.Difference] = []

    def positions() -> dict[str, int]:
        live = engine.checkpoint_positions(using)
        return {p.name: live.get(p.name, 0) for p in projections}

    with scratch_schema(using) as schema:
        built = positions()
        first = min(built.values(), default=0)
        engine.build_aside(projections, up_to=first, batch_size=batch_size, using=using)
        built = dict.fromkeys(built, first)
        while True:
            live = positions()
            for projection in projections:
                name = projection.name
                engine._apply_tail([projection], built[name], live[name], using, batch_size)
                built[name] = live[name]
            with transaction.atomic(using=using):
                lock_writers(using)  # the live rows hold still while they are compared
                if positions() != live:
                    continue  # the live rows moved on since: catch the scratch rows up, again
                with connections[using].cursor() as cursor:
                    cursor.execute("SELECT current_schema()")
                    live_schema = cursor.fetchone()[0]
                    for projection in projections:
                        for model in projection.models:
                            differences += engine._compare(
                                cursor,
                                projection.name,
                                model,
                                limit,
                                live_schema=live_schema,
                                scratch_schema=schema,
                            )
            break
    return differences[:limit]
