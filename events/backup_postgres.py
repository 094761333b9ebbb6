"""`backup_db` on PostgreSQL: a pg_dump, restored into a scratch database and checked there.

`pg_dump` reads one consistent snapshot while the server keeps running
(https://www.postgresql.org/docs/15/app-pgdump.html) and writes it, in its custom format, to a
temporary file next to PATH. The dump counts only once `pg_restore` has loaded it into a
throw-away database on the same server and the event log's hash chain verifies there
(`verify_log` through a temporary database alias); then the caller moves it to PATH by an atomic
rename. The scratch database is dropped whatever happens.

Needs `pg_dump` and `pg_restore` (Debian: postgresql-client) of the server's major version or
newer, and a database role allowed to CREATE DATABASE.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

from django.core.management.base import CommandError
from django.db import DatabaseError, connections

from common.db_aliases import temporary_alias

from . import keystore
from .verification import VerificationResult, verify_log

CHECK_ALIAS = "backup_check"
SCRATCH_MARK = "_backup_check_"  # in the scratch database's name


def libpq_environment(using: str = "default", *, database: str | None = None) -> dict[str, str]:
    """The environment that points libpq tools (pg_dump, pg_restore, psql) at `using`."""
    db = connections[using].settings_dict
    options = db.get("OPTIONS", {})
    values = {
        "PGHOST": db.get("HOST") or options.get("host"),
        "PGPORT": str(db.get("PORT") or options.get("port") or ""),
        "PGUSER": db.get("USER") or options.get("user"),
        "PGPASSWORD": db.get("PASSWORD") or options.get("password"),
        "PGDATABASE": database or db["NAME"],
        "PGCONNECT_TIMEOUT": str(options.get("connect_timeout") or ""),
    }
    return {**os.environ, **{key: value for key, value in values.items() if value}}


def _run(program: list[str], environment: dict[str, str]) -> None:
    try:
        result = subprocess.run(program, env=environment, capture_output=True, text=True)
    except FileNotFoundError:
        raise CommandError(
            f"{program[0]} not found: install PostgreSQL's client programs "
            "(Debian: apt-get install postgresql-client) of the server's version."
        ) from None
    if result.returncode != 0:
        raise CommandError(f"{program[0]} failed: {result.stderr.strip()}")


def dump(destination: Path, *, using: str = "default") -> None:
    """Write a consistent pg_dump (custom format) of `using` to the new file `destination`:
    the event log's database without the key store's schema (events/keystore.py), which
    `backup_keys` copies on its own."""
    _run(
        [
            "pg_dump",
            "--format=custom",
            f"--exclude-schema={keystore.POSTGRES_SCHEMA}",
            f"--file={destination}",
        ],
        libpq_environment(using),
    )
    with open(destination, "rb+") as handle:
        os.fsync(handle.fileno())


def dump_keys(destination: Path, *, using: str = "default") -> None:
    """Write a pg_dump (custom format) of the key store's schema alone to `destination`."""
    _run(
        [
            "pg_dump",
            "--format=custom",
            f"--schema={keystore.POSTGRES_SCHEMA}",
            f"--file={destination}",
        ],
        libpq_environment(using),
    )
    with open(destination, "rb+") as handle:
        os.fsync(handle.fileno())


@contextlib.contextmanager
def scratch_database(using: str = "default") -> Iterator[str]:
    """A new, empty database on the same server, dropped afterwards. Yields its name."""
    base = connections[using].settings_dict["NAME"]
    name = f"{base[:40]}{SCRATCH_MARK}{uuid.uuid4().hex[:8]}"
    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def database_alias(name: str, *, using: str = "default", alias: str = CHECK_ALIAS):
    """Register the database `name` (same server as `using`) as a temporary Django alias."""
    options = {
        **connections.settings[using].get("OPTIONS", {}),
        "options": "-c statement_timeout=0",
    }
    return temporary_alias(alias, like=using, NAME=name, OPTIONS=options)


def check_dump(path: Path, *, using: str = "default") -> tuple[str, VerificationResult | None]:
    """Restore the dump at `path` into a scratch database and verify the event log there.

    Returns (problem, result): problem is "" when the dump restored and the log verified.
    """
    with scratch_database(using) as name:
        try:
            _run(
                [
                    "pg_restore",
                    "--no-owner",
                    "--no-privileges",
                    "--exit-on-error",
                    f"--dbname={name}",
                    str(path),
                ],
                libpq_environment(using, database=name),
            )
        except CommandError as error:
            return f"the dump does not restore ({error})", None
        try:
            with database_alias(name, using=using) as alias:
                result = verify_log(using=alias)
        except DatabaseError as error:
            return f"the event log could not be read: {error}", None
    return ("" if result.ok else f"hash chain {result.summary}"), result
