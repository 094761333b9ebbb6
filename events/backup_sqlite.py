"""The SQLite side of `backup_db`: an online copy of the live file, and its checks.

The copy is made with SQLite's online backup API from a read-only connection while the server
keeps running. A copy counts only once it passes `PRAGMA integrity_check` and the event log's
hash chain (`verify_log`, run on the copy through a temporary database alias, against the
witnessed checkpoints up to the copy's head). Publishing and recording the checked copy are the
same for both databases: `events/backup.py`.
"""

from __future__ import annotations

import dataclasses
import os
import sqlite3
from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError
from django.db import DatabaseError, connections
from django.db.models import Max

from common.db_aliases import temporary_alias

from . import witness
from .models import Event
from .sqlite import database_path
from .verification import VerificationResult, verify_log

CHECK_ALIAS = "backup_check"
# A stepped backup starts again from page 1 whenever another connection commits; on a busy
# server that can go on for ever, so give up after this many restarts.
MAX_RESTARTS = 50


@dataclasses.dataclass
class CopyCheck:
    """What the checks found in a copy: `ok` only if both the file and the log are sound."""

    integrity: str
    verification: VerificationResult | None = None
    log_error: str = ""

    @property
    def ok(self) -> bool:
        return self.integrity == "ok" and self.verification is not None and self.verification.ok

    @property
    def problem(self) -> str:
        if self.integrity != "ok":
            return f"PRAGMA integrity_check says: {self.integrity}"
        if self.verification is None:
            return f"the event log could not be read: {self.log_error}"
        return "" if self.verification.ok else f"hash chain {self.verification.summary}"


def sqlite_file(using: str = "default") -> Path:
    """The file behind a SQLite database alias; a clear CommandError for anything else."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        raise CommandError(
            f"backup_db copies SQLite databases and dumps PostgreSQL ones (pg_dump); the {using!r} "
            f"database is {connection.vendor}: back it up with that database's own tools."
        )
    name = database_path(using)
    if name is None:
        raise CommandError(
            f"backup_db needs a database file, not {str(connection.settings_dict['NAME'])!r}."
        )
    path = Path(name).resolve()
    if not path.is_file():
        raise CommandError(f"The database file {path} does not exist.")
    return path


def copy_online(source: Path, destination: Path, *, pages: int = 0) -> None:
    """Copy `source` to the new file `destination` with SQLite's online backup API.

    The source is opened read-only (it cannot be changed by mistake) and waits for locks as
    long as the server's writers do. The copy is switched out of WAL mode so that it is one
    self-contained file, and synced to disk.
    """
    uri = f"{source.as_uri()}?mode=ro"
    timeout = settings.SQLITE_BUSY_TIMEOUT_MS / 1000
    restarts, last_remaining = 0, None

    def progress(status, remaining, total):
        nonlocal restarts, last_remaining
        if last_remaining is not None and remaining > last_remaining:
            restarts += 1
            if restarts > MAX_RESTARTS:
                raise CommandError(
                    f"The backup restarted {MAX_RESTARTS} times because the database kept "
                    "changing between steps; run it again with --pages 0 (one step)."
                )
        last_remaining = remaining

    src = sqlite3.connect(uri, uri=True, timeout=timeout)
    dst = sqlite3.connect(destination)
    try:
        src.backup(dst, pages=pages if pages > 0 else -1, progress=progress, sleep=0.05)
        dst.execute("PRAGMA journal_mode=DELETE")
    finally:
        dst.close()
        src.close()
    with open(destination, "rb+") as handle:
        os.fsync(handle.fileno())


def check_copy(path: Path | str, *, using: str = "default") -> CopyCheck:
    """Run `PRAGMA integrity_check`, then the hash chain check, on a copied database file."""
    try:
        connection = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)
        try:
            rows = connection.execute("PRAGMA integrity_check").fetchall()
        finally:
            connection.close()
    except sqlite3.DatabaseError as error:
        return CopyCheck(f"not a readable SQLite database ({error})")
    integrity = "; ".join(str(row[0]) for row in rows[:5]) or "no answer"
    if integrity != "ok":
        return CopyCheck(integrity)
    try:
        with database_alias(path) as alias:
            return CopyCheck(
                "ok", verify_log(using=alias, witnesses=_witnesses_up_to(alias, using))
            )
    except DatabaseError as error:
        return CopyCheck("ok", log_error=str(error))


def _witnesses_up_to(alias: str, using: str) -> list[witness.Witness]:
    """The configured witness's checkpoints up to the copy's head (the server went on writing
    after the copy was taken); none if the witness cannot be read (the backup still counts)."""
    live = witness.load_configured(using)
    if live.problem:
        return []
    head = Event.objects.using(alias).aggregate(head=Max("position"))["head"] or 0
    live.hashes = {p: h for p, h in live.hashes.items() if p <= head}
    live.conflicts = {p: h for p, h in live.conflicts.items() if p <= head}
    return [live]


def database_alias(path: Path | str, alias: str = CHECK_ALIAS):
    """Register a SQLite file as a temporary, query-only Django database alias."""
    return temporary_alias(
        alias,
        ENGINE="django.db.backends.sqlite3",
        NAME=str(path),
        OPTIONS={"init_command": "PRAGMA query_only=ON;"},
    )
