"""Checkpoint SQLite's write-ahead log in the background, off the request path.

In WAL mode a commit appends pages to the `-wal` file; a *checkpoint* copies them back into the
database file and syncs it. SQLite does that itself in whichever connection commits when the
log passes `wal_autocheckpoint` pages, so every so often one user's click pays for everybody's
writes: a command that takes about 1 ms then takes 20 ms, and under load the checkpoints (the
random-key indexes make each commit touch ~40 pages) were a third of the write path's time.

Here each process that writes runs one daemon thread that checkpoints every few tenths of a
second with `PASSIVE`, which never waits for (or blocks) readers and writers. The connections'
own `wal_autocheckpoint` stays on, set high (settings), as the safety net for a process that
never starts the thread. `SQLITE_CHECKPOINT_SECONDS = 0` turns the thread off.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading

from django.conf import settings
from django.db import connections

logger = logging.getLogger("ledgerline.checkpointer")

_threads: dict[tuple[int, str], threading.Thread] = {}
_start_lock = threading.Lock()
_stop = threading.Event()


def ensure_running(using: str = "default") -> None:
    """Start this process's checkpointer for the database `using` (once; cheap after that)."""
    interval = getattr(settings, "SQLITE_CHECKPOINT_SECONDS", 0)
    if not interval:
        return
    path = database_file(using)
    if path is None:
        return
    key = (os.getpid(), path)  # a forked child has no thread, whatever its parent had
    if key in _threads:
        return
    with _start_lock:
        if key not in _threads:
            _stop.clear()
            thread = threading.Thread(
                target=_run, args=(path, interval), name="sqlite-checkpointer", daemon=True
            )
            thread.start()
            _threads[key] = thread


def database_file(using: str) -> str | None:
    """The file of a file-based SQLite database, else None."""
    connection = connections[using]
    name = str(connection.settings_dict.get("NAME") or "")
    if connection.vendor != "sqlite" or not name or name == ":memory:" or "mode=memory" in name:
        return None
    return name


def checkpoint(connection: sqlite3.Connection) -> tuple[int, int, int]:
    """One PASSIVE checkpoint: (busy, frames in the log, frames checkpointed)."""
    return connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()


def stop() -> None:
    """Stop this process's checkpointers and wait for them (tests; a server never needs to)."""
    with _start_lock:
        _stop.set()
        for key, thread in list(_threads.items()):
            if key[0] == os.getpid():
                thread.join()
            del _threads[key]


def _run(path: str, interval: float) -> None:
    """The thread: a daemon, so it also ends with its process (SQLite needs no goodbye)."""
    connection = sqlite3.connect(
        path, timeout=1, isolation_level=None, uri=path.startswith("file:")
    )
    try:
        while not _stop.wait(interval):
            try:
                checkpoint(connection)
            except sqlite3.Error as error:  # logged, and tried again later: never dies silently
                logger.warning("wal_checkpoint_failed path=%s error=%s", path, error)
                _stop.wait(5 * interval)
    finally:
        connection.close()
