"""Scratch databases of rebuild/verify: claimed while in use, found and removed when left over.

`aside_sqlite.scratch` builds read models aside in
`.projections-scratch-<live file name>-<hex>.sqlite3` next to the live database and removes it
when done; a rebuild or verify killed part-way (SIGKILL, power loss) leaves it behind. Each
scratch file is claimed with an exclusive `flock` on the file itself for as long as it is in
use: the kernel drops the claim when its process dies, however it dies. So a file nobody can
claim is in use (a rebuild or verify running now in another process) and one that can be
claimed is a leftover. Leftovers are removed when the next rebuild or verify starts, and
`projection_status` lists them. The live read models are never touched here: a leftover is
only ever a copy being built.

(`flock` locks are separate from the POSIX record locks SQLite takes, so the claim does not
interfere with SQLite's own locking of the file. A sweep opens and closes a scratch file in use,
which drops this process's POSIX locks on it; only the process that made it ever opens one.)
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import glob
import logging
import os
import tempfile
import uuid
from collections.abc import Iterator

from events.sqlite import database_path

PREFIX = ".projections-scratch-"
SUFFIXES = ("", "-journal", "-wal", "-shm")


logger = logging.getLogger("ledgerline.projections")


def _pattern(using: str) -> str:
    """Scratch files of `using` are named for its file, so that a sweep never touches those of
    another database sharing the folder (another install, another test run in /tmp)."""
    live = database_path(using)
    live = os.path.abspath(live) if live else None
    folder = os.path.dirname(live) if live else tempfile.gettempdir()
    return os.path.join(folder, f"{PREFIX}{os.path.basename(live or 'memory')}-")


def new_path(using: str = "default") -> str:
    """A fresh scratch database path for `using`: beside its SQLite file (the same file system,
    so the swap reads a local file), or in the temp folder for an in-memory database."""
    return f"{_pattern(using)}{uuid.uuid4().hex}.sqlite3"


@dataclasses.dataclass(frozen=True)
class Leftover:
    path: str
    size: int  # bytes, the database and its journal files together


@contextlib.contextmanager
def claimed(path: str) -> Iterator[None]:
    """Create the scratch file `path` and hold an exclusive claim on it inside the block."""
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        if _same_file(fd, path):
            break
        os.close(fd)  # a sweep removed it between create and claim: create it again
    try:
        yield
    finally:
        os.close(fd)  # releases the claim


def _same_file(fd: int, path: str) -> bool:
    try:
        return os.path.samestat(os.fstat(fd), os.stat(path))
    except FileNotFoundError:
        return False


@contextlib.contextmanager
def _unclaimed(path: str) -> Iterator[bool]:
    """Yield whether `path` is a leftover; if so, hold its claim inside the block."""
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        yield False
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False  # a running rebuild or verify holds it
        else:
            yield _same_file(fd, path)
    finally:
        os.close(fd)


def _scratch_paths(using: str) -> list[str]:
    return sorted(glob.glob(glob.escape(_pattern(using)) + "[0-9a-f]" * 32 + ".sqlite3"))


def _size(path: str) -> int:
    return sum(os.path.getsize(path + s) for s in SUFFIXES if os.path.exists(path + s))


def leftovers(using: str = "default") -> list[Leftover]:
    """The scratch databases of `using` that no running process holds."""
    found = []
    for path in _scratch_paths(using):
        with _unclaimed(path) as left_over:
            if left_over:
                found.append(Leftover(path, _size(path)))
    return found


def remove_leftovers(using: str = "default") -> list[Leftover]:
    """Remove the leftover scratch databases of `using` (with their journals); return them.

    Each is removed while its claim is held, so a rebuild or verify starting meanwhile cannot
    lose the file it is creating (`claimed` re-creates a file removed under it)."""
    removed = []
    for path in _scratch_paths(using):
        with _unclaimed(path) as left_over:
            if not left_over:
                continue
            removed.append(Leftover(path, _size(path)))
            logger.warning(
                "Removing %s (%d bytes), left by a rebuild or verify that did not finish.",
                path,
                removed[-1].size,
            )
            for suffix in SUFFIXES:
                with contextlib.suppress(FileNotFoundError):
                    os.remove(path + suffix)
    return removed
