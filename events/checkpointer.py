"""Checkpoint SQLite's write-ahead log in the background, off the request path.

In WAL mode a commit appends pages to the `-wal` file; a *checkpoint* copies them back into the
database file and syncs it. By default SQLite does that inside whichever commit takes the log
past 1,000 pages, so every so often one user's click pays for everybody's writes, while it
holds the writers' queue: a command that takes about 1 ms then takes 30-80 ms (measured: one
commit in ~300, and ~15% of the commands' throughput).

Instead, every process with a connection to the database runs one daemon thread that
checkpoints with `PASSIVE` every `SQLITE_CHECKPOINT_SECONDS`, which never waits for (or
blocks) readers and writers, and that process's connections do not checkpoint in their commits
(`wal_autocheckpoint=0`). Under a steady stream of writes a passive checkpoint never catches up
completely, and the log only starts over from its beginning after one has; so when the log
passes `RESTART_FRAMES`, the thread holds the writers' queue (`writelock`) for one more pass,
which then completes: the log stays bounded. `SQLITE_CHECKPOINT_SECONDS = 0` (tests) leaves
checkpoints to SQLite.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading

from django.conf import settings

from . import writelock

logger = logging.getLogger("ledgerline.checkpointer")

RESTART_FRAMES = 16384  # ~64 MB of log with 4 KiB pages

_threads: dict[tuple[int, str], threading.Thread] = {}
_start_lock = threading.Lock()
_stop = threading.Event()


def on_connection_created(sender, connection, **kwargs) -> None:
    """`connection_created` handler: hand this connection's checkpoints to the thread."""
    interval = getattr(settings, "SQLITE_CHECKPOINT_SECONDS", 0)
    if not interval or connection.alias not in settings.DATABASES:  # not a scratch database
        return
    path = writelock.database_path(connection.alias)
    if path is None:
        return
    connection.connection.execute("PRAGMA wal_autocheckpoint=0")
    ensure_running(path, interval)


def ensure_running(path: str, interval: float) -> None:
    """Start this process's checkpointer for the database file `path` (once)."""
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


def checkpoint(connection: sqlite3.Connection) -> tuple[int, int, int]:
    """One PASSIVE checkpoint: (busy, frames in the log, frames checkpointed)."""
    return connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()


def checkpoint_pass(connection: sqlite3.Connection, path: str) -> tuple[int, int, int]:
    """A passive checkpoint; if the log has grown past RESTART_FRAMES, one more pass with the
    writers held off, so that it completes and the next writer starts the log over."""
    busy, log, done = checkpoint(connection)
    if not busy and log >= RESTART_FRAMES:
        with writelock.queue(path):
            busy, log, done = checkpoint(connection)
    return busy, log, done


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
    connection = sqlite3.connect(path, timeout=1, isolation_level=None, check_same_thread=False)
    try:
        while not _stop.wait(interval):
            try:
                checkpoint_pass(connection, path)
            except sqlite3.Error as error:  # logged, and tried again later: never dies silently
                logger.warning("wal_checkpoint_failed path=%s error=%s", path, error)
                _stop.wait(5 * interval)
    finally:
        connection.close()
