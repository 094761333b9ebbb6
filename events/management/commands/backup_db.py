"""`backup_db PATH`: a consistent copy of the live SQLite database, checked before it counts.

(On PostgreSQL: a pg_dump, restored into a scratch database and checked there; see
events/backup_postgres.py. The rest of this docstring is about SQLite.)

The copy is made with SQLite's online backup API from a read-only connection while the server
keeps running, into a temporary file next to PATH. Only a copy that passes `PRAGMA
integrity_check` and the event log's hash chain (`verify_log`, run on the copy through a
temporary database alias, against the witnessed checkpoints up to the copy's head) is moved to
PATH, by an atomic rename: PATH never holds half a file or an unchecked one.

Then the copy's head is witnessed, and the witness's checkpoints up to that head are written
beside it as `PATH.witness.jsonl` (read-only): restored elsewhere, the backup verifies against
them (`verify_events --witness PATH.witness.jsonl`, or that file as the new WITNESS_DIR's
`checkpoints.jsonl`). A witness that cannot be read or written does not stop the backup: it
says so, and the copy then holds only the backup's own checkpoint. Each published backup is
recorded (`BackupRecord`: time, path, size, head) for the ops page.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import sqlite3
import time
import uuid
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connections
from django.db.models import Max
from django.utils import timezone

from common.db_aliases import temporary_alias
from events import backup_postgres, witness
from events.models import BackupRecord, Event
from events.sqlite import database_path
from events.verification import VerificationResult, verify_log

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


class Command(BaseCommand):
    help = (
        "Copy the SQLite database to PATH while the server runs (online backup API), check the "
        "copy (integrity_check and the event hash chain) and only then move it into place. "
        "On PostgreSQL: pg_dump to PATH, checked by restoring it into a scratch database."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="Where to write the backup (a file name).")
        parser.add_argument("--force", action="store_true", help="Replace PATH if it exists.")
        parser.add_argument("--database", default="default", help="Database alias to copy.")
        parser.add_argument(
            "--pages",
            type=int,
            default=0,
            help=(
                "Pages copied per step (default 0: all in one step). In WAL mode one step reads "
                "a single snapshot without blocking writers; small steps start again whenever "
                "the server commits."
            ),
        )

    def handle(self, *args, path, force, database, pages, **options):
        if connections[database].vendor == "postgresql":
            self._backup_postgresql(path, force=force, using=database)
            return
        started = time.perf_counter()
        source = sqlite_file(database)
        target = _target(path, source, force)
        partial = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.partial")
        try:
            copy_online(source, partial, pages=pages)
            check = check_copy(partial, using=database)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                partial.unlink()
            raise
        if not check.ok:
            _refuse(partial, target, check.problem)
        _publish(partial, target, force=force)
        result = check.verification
        witnessed = record_backup(target, result, started, using=database)
        self.stdout.write(
            f"Backup written to {target}: {target.stat().st_size / 1_048_576:,.1f} MB, "
            f"{result.events_checked:,} events (head position {result.head_position}), "
            f"{time.perf_counter() - started:.2f}s.\n"
            f"  integrity_check: ok\n"
            f"  hash chain: {result.summary}\n"
            f"  witness: {witnessed}"
        )

    def _backup_postgresql(self, path: str, *, force: bool, using: str) -> None:
        """pg_dump, restored into a scratch database and verified there (backup_postgres)."""
        started = time.perf_counter()
        target = _target(path, None, force)
        partial = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.partial")
        try:
            backup_postgres.dump(partial, using=using)
            problem, result = backup_postgres.check_dump(partial, using=using)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                partial.unlink()
            raise
        if problem:
            _refuse(partial, target, problem)
        _publish(partial, target, force=force)
        witnessed = record_backup(target, result, started, using=using)
        self.stdout.write(
            f"Backup written to {target}: {target.stat().st_size / 1_048_576:,.1f} MB, "
            f"{result.events_checked:,} events (head position {result.head_position}), "
            f"{time.perf_counter() - started:.2f}s.\n"
            f"  pg_restore into a scratch database: ok\n"
            f"  hash chain: {result.summary}\n"
            f"  witness: {witnessed}"
        )


def record_backup(target: Path, result: VerificationResult, started: float, *, using: str) -> str:
    """After a backup passed its checks: witness its head, copy the checkpoints beside it and
    record it for the ops page (`BackupRecord`). Returns what the witness step did, in words."""
    witnessed = witness_backup(target, result, using=using)
    BackupRecord.objects.using(using).create(
        taken_at=timezone.now(),
        path=str(target),
        size_bytes=target.stat().st_size,
        head_position=result.head_position,
        events_checked=result.events_checked,
        verified=True,
        duration_seconds=time.perf_counter() - started,
    )
    return witnessed


def _refuse(partial: Path, target: Path, problem: str) -> None:
    """Keep a copy that failed its check aside (PATH.unverified) and raise CommandError."""
    kept = target.with_name(target.name + ".unverified")
    os.replace(partial, kept)
    raise CommandError(
        f"Backup FAILED its check: {problem}. Nothing was written to {target}; "
        f"the unchecked copy is kept at {kept} for inspection. The live database most "
        "likely has the same problem: run `manage.py verify_events` on it."
    )


def witness_copy_path(target: Path) -> Path:
    """Where the checkpoints that go with a backup file are written."""
    return target.with_name(target.name + ".witness.jsonl")


def witness_backup(target: Path, result: VerificationResult, *, using: str = "default") -> str:
    """Witness the backup's head, then copy the checkpoints up to it beside the backup.

    Returns what was done, in words (a problem with the witness is said, never raised).
    """
    destination = witness_copy_path(target)
    head, head_hash = result.head_position, result.head_hash
    failed = witness.record(head, head_hash, using=using, by="backup_db") if head else ""
    try:
        count = witness.copy(witness.checkpoint_file(using), destination, up_to=head)
    except OSError as error:
        own = witness.Checkpoint(head, head_hash, by="backup_db")
        destination.write_bytes(own.line() if head else b"")
        destination.chmod(witness.EXPORT_MODE)
        return (
            f"WARNING: the witness could not be copied ({error}); {destination} holds only "
            "this backup's own checkpoint"
        )
    note = f"; WARNING: the head could not be witnessed ({failed})" if failed else ""
    return (
        f"{count:,} checkpoints up to position {head:,} copied to {destination}{note} "
        f"{witness.CHECKPOINTS_ARE_NOT_EVENTS}"
    )


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


def _target(path: str, source: Path | None, force: bool) -> Path:
    target = Path(path).expanduser().absolute()
    if target.is_dir():
        raise CommandError(f"{target} is a directory; give the backup a file name.")
    if not target.parent.is_dir():
        raise CommandError(f"The folder {target.parent} does not exist.")
    if target.resolve() == source:
        raise CommandError("PATH is the live database itself; choose another file.")
    if target.exists() and not force:
        raise CommandError(f"{target} already exists; use --force to replace it.")
    return target


def _publish(partial: Path, target: Path, *, force: bool) -> None:
    """Move the checked copy to `target` in one atomic step (never clobbering without force)."""
    appeared = CommandError(f"{target} appeared while backing up; nothing was replaced.")
    if force:
        os.replace(partial, target)
    else:
        try:
            os.link(partial, target)  # fails if `target` appeared meanwhile: nothing clobbered
        except FileExistsError:
            partial.unlink()
            raise appeared from None
        except OSError:  # a file system without hard links: check, then rename
            if target.exists():
                partial.unlink()
                raise appeared from None
            os.replace(partial, target)
        else:
            partial.unlink()
    directory = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(directory)  # the rename itself survives a power cut
    finally:
        os.close(directory)
