"""PostgreSQL specifics of the event store: the writers' lock.

SQLite serialises writers by itself (one write lock, taken at BEGIN IMMEDIATE). PostgreSQL lets
writers run side by side, so every writer transaction starts by taking one transaction-scoped
advisory lock (https://www.postgresql.org/docs/15/explicit-locking.html#ADVISORY-LOCKS): a
command's reads (the stream's version, the next order number, the log's head) and its append
then happen as if it were alone, exactly as on SQLite. The lock is released at COMMIT or
ROLLBACK. Waiting for it counts towards the connection's `statement_timeout` (settings).
"""

from __future__ import annotations

from django.db import connections

# An arbitrary constant naming "the event log's writers" among the database's advisory locks.
WRITERS_LOCK_KEY = 7_316_001


def lock_writers(using: str = "default") -> None:
    """Wait for, then hold until the end of the current transaction, the writers' lock.

    A no-op on other databases. Call it first thing inside the writer's transaction.
    """
    connection = connections[using]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [WRITERS_LOCK_KEY])


def database_size(using: str = "default") -> int | None:
    """The PostgreSQL database's size on disk in bytes (`pg_database_size`); None elsewhere."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_database_size(current_database())")
        return cursor.fetchone()[0]
