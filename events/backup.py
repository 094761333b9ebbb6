"""`backup_db PATH`: a consistent copy of the live SQLite database, checked before it counts.

One interface, one file per database: `events/backup_sqlite.py` (the online copy and its
checks) and `events/backup_postgres.py` (a pg_dump, restored into a scratch database and checked
there); this module publishes and records a checked copy, the same way for both. The rest of
this docstring is about SQLite.

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
import os
import time
import uuid
from pathlib import Path

from django.core.management.base import CommandError
from django.db import connections
from django.utils import timezone

from . import backup_postgres, backup_sqlite, witness
from .models import BackupRecord
from .verification import VerificationResult


def backup(path: str, *, force: bool = False, pages: int = 0, using: str = "default") -> str:
    """Back the database `using` up to `path` (a file name), checked before it is published
    there; `pages` per step of SQLite's online backup (0: one step). Returns the report, in
    words; raises CommandError (nothing at `path`) when the copy cannot be made or fails its
    check."""
    started = time.perf_counter()
    postgresql = connections[using].vendor == "postgresql"
    source = None if postgresql else backup_sqlite.sqlite_file(using)
    target = _target(path, source, force)
    partial = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.partial")
    try:
        if postgresql:
            backup_postgres.dump(partial, using=using)
            problem, result = backup_postgres.check_dump(partial, using=using)
            checked = "pg_restore into a scratch database: ok"
        else:
            backup_sqlite.copy_online(source, partial, pages=pages)
            check = backup_sqlite.check_copy(partial, using=using)
            problem, result = check.problem, check.verification
            checked = "integrity_check: ok"
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
        raise
    if problem:
        _refuse(partial, target, problem)
    _publish(partial, target, force=force)
    witnessed = record_backup(target, result, started, using=using)
    return (
        f"Backup written to {target}: {target.stat().st_size / 1_048_576:,.1f} MB, "
        f"{result.events_checked:,} events (head position {result.head_position}), "
        f"{time.perf_counter() - started:.2f}s.\n"
        f"  {checked}\n"
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
