"""What `/healthz` checks: that the database can take a write, not merely answer a read.

A load balancer should stop sending users to an instance that cannot save anything (read-only
database or directory, disk full, database unreachable); a `SELECT 1` answers fine in all of
these cases.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, connection, transaction

PROBE_TABLE = "healthz_write_probe"


class _RolledBack(Exception):
    """Raised inside the probe transaction so that nothing it wrote is kept."""


def database_write_problem() -> str | None:
    """None if the default database accepts a write; else the reason, for the health answer.

    The probe creates a table inside a transaction and rolls it back: on SQLite the transaction
    starts with BEGIN IMMEDIATE (it takes the write lock) and the CREATE writes the schema page,
    so a read-only file or directory, or a full database, fails here; PostgreSQL refuses it on a
    read-only server. Nothing is kept. Free disk space is checked as well, because a rolled-back
    write never reaches the disk on SQLite (HEALTHZ_MIN_FREE_MB, for the SQLite file only).
    """
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(f"CREATE TABLE {PROBE_TABLE} (id integer)")
                cursor.execute(f"INSERT INTO {PROBE_TABLE} (id) VALUES (1)")
            raise _RolledBack
    except _RolledBack:
        pass
    except DatabaseError as error:
        return f"the database cannot take a write: {error}"
    return _low_disk_space()


def _low_disk_space() -> str | None:
    if connection.vendor != "sqlite":
        return None
    folder = Path(connection.settings_dict["NAME"]).resolve().parent
    free_mb = shutil.disk_usage(folder).free // (1024 * 1024)
    if free_mb < settings.HEALTHZ_MIN_FREE_MB:
        return (
            f"the disk holding the database has {free_mb} MB free "
            f"(less than HEALTHZ_MIN_FREE_MB={settings.HEALTHZ_MIN_FREE_MB})"
        )
    return None
