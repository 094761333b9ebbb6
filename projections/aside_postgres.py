"""Building read models aside on PostgreSQL (see `projections.aside` for the interface).

- The new rows are replayed into a scratch schema of the same database
  (`projections_scratch_<hex>`), through a second connection whose `search_path` puts that schema
  first, so the projectors' own SQL (unqualified table names) writes there and nowhere else.
  The live read models keep serving meanwhile.
- At the lock (`store.write_transaction`: the writers' advisory lock, so no event can be appended
  until it commits) the live rows are replaced with DELETE + INSERT … SELECT, or compared.
  Readers are never blocked: until the commit they see the old rows (MVCC); indexes stay.
- The scratch schema is dropped on the way out; a run killed outright leaves its schema behind,
  and the next rebuild or verify drops it. Runs queue on a session advisory lock, so one run
  never drops another's scratch schema.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator

from django.db import connections

from common.db_aliases import temporary_alias
from events import store
from events.models import Event

from .aside import SCRATCH_ALIAS, columns

SCHEMA_PREFIX = "projections_scratch_"
# Session advisory lock queueing rebuild/verify runs on one database (see the module docstring).
SCRATCH_LOCK_KEY = 7_316_002


@contextlib.contextmanager
def scratch(using: str = "default") -> Iterator[str]:
    """A fresh schema registered as `SCRATCH_ALIAS`; dropped afterwards. Yields its name.

    Also lifts the statement timeout of the `using` connection for the run (a rebuild's
    statements are long by nature) and restores it afterwards.
    """
    main = connections[using]
    main.ensure_connection()
    with main.cursor() as cursor:
        cursor.execute("SET statement_timeout = 0")
        cursor.execute("SELECT pg_advisory_lock(%s)", [SCRATCH_LOCK_KEY])
        try:
            _drop_leftovers(cursor)
            with _schema(cursor) as schema:
                settings = _scratch_settings(cursor, schema, using)
                with temporary_alias(SCRATCH_ALIAS, like=using, **settings):
                    yield schema
        finally:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [SCRATCH_LOCK_KEY])
            cursor.execute("RESET statement_timeout")


@contextlib.contextmanager
def _schema(cursor) -> Iterator[str]:
    """A new scratch schema, dropped (with its tables) afterwards; yields its name."""
    schema = f"{SCHEMA_PREFIX}{uuid.uuid4().hex}"
    cursor.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield schema
    finally:
        cursor.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def _scratch_settings(cursor, schema: str, using: str) -> dict:
    """The settings (over the live database's) of a connection whose unqualified table names
    are the scratch schema's: its `search_path` puts that schema first, then anything else as
    the live connection (`cursor`) finds it."""
    cursor.execute("SHOW search_path")
    live_path = cursor.fetchone()[0]
    options = {
        **connections.settings[using].get("OPTIONS", {}),
        "options": f"-c search_path={schema},{live_path.replace(' ', '')} "
        "-c statement_timeout=0 -c synchronous_commit=off",
    }
    return {"OPTIONS": options}


@contextlib.contextmanager
def parts(using: str, count: int) -> Iterator[list[tuple[str, dict]]]:
    """`count` more scratch schemas for the worker processes of a parallel replay: yields each
    one's (name, settings of a connection writing there); dropped afterwards. Made inside the
    run (`scratch` holds the runs' lock), named like the scratch schema: a run killed outright
    leaves them to the next run, which drops them."""
    with connections[using].cursor() as cursor, contextlib.ExitStack() as stack:
        schemas = [stack.enter_context(_schema(cursor)) for _ in range(count)]
        yield [(schema, _scratch_settings(cursor, schema, using)) for schema in schemas]


@contextlib.contextmanager
def part_schema(schema: str) -> Iterator[str]:
    """The part schema as the scratch connection reads it: by its own name."""
    yield schema


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


def prepare(using: str) -> None:
    """Nothing to tune: the server's buffers are not this process's memory."""


@contextlib.contextmanager
def locked(schema: str, using: str):
    with store.write_transaction(using), connections[using].cursor() as cursor:
        yield cursor


def replace_rows(cursor, schema: str, model) -> None:
    """Replace a live table's rows with the scratch table's, inside the caller's transaction."""
    db_table, cols = model._meta.db_table, columns(model)
    pk = model._meta.pk.column
    cursor.execute(f'DELETE FROM "{db_table}"')
    cursor.execute(
        f'INSERT INTO "{db_table}" ({cols}) '
        f'SELECT {cols} FROM "{schema}"."{db_table}" ORDER BY "{pk}"'
    )


@contextlib.contextmanager
def log_from_scratch(using: str) -> Iterator[str]:
    """The live event table as the scratch connection reads it (its search_path ends with the
    live schemas), for a projection built by one INSERT … SELECT."""
    yield f'"{Event._meta.db_table}"'


def schemas(cursor, schema: str) -> tuple[str, str]:
    cursor.execute("SELECT current_schema()")
    return cursor.fetchone()[0], schema
