"""The key store: one AES-256 key per data subject, kept apart from the event log.

Invariant 7: personal data in the log is sealed (`events.sealing`) under its subject's key;
destroying the key erases the data while the log, and its hash chain, stay as they are. So the
keys must never travel with the log: on SQLite they live in their own file beside the log's
(`<name>.keys.sqlite3`, or `KEY_STORE_PATH`), attached to every connection of the default
database as the schema `keys` (the log's backup copies only `main`); on PostgreSQL in the schema
`ledgerline_keys` of the same database, which the log's `backup_db` leaves out of its pg_dump.
`backup_keys` copies the key store on its own (docs/privacy.md: where, and for how long).

Rows: `key_id` (random hex, the only thing the log names), the company, the subject's opaque id
("order:<uuid>", "customer:<id>"), the secret (NULL once destroyed: the row stays as the record
that this key was erased, not lost), when it was made and destroyed. A missing row is a lost key.

Lookups go through the default connection, in its transaction: a key made by an append commits
(or rolls back) with the append, and an erasure's destruction with its `ErasureRecorded`.
Inside `keys_cached()` each key is read once per block (a writer transaction, a replay);
outside it every lookup asks the database, so a destroyed key is never read from a stale cache.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import os
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path

from django.conf import settings
from django.db import connections
from django.utils import timezone

SQLITE_SCHEMA = "keys"
POSTGRES_SCHEMA = "ledgerline_keys"
TABLE = "subject_key"
ALIAS = "default"  # the key store sits beside this database (and only this one)

DESTROYED = "destroyed"  # the key was erased on purpose (its row says when)
MISSING = "missing"  # no row at all: the key store was lost or restored from an older copy

_COLUMNS = (
    "key_id VARCHAR(32) PRIMARY KEY, company_id VARCHAR(36) NOT NULL, "
    "subject VARCHAR(200) NOT NULL, secret {blob}, created_at VARCHAR(40) NOT NULL, "
    "destroyed_at VARCHAR(40)"
)


def qualified_table(connection=None) -> str:
    connection = connection or connections[ALIAS]
    schema = POSTGRES_SCHEMA if connection.vendor == "postgresql" else SQLITE_SCHEMA
    return f"{schema}.{TABLE}"


def key_store_path(connection=None) -> Path | None:
    """The SQLite key store file: `KEY_STORE_PATH`, else beside the database file
    (`db.sqlite3` -> `db.keys.sqlite3`). None on PostgreSQL and for in-memory databases."""
    connection = connection or connections[ALIAS]
    if connection.vendor != "sqlite":
        return None
    if settings.KEY_STORE_PATH:
        return Path(settings.KEY_STORE_PATH)
    name = str(connection.settings_dict.get("NAME") or "")
    if not name or name == ":memory:" or name.startswith("file:"):
        return None
    path = Path(name)
    return path.with_name(f"{path.stem}.keys{path.suffix or '.sqlite3'}")


def open_key_store(sender, connection, **kwargs) -> None:
    """`connection_created` receiver: make the key store reachable from a new connection of
    the default database, creating it where it is missing (a lost store starts empty: the data
    it sealed then reads as unreadable, `MISSING`, and everything else keeps working)."""
    if connection.alias != ALIAS:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            path = key_store_path(connection)
            target = str(path) if path else ":memory:"
            cursor.execute(f"ATTACH DATABASE %s AS {SQLITE_SCHEMA}", [target])
            # Freed pages and cells are zeroed: a destroyed key leaves no bytes behind.
            cursor.execute(f"PRAGMA {SQLITE_SCHEMA}.secure_delete=ON")
            cursor.execute(f"PRAGMA {SQLITE_SCHEMA}.journal_mode=WAL")
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {SQLITE_SCHEMA}.{TABLE} "
                f"({_COLUMNS.format(blob='BLOB')})"
            )
            cursor.execute(
                f"CREATE INDEX IF NOT EXISTS {SQLITE_SCHEMA}.subject_key_subject "
                f"ON {TABLE} (company_id, subject)"
            )
        elif connection.vendor == "postgresql":
            cursor.execute(
                "SELECT 1 FROM information_schema.tables WHERE table_schema = %s "
                "AND table_name = %s",
                [POSTGRES_SCHEMA, TABLE],
            )
            if cursor.fetchone() is None:
                _create_postgres(cursor)


def _create_postgres(cursor) -> None:
    # Two new connections may race here: the advisory lock makes the second wait and find it.
    cursor.execute("SELECT pg_advisory_lock(7316002)")
    try:
        cursor.execute(f"CREATE SCHEMA IF NOT EXISTS {POSTGRES_SCHEMA}")
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {POSTGRES_SCHEMA}.{TABLE} "
            f"({_COLUMNS.format(blob='BYTEA')})"
        )
        cursor.execute(
            f"CREATE INDEX IF NOT EXISTS subject_key_subject "
            f"ON {POSTGRES_SCHEMA}.{TABLE} (company_id, subject)"
        )
    finally:
        cursor.execute("SELECT pg_advisory_unlock(7316002)")


# --- a per-block cache ------------------------------------------------------------------------

_cache: contextvars.ContextVar[dict | None] = contextvars.ContextVar("key_cache", default=None)


@contextlib.contextmanager
def keys_cached() -> Iterator[None]:
    """Read each key at most once inside the block (nested blocks share the outer cache). For
    writer transactions and replays; never across an erasure in another transaction."""
    if _cache.get() is not None:
        yield
        return
    token = _cache.set({})
    try:
        yield
    finally:
        _cache.reset(token)


def forget_cached() -> None:
    """Drop the cached keys of the current block (an erasure inside it destroyed some)."""
    cache = _cache.get()
    if cache is not None:
        cache.clear()


# --- keys ---------------------------------------------------------------------------------------


def _stamp(moment) -> str:
    """A time as the key store keeps it: UTC ISO 8601 with microseconds (sorts as text)."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _company(company_id) -> str:
    return str(uuid.UUID(str(company_id)))


def key_for_subject(company_id, subject: str) -> tuple[str, bytes]:
    """The subject's live key as (key id, 32-byte secret), made on first use. Call inside the
    writer transaction that seals with it (the key commits with the event)."""
    company = _company(company_id)
    cache = _cache.get()
    if cache is not None and (company, subject) in cache:
        return cache[(company, subject)]
    connection = connections[ALIAS]
    table = qualified_table(connection)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT key_id, secret FROM {table} WHERE company_id = %s AND subject = %s "
            "AND secret IS NOT NULL ORDER BY created_at DESC LIMIT 1",
            [company, subject],
        )
        found = cursor.fetchone()
        if found is None:
            found = (uuid.uuid4().hex, os.urandom(32))
            cursor.execute(
                f"INSERT INTO {table} (key_id, company_id, subject, secret, created_at) "
                "VALUES (%s, %s, %s, %s, %s)",
                [found[0], company, subject, found[1], _stamp(timezone.now())],
            )
    key = (found[0], bytes(found[1]))
    if cache is not None:
        cache[(company, subject)] = key
        cache[found[0]] = key[1]
    return key


def secret_of(key_id: str) -> bytes | str:
    """The key's secret, or DESTROYED (erased), or MISSING (no such key in this store)."""
    cache = _cache.get()
    if cache is not None and key_id in cache:
        return cache[key_id]
    connection = connections[ALIAS]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT secret FROM {qualified_table(connection)} WHERE key_id = %s", [key_id]
        )
        found = cursor.fetchone()
    secret = MISSING if found is None else DESTROYED if found[0] is None else bytes(found[0])
    if cache is not None:
        cache[key_id] = secret
    return secret


def cache_secrets(key_ids: Iterable[str]) -> None:
    """Read the secrets of `key_ids` into the current `keys_cached()` block in a few statements
    (500 keys each) instead of one `secret_of` query per key: a replay's batch names thousands.
    What is read is what `secret_of` would read (a secret, DESTROYED or MISSING) at this moment,
    so it is valid for exactly as long as the block's other keys. Outside a block: nothing."""
    cache = _cache.get()
    if cache is None:
        return
    wanted = sorted({key_id for key_id in key_ids if key_id not in cache})
    found = dict(_rows_for(wanted, "key_id, secret"))
    for key_id in wanted:
        secret = found.get(key_id, MISSING)
        cache[key_id] = (
            secret if secret is MISSING else DESTROYED if secret is None else bytes(secret)
        )


def _rows_for(key_ids: list[str], columns: str) -> list[tuple]:
    """`columns` of the store's rows for `key_ids`, 500 keys per statement."""
    connection = connections[ALIAS]
    rows: list[tuple] = []
    with connection.cursor() as cursor:
        for start in range(0, len(key_ids), 500):
            chunk = key_ids[start : start + 500]
            cursor.execute(
                f"SELECT {columns} FROM {qualified_table(connection)} "
                f"WHERE key_id IN ({', '.join(['%s'] * len(chunk))})",
                chunk,
            )
            rows.extend(cursor.fetchall())
    return rows


def live_subjects(company_id, subjects: Iterable[str]) -> list[str]:
    """Those of `subjects` that hold a live key in the company (what an erasure would reach)."""
    subjects = sorted(set(subjects))
    if not subjects:
        return []
    connection = connections[ALIAS]
    found: set[str] = set()
    with connection.cursor() as cursor:
        for start in range(0, len(subjects), 500):
            chunk = subjects[start : start + 500]
            cursor.execute(
                f"SELECT DISTINCT subject FROM {qualified_table(connection)} "
                f"WHERE company_id = %s AND secret IS NOT NULL "
                f"AND subject IN ({', '.join(['%s'] * len(chunk))})",
                [_company(company_id), *chunk],
            )
            found.update(row[0] for row in cursor.fetchall())
    return sorted(found)


def destroy(company_id, subjects: Iterable[str], *, made_before=None) -> int:
    """Destroy every live key of `subjects` in the company (the secret is overwritten by NULL;
    the row stays as the record of an erasure), or only those made before `made_before` (an
    aware datetime). Returns how many keys were destroyed. Inside the erasure's writer
    transaction; `scrub()` after it commits removes the old bytes."""
    subjects = sorted(set(subjects))
    before = "" if made_before is None else " AND created_at <= %s"
    extra = [] if made_before is None else [_stamp(made_before)]
    connection = connections[ALIAS]
    destroyed = 0
    with connection.cursor() as cursor:
        for start in range(0, len(subjects), 500):
            chunk = subjects[start : start + 500]
            cursor.execute(
                f"UPDATE {qualified_table(connection)} SET secret = NULL, destroyed_at = %s "
                f"WHERE company_id = %s AND secret IS NOT NULL{before} "
                f"AND subject IN ({', '.join(['%s'] * len(chunk))})",
                [_stamp(timezone.now()), _company(company_id), *extra, *chunk],
            )
            destroyed += cursor.rowcount
    forget_cached()
    return destroyed


def scrub(using: str = ALIAS) -> list[str]:
    """After an erasure commits: push freed bytes out of reach. SQLite (secure_delete is on, so
    freed cells and pages are zeroed): checkpoint both WALs and truncate them, so no old page
    image survives there. PostgreSQL: VACUUM FULL the key table (rewritten into new files;
    the dead row versions holding destroyed keys go with the old ones).
    Returns what could not be done (e.g. a checkpoint blocked by a long reader)."""
    connection = connections[using]
    problems = []
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for schema in ("main", SQLITE_SCHEMA):
                cursor.execute(f"PRAGMA {schema}.wal_checkpoint(TRUNCATE)")
                busy, _log, _done = cursor.fetchone()
                if busy:
                    problems.append(f"{schema}: WAL checkpoint blocked by a reader")
        elif connection.vendor == "postgresql" and connection.get_autocommit():
            cursor.execute(f"VACUUM FULL {qualified_table(connection)}")
    return problems


def missing_keys(key_ids: Iterable[str]) -> set[str]:
    """Those of `key_ids` that the store does not hold at all (lost, not erased)."""
    key_ids = sorted(set(key_ids))
    return set(key_ids) - {row[0] for row in _rows_for(key_ids, "key_id")}
