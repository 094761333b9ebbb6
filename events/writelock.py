"""The writers' queue of a SQLite database file.

Writers queue before BEGIN IMMEDIATE instead of inside it. SQLite admits one writer; a writer
that finds the lock taken waits in SQLite's busy handler, which sleeps in steps of up to
100 ms, so a 1 ms command can wait a whole step (and under load, many). Instead, writers of
this process queue on a re-entrant thread lock, and writers of all processes on an exclusive
flock() of a file next to the database, which the kernel hands over the moment it is freed.
Writers that skip this (ops commands, the admin) still queue in busy_timeout, so nothing can
deadlock: the file lock is only ever taken before the database lock, and the thread lock
before the file lock.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

try:
    import fcntl
except ImportError:  # pragma: no cover - not on POSIX: busy_timeout alone
    fcntl = None

from django.db import connections

_thread_lock = threading.RLock()
_lock_files: dict[str, object] = {}
_held = threading.local()


def database_path(using: str) -> str | None:
    """The file of a file-based SQLite database (None for anything else)."""
    connection = connections[using]
    name = str(connection.settings_dict.get("NAME") or "")
    if connection.vendor != "sqlite" or not name or name.startswith("file:") or name == ":memory:":
        return None
    return name


@contextlib.contextmanager
def queue(path: str | None) -> Iterator[int]:
    """Hold the writers' queue of the database file `path` (None: this process's lock only).

    Re-entrant within a thread; yields the nesting depth (0 for the outermost holder).
    """
    with _thread_lock:
        depth = getattr(_held, "depth", 0)
        lock_file = _lock_file(path) if depth == 0 and path and fcntl else None
        if lock_file is not None:
            fcntl.flock(lock_file, fcntl.LOCK_EX)
        _held.depth = depth + 1
        try:
            yield depth
        finally:
            _held.depth = depth
            if lock_file is not None:
                fcntl.flock(lock_file, fcntl.LOCK_UN)


def _lock_file(path: str):
    lock_path = f"{path}.write-lock"
    if lock_path not in _lock_files:
        _lock_files[lock_path] = open(lock_path, "a+b")  # noqa: SIM115 - kept for the process
    return _lock_files[lock_path]
