"""PostgreSQL specifics of the outbox: NOTIFY at every append's commit (a trigger on the event
log, migration 0003), LISTEN in the worker, and session advisory locks that give each company's
work to one worker at a time.

https://www.postgresql.org/docs/15/sql-notify.html: a NOTIFY sent inside a transaction is
delivered at its commit, and not at all if it rolls back, so the worker wakes exactly when new
events become readable. Advisory locks (https://www.postgresql.org/docs/15/explicit-locking.html)
taken with `pg_try_advisory_lock` belong to the database session: a worker that dies loses its
connection and so its locks, and another worker takes the company over.
"""

from __future__ import annotations

import uuid

from django.db import connections

CHANNEL = "ledgerline_events"
# The first key of the two-key advisory locks: "the outbox's company leases" (the writers'
# lock, events.postgres.WRITERS_LOCK_KEY, uses the one-key form: the two never collide).
LEASE_LOCK_CLASS = 7_316_002


def _lock_key(company_id: uuid.UUID) -> int:
    """A signed 32-bit key for the company (a clash only makes two companies share a worker)."""
    return int.from_bytes(uuid.UUID(str(company_id)).bytes[:4], "big", signed=True)


def try_lock_company(company_id, using: str = "default") -> bool:
    """Take the company's lease lock for this session if free; True when this session holds it."""
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT pg_try_advisory_lock(%s, %s)", [LEASE_LOCK_CLASS, _lock_key(company_id)]
        )
        return bool(cursor.fetchone()[0])


def unlock_company(company_id, using: str = "default") -> None:
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_unlock(%s, %s)", [LEASE_LOCK_CLASS, _lock_key(company_id)]
        )


class Listener:
    """A connection of its own LISTENing on the channel; `wait(seconds)` returns early on a
    NOTIFY. Opened from the Django connection's settings (psycopg 3)."""

    def __init__(self, using: str = "default"):
        import psycopg

        connection = connections[using]
        params = connection.get_connection_params()
        params.pop("cursor_factory", None)
        params.pop("context", None)
        params.pop("prepare_threshold", None)
        self._conn = psycopg.connect(**params, autocommit=True)
        self._conn.execute(f"LISTEN {CHANNEL}")

    def wait(self, seconds: float) -> bool:
        """Block up to `seconds`; True if a NOTIFY arrived (all pending ones are consumed)."""
        got = False
        for _ in self._conn.notifies(timeout=seconds, stop_after=1):
            got = True
        if got:  # drain whatever else arrived meanwhile without waiting
            for _ in self._conn.notifies(timeout=0.01):
                pass
        return got

    def close(self) -> None:
        self._conn.close()
