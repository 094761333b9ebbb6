"""What differs between the databases the suite runs on (SQLite by default, PostgreSQL with
`make test-postgres`): markers for SQLite-only tests and the tests' own vendor-specific SQL."""

from __future__ import annotations

import importlib
import json
from urllib.parse import quote

import pytest
from django.db import connection, connections

# The trigger SQL lives in the migration; reuse it rather than write it a second time.
_TRIGGERS = (
    importlib.import_module("events.migrations.0002_append_only_triggers"),
    importlib.import_module("events.migrations.0006_integritycheck_append_only_witnessed"),
)

VENDOR = connection.vendor  # from the settings: known without connecting
ON_POSTGRES = VENDOR == "postgresql"


def sqlite_only(reason: str) -> pytest.MarkDecorator:
    """Mark a test of a SQLite feature (WAL, the database file, PRAGMAs): skipped elsewhere."""
    return pytest.mark.skipif(VENDOR != "sqlite", reason=f"SQLite only: {reason}")


def postgres_only(reason: str) -> pytest.MarkDecorator:
    """Mark a test of PostgreSQL-only behaviour (`make test-postgres` runs it)."""
    return pytest.mark.skipif(not ON_POSTGRES, reason=f"PostgreSQL only: {reason}")


def drop_append_only_triggers(using: str = "default") -> None:
    """Remove the append-only triggers of the event log and of its verification records (in the
    caller's transaction, if any)."""
    _run_trigger_sql(using, 1)


def create_append_only_triggers(using: str = "default") -> None:
    """Install the append-only triggers again."""
    _run_trigger_sql(using, 0)


def _run_trigger_sql(using: str, index: int) -> None:
    db = connections[using]
    with db.cursor() as cursor:
        for migration in _TRIGGERS:
            for sql in migration.STATEMENTS[db.vendor][index]:
                cursor.execute(sql, None)


def json_set(column: str, key: str, value) -> str:
    """SQL for `column` (a JSON object) with its top-level `key` set to `value` (str or int)."""
    literal = json.dumps(value).replace("'", "''")
    if ON_POSTGRES:
        return f"jsonb_set({column}, '{{{key}}}', '{literal}'::jsonb)"
    return f"json_set({column}, '$.{key}', json('{literal}'))"


def database_url(using: str = "default") -> str:
    """A DATABASE_URL naming the (test) database `using` is connected to, for subprocesses."""
    db = connections[using].settings_dict
    if connections[using].vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    user = quote(db["USER"] or "", safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    host = quote(db["HOST"] or "", safe="")  # a socket folder becomes %2F…
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{user}{password}@{host}{port}/{quote(db['NAME'], safe='')}"
