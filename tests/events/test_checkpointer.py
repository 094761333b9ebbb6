"""The background WAL checkpointer: it moves committed pages into the database file, off the
committing thread, and never gets in a writer's way."""

import shutil
import sqlite3
import threading
import time
import uuid

import pytest
from django.db import connection

from events import checkpointer, store
from tests.events.conftest import append_counted

pytestmark = pytest.mark.django_db(transaction=True)


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


@pytest.fixture
def checkpointing(settings, committed_db):
    """Checkpoints left to the thread: SQLite's own in-commit checkpoints switched off."""
    settings.SQLITE_CHECKPOINT_SECONDS = 0.05
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_autocheckpoint=0")
    yield checkpointer.database_file("default")
    # The thread would outlive the test and checkpoint files other tests copy and replace.
    checkpointer.stop()
    assert checkpointer._threads == {}
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_autocheckpoint=10000")


def test_a_writer_starts_one_checkpointer_that_copies_the_log_into_the_file(
    checkpointing, acme, tmp_path
):
    path = checkpointing
    append_counted(uuid.uuid4(), 0, 1, 2, 3, company=acme)
    append_counted(uuid.uuid4(), 0, 4, company=acme)

    (thread,) = checkpointer._threads.values()  # one per process and database, not per write
    assert thread.is_alive() and thread.daemon
    deadline = time.monotonic() + 10
    while events_in_the_database_file(path, tmp_path) < 4 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert events_in_the_database_file(path, tmp_path) == 4


def test_writers_are_never_refused_while_the_checkpointer_runs(checkpointing, acme):
    """Four threads append 25 events each while the thread checkpoints every 50 ms: no
    "database is locked", no lost or doubled event, and the chain still verifies."""
    from events.verification import verify_log

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


def test_no_thread_when_switched_off_or_without_a_database_file(settings, monkeypatch, db):
    checkpointer.stop()
    settings.SQLITE_CHECKPOINT_SECONDS = 0
    checkpointer.ensure_running()
    assert checkpointer._threads == {}

    settings.SQLITE_CHECKPOINT_SECONDS = 0.05
    monkeypatch.setitem(connection.settings_dict, "NAME", ":memory:")
    checkpointer.ensure_running()
    assert checkpointer._threads == {}
