"""Concurrent writers on the real test database (a SQLite file, or PostgreSQL): threads with
their own connections, and separate processes. Every write is committed for real
(`transaction=True`)."""

import os
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest
from django.db import connection

from events import store
from events.exceptions import ConcurrencyError
from events.models import Event
from events.verification import verify_log
from tests.events.conftest import append_counted
from tests.together import run_together
from tests.vendor import database_url

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("committed_log"),
]


def run_in_threads(count: int, work) -> list[BaseException]:
    """Run `work(index)` in `count` threads released together; return what they raised.

    Each thread gets its own database connection from Django and closes it when done.
    """
    start = threading.Barrier(count)
    errors: list[BaseException] = []

    def target(index: int) -> None:
        try:
            start.wait()
            work(index)
        except BaseException as error:  # reported to the test, whatever it is
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def assert_positions_gap_free(expected_count: int) -> None:
    positions = list(Event.objects.order_by("position").values_list("position", flat=True))
    assert positions == list(range(1, expected_count + 1))


def versions_by_stream() -> dict[uuid.UUID, list[int]]:
    streams: dict[uuid.UUID, list[int]] = {}
    for stream_id, version in Event.objects.order_by("position").values_list(
        "stream_id", "version"
    ):
        streams.setdefault(stream_id, []).append(version)
    return streams


def test_twenty_threads_appending_to_their_own_streams_all_succeed_gap_free(committed_company):
    company, user = committed_company
    streams = [uuid.uuid4() for _ in range(20)]

    def append_ten(index: int) -> None:
        for version in range(10):
            append_counted(streams[index], version, version + 1, company=company, actor=user)

    errors = run_in_threads(20, append_ten)

    assert errors == []  # in particular no "database is locked"
    assert_positions_gap_free(200)
    assert versions_by_stream() == {stream: list(range(1, 11)) for stream in streams}
    assert verify_log().ok


def test_of_twenty_threads_racing_on_one_stream_exactly_one_wins(committed_company):
    company, user = committed_company
    stream = uuid.uuid4()
    append_counted(stream, 0, 0, company=company, actor=user)
    winners: list[int] = []

    def append_at_version_one(index: int) -> None:
        append_counted(stream, 1, index, company=company, actor=user)
        winners.append(index)

    errors = run_in_threads(20, append_at_version_one)

    assert len(winners) == 1
    assert len(errors) == 19
    assert all(isinstance(error, ConcurrencyError) for error in errors), errors
    assert {(e.expected_version, e.actual_version) for e in errors} == {(1, 2)}
    assert [(e.version, e.data.n) for e in store.read_stream(stream)] == [(1, 0), (2, winners[0])]
    assert_positions_gap_free(2)
    assert verify_log().ok


def test_threads_appending_several_events_at_once_never_interleave_them(committed_company):
    company, user = committed_company
    streams = [uuid.uuid4() for _ in range(10)]

    def append_batches(index: int) -> None:
        for batch in range(3):
            append_counted(streams[index], batch * 5, *range(5), company=company, actor=user)

    errors = run_in_threads(10, append_batches)

    assert errors == []
    rows = list(Event.objects.order_by("position").values_list("stream_id", "version"))
    # Each append of five is one transaction: its events sit next to each other in the log.
    for start in range(0, len(rows), 5):
        chunk = rows[start : start + 5]
        assert {stream for stream, _ in chunk} == {chunk[0][0]}
        assert [version for _, version in chunk] == list(range(chunk[0][1], chunk[0][1] + 5))
    assert_positions_gap_free(150)


# --- separate processes ---------------------------------------------------------------------

# A writer process: set Django up against the test database (never creating it), say
# "ready", wait for "go" on stdin so that all writers start together, then append.
WRITER = """
import sys, uuid
import django
django.setup()
from accounts.models import Company, User
from events import store
from tests.events.sample_events import counted

company = Company.objects.get(pk=sys.argv[1])
actor = User.objects.get(pk=sys.argv[2])
stream, appends = uuid.UUID(sys.argv[3]), int(sys.argv[4])
print("ready", flush=True)
sys.stdin.readline()
for version in range(appends):
    store.append(stream, version, counted(version), company=company, actor=actor,
                 stream_type="sample")
print("done", flush=True)
"""


def start_writer(database: str, company, user, stream: uuid.UUID, appends: int):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database,
    }
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(company.pk), str(user.pk), str(stream), str(appends)],
        cwd=ROOT,
        env=env,
        text=True,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


@pytest.mark.slow
def test_four_processes_appending_at_once_leave_a_gap_free_verifiable_log(committed_company):
    company, user = committed_company
    database = database_url()  # the test database, which every process can open
    streams = [uuid.uuid4() for _ in range(4)]
    writers = [start_writer(database, company, user, stream, 25) for stream in streams]
    results = run_together(writers)

    for writer, (out, err) in zip(writers, results, strict=True):
        assert writer.returncode == 0, err
        assert out.strip() == "done"
    assert_positions_gap_free(100)
    assert versions_by_stream() == {stream: list(range(1, 26)) for stream in streams}
    result = verify_log()
    assert result.ok, result.summary
    assert result.events_checked == 100
