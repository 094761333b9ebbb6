"""Building read models aside on SQLite (see `projections.aside` for the interface).

The new rows are built in a scratch SQLite file next to the live one (`projections.scratch`
claims it while in use and sweeps leftovers), written by a connection of its own with no
journal. At the lock, the scratch file is ATTACHed to the live connection inside the writers'
transaction (BEGIN IMMEDIATE), so the swap (DELETE + INSERT … SELECT) or the comparison sees
both sides with no writer in between.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

from django.db import connections

from common.db_aliases import temporary_alias
from events import store
from events.models import Event

from . import scratch as scratch_files
from .aside import SCRATCH_ALIAS, columns


@contextlib.contextmanager
def scratch(using: str = "default") -> Iterator[str]:
    """A throw-away SQLite file registered as `SCRATCH_ALIAS`, removed afterwards; yields its
    path."""
    if connections[using].vendor != "sqlite":  # pragma: no cover
        raise NotImplementedError("This module builds read models aside on SQLite.")
    path = scratch_files.new_path(using)
    # Scratch files of a rebuild or verify killed part-way go now; ours is claimed while in use.
    scratch_files.remove_leftovers(using)
    with _claimed(path), temporary_alias(SCRATCH_ALIAS, like=using, **scratch_settings(path)):
        yield path


def scratch_settings(path: str) -> dict:
    """The settings (over the live database's) of a connection to the scratch file `path`: no
    journal, no syncing (a scratch file that is not complete is thrown away anyway)."""
    return {
        "NAME": path,
        "OPTIONS": {"init_command": "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"},
    }


@contextlib.contextmanager
def _claimed(path: str) -> Iterator[None]:
    """The scratch file `path`, claimed (`projections.scratch`) inside the block and removed with
    its journals afterwards."""
    with scratch_files.claimed(path):
        try:
            yield
        finally:
            for suffix in scratch_files.SUFFIXES:
                with contextlib.suppress(FileNotFoundError):
                    os.remove(path + suffix)


@contextlib.contextmanager
def parts(using: str, count: int) -> Iterator[list[tuple[str, dict]]]:
    """`count` more scratch files for the worker processes of a parallel replay: yields each
    one's (path, `scratch_settings`); removed afterwards. This process holds their claims for
    the whole run (a worker only opens its file), so a sweep never takes one for a leftover,
    and a run killed outright leaves them to the next run's sweep."""
    with contextlib.ExitStack() as stack:
        paths = [scratch_files.new_path(using) for _ in range(count)]
        for path in paths:
            stack.enter_context(_claimed(path))
        yield [(path, scratch_settings(path)) for path in paths]


@contextlib.contextmanager
def part_schema(path: str) -> Iterator[str]:
    """The part file `path` readable by the scratch connection, as the schema yielded."""
    scratch = connections[SCRATCH_ALIAS]
    with scratch.cursor() as cursor:
        cursor.execute("ATTACH DATABASE %s AS part", [path])
    try:
        yield "part"
    finally:
        with scratch.cursor() as cursor:
            cursor.execute("DETACH DATABASE part")


def prepare(using: str) -> None:
    """A replay reads the whole file once: memory-mapping it, or a page cache sized for a web
    server's hot pages, would only swell this process's resident memory (mapped and cached
    pages count as ours) without making a single pass faster. Also keeps the swap's big
    DELETE + INSERT from filling a 64 MB cache. Applies to this (command-line) connection only."""
    connection = connections[using]
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA mmap_size=0")
        cursor.execute("PRAGMA cache_size=-16384")


@contextlib.contextmanager
def attached(path: str, using: str):
    """The live connection with the scratch file attached as schema `scratch`."""
    connection = connections[using]
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("ATTACH DATABASE %s AS scratch", [path])
    try:
        yield connection
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DETACH DATABASE scratch")


@contextlib.contextmanager
def locked(path: str, using: str):
    # The scratch connection lets go of the file first: once it is attached, BEGIN IMMEDIATE
    # locks it as well, and the scratch connection could no longer write to it.
    connections[SCRATCH_ALIAS].close()
    with (
        attached(path, using) as connection,
        store.write_transaction(using),
        connection.cursor() as cursor,
    ):
        yield cursor


def replace_rows(cursor, path: str, model) -> None:
    """Replace a live table's rows with the scratch table's, inside the caller's transaction.

    The secondary indexes are dropped first and created again from their own stored SQL (so
    they come back exactly as the migrations made them): building an index from 100,000 rows
    in one sort is several times faster than updating eight B-trees row by row. Rows go in by
    primary key order, so the primary key index is appended to rather than split at random.
    """
    db_table, cols = model._meta.db_table, columns(model)
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


@contextlib.contextmanager
def log_from_scratch(using: str) -> Iterator[str]:
    """The live event table as the scratch connection can read it (the live file attached
    to it as `live`), for a projection built by one INSERT … SELECT."""
    scratch = connections[SCRATCH_ALIAS]
    with scratch.cursor() as cursor:
        cursor.execute("ATTACH DATABASE %s AS live", [connections[using].settings_dict["NAME"]])
    try:
        yield f'"live"."{Event._meta.db_table}"'
    finally:
        with scratch.cursor() as cursor:
            cursor.execute("DETACH DATABASE live")


def schemas(cursor, path: str) -> tuple[str, str]:
    return "main", "scratch"
