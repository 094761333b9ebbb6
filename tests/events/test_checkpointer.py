"""The background WAL checkpointer: it moves committed pages into the database file, off the
committing thread, keeps the log bounded, and never gets in a writer's way."""

import shutil
import sqlite3
import threading
import time
import uuid

import pytest
from django.db import connection

from events import checkpointer, store, writelock
from events.verification import verify_log
from tests.events.conftest import append_counted
from tests.vendor import sqlite_only

pytestmark = [
    pytest.mark.django_db(transaction=True),
    sqlite_only("SQLite's write-ahead log and its checkpoints"),
]


def events_in_the_database_file(path: str, tmp_path) -> int:
    """Events in the database file itself, without its log: what checkpoints have copied."""
    copy = tmp_path / "file-only.sqlite3"
    shutil.copyfile(path, copy)  # the main file alone: no -wal next to the copy
    probe = sqlite3.connect(copy)
    try:
        return probe.execute("SELECT COUNT(*) FROM events_event").fetchone()[0]
    except sqlite3.OperationalError:  # not even the table has been copied yet
        return 0
    finally:
        probe.close()


def autocheckpoint() -> int:
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_autocheckpoint")
        return cursor.fetchone()[0]


@pytest.fixture
def checkpointing(settings, committed_db):
    """A process with the checkpointer on: its connections are opened afresh."""
    settings.SQLITE_CHECKPOINT_SECONDS = 0.05
    connection.close()
    connection.ensure_connection()
    yield writelock.database_path("default")
    # The thread would outlive the test and checkpoint files other tests copy and replace.
    checkpointer.stop()
    assert checkpointer._threads == {}
    connection.close()  # the next test's connection checkpoints as SQLite does by default


def test_a_new_connection_leaves_its_checkpoints_to_one_thread(checkpointing, acme, tmp_path):
    path = checkpointing
    assert autocheckpoint() == 0  # no checkpoint inside this connection's commits
    append_counted(uuid.uuid4(), 0, 1, 2, 3, company=acme)
    append_counted(uuid.uuid4(), 0, 4, company=acme)

    (thread,) = checkpointer._threads.values()  # one per process and database
    assert thread.is_alive() and thread.daemon
    deadline = time.monotonic() + 10
    while events_in_the_database_file(path, tmp_path) < 4 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert events_in_the_database_file(path, tmp_path) == 4


def test_a_long_log_is_completed_with_the_writers_held_off_and_then_starts_over(
    checkpointing, acme, monkeypatch
):
    """A passive checkpoint under a steady stream of writes never completes, so the log would
    only grow. Past RESTART_FRAMES the pass holds the writers' queue and completes."""
    path = checkpointing
    checkpointer.stop()  # this test drives the passes itself
    monkeypatch.setattr(checkpointer, "RESTART_FRAMES", 1)
    held = []
    real_queue = writelock.queue

    def recording_queue(queue_path):
        held.append(queue_path)
        return real_queue(queue_path)

    monkeypatch.setattr(writelock, "queue", recording_queue)
    stream = uuid.uuid4()
    append_counted(stream, 0, *range(20), company=acme)
    held.clear()  # (the appends queued too)
    probe = sqlite3.connect(path)
    try:
        busy, log, done = checkpointer.checkpoint_pass(probe, path)
        assert (busy, done) == (0, log) and log > 0  # everything copied
        assert held == [path]  # ... in a pass that held the writers off

        append_counted(stream, 20, 20, company=acme)  # the next writer starts the log over
        _busy, log_after, _done = checkpointer.checkpoint(probe)
        assert 0 < log_after < log
    finally:
        probe.close()


def test_below_the_limit_a_pass_never_holds_the_writers(checkpointing, acme, monkeypatch):
    checkpointer.stop()
    append_counted(uuid.uuid4(), 0, 1, company=acme)
    held = []
    monkeypatch.setattr(writelock, "queue", lambda path: held.append(path))
    probe = sqlite3.connect(checkpointing)
    try:
        checkpointer.checkpoint_pass(probe, checkpointing)
    finally:
        probe.close()
    assert held == []


def test_writers_are_never_refused_while_the_checkpointer_runs(checkpointing, acme, monkeypatch):
    """Four threads append 25 events each while the thread checkpoints every 50 ms, holding
    the writers off whenever the log passes 20 frames: no "database is locked", no lost or
    doubled event, and the chain still verifies."""
    monkeypatch.setattr(checkpointer, "RESTART_FRAMES", 20)
    errors = []

    def writer():
        stream = uuid.uuid4()
        try:
            for version in range(25):
                append_counted(stream, version, version, company=acme)
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert store.head_position() == 100
    assert verify_log().ok


def test_no_thread_when_switched_off_or_for_other_databases(settings, db):
    checkpointer.stop()
    settings.SQLITE_CHECKPOINT_SECONDS = 0
    connection.close()
    connection.ensure_connection()
    assert checkpointer._threads == {}
    assert autocheckpoint() > 0  # SQLite checkpoints in commits, as by default

    settings.SQLITE_CHECKPOINT_SECONDS = 0.05
    scratch = type("Scratch", (), {"alias": "projections_scratch"})()  # not in DATABASES
    checkpointer.on_connection_created(sender=None, connection=scratch)
    assert checkpointer._threads == {}
