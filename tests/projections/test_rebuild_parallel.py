"""A rebuild whose replay is split into ranges of streams, replayed by worker processes (real
ones, spawned) and merged: the same read models as one process and as the inline projections,
and a worker that dies makes the rebuild fail with the live read models untouched."""

import glob
import itertools
import multiprocessing
import os
import signal

import pytest
from django.db import connection

from events import replay, store
from events.models import Event
from orders import erasure
from projections import aside_postgres, replaying, scratch
from tests import factories
from tests.vendor import ON_POSTGRES

from .histories import TOUR, play
from .read_models import read_model_tables, run, snapshot, wipe

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("rebuildable_db")]


@pytest.fixture
def history(acme, globex):
    """Every kind of event in both companies (TOUR), an erased order, and enough orders that
    each company's streams fall in several ranges (stream ids are random): per-company totals
    and quarter-hour counts are then summed from several processes' parts."""
    play(TOUR, [acme, globex])
    for company in (acme, globex):
        for state in ("delivered", "shipped", "on_hold", "submitted", "cancelled", "draft") * 3:
            factories.order_in_state(state, company)
    erased = factories.order_in_state("delivered", acme)
    erasure.erase_customer(company_id=acme.pk, order_id=erased.pk, reason="request")


@pytest.fixture
def workers_replay_all_but_one_range(monkeypatch):
    """This process replays the first range and leaves every other one to the workers (which
    would otherwise start too late to find any left in a history this small), so that the
    merge adds rows of several parts to this process's own."""

    def one_range(projections, task, shared, on_batch):
        first = shared.take(1, 0)  # the first range, or none if a worker was quicker
        if first is not None:
            batches = replay.read_by_stream(
                up_to_position=task["up_to"],
                batch_size=task["batch_size"],
                streams=task["ranges"][first],
            )
            replaying.apply_batches(projections, batches, on_batch)

    monkeypatch.setattr(replaying, "_apply_ranges", one_range)


def parts_left_behind() -> list[str]:
    """Scratch databases of any kind (the rebuild's and its workers' parts) still present."""
    if ON_POSTGRES:
        return aside_postgres.scratch_schemas()
    return glob.glob(glob.escape(scratch._pattern("default")) + "*")


@pytest.mark.usefixtures("history", "workers_replay_all_but_one_range")
def test_a_rebuild_in_three_processes_gives_the_rows_of_one_process_and_of_the_inline_ones(
    monkeypatch,
):
    merged = []
    merge = replaying.merge
    monkeypatch.setattr(replaying, "merge", lambda *args: merged.append(merge(*args)))
    inline = snapshot()
    wipe(read_model_tables())
    run("rebuild_projections", processes=1)
    one_process = snapshot()
    wipe(read_model_tables())

    output = run("rebuild_projections", processes=3, batch_size=7)

    assert ", 3 processes, " in output
    assert 1 <= len(merged) <= 2  # the workers' parts (one of them may have found none left)
    assert snapshot() == one_process == inline
    assert run("verify_projections", processes=2) == "OK\n"
    assert parts_left_behind() == []


@pytest.mark.usefixtures("history", "workers_replay_all_but_one_range")
def test_a_parallel_verify_finds_a_tampered_per_company_total():
    with connection.cursor() as cursor:
        cursor.execute(
            'UPDATE "projections_dashboardstatetotal" SET "count" = "count" + 1 '
            "WHERE \"state\" = 'delivered'"
        )

    with pytest.raises(Exception, match=r"differing row\(s\)"):
        run("verify_projections", processes=3)

    run("rebuild_projections", processes=3)
    assert run("verify_projections", processes=3) == "OK\n"


@pytest.mark.usefixtures("history")
def test_a_worker_killed_during_the_replay_fails_the_rebuild_and_leaves_the_live_rows(
    monkeypatch,
):
    before = snapshot()
    apply_ranges = replaying._apply_ranges
    killed = []

    def kill_the_workers_then_replay(projections, task, shared, on_batch):
        for process in multiprocessing.active_children():
            if process.name.startswith("rebuild worker"):
                os.kill(process.pid, signal.SIGKILL)
                killed.append(process.pid)
        apply_ranges(projections, task, shared, on_batch)

    monkeypatch.setattr(replaying, "_apply_ranges", kill_the_workers_then_replay)
    wipe(read_model_tables()[:1])  # a live table the swap would have refilled

    changed = snapshot()
    with pytest.raises(Exception, match="killed by signal 9"):
        run("rebuild_projections", processes=3, batch_size=5)

    assert len(killed) == 2
    assert snapshot() == changed != before  # nothing swapped in
    assert parts_left_behind() == []
    monkeypatch.undo()
    run("rebuild_projections", processes=2)
    assert snapshot() == before


@pytest.mark.usefixtures("history")
@pytest.mark.parametrize("parts", [1, 2, 5, 1000])
def test_stream_ranges_hold_every_event_once_and_never_split_a_stream(parts):
    head = store.head_position()

    ranges = replay.stream_ranges(parts, up_to_position=head)

    assert 1 <= len(ranges) <= parts
    assert ranges[0][0] is None and ranges[-1][1] is None
    assert all(end == first for (_, end), (first, _) in itertools.pairwise(ranges))
    read = [
        [e for batch in replay.read_by_stream(up_to_position=head, streams=r) for e in batch]
        for r in ranges
    ]
    every = [e.position for batch in replay.read_all(0, up_to_position=head) for e in batch]
    assert sorted(e.position for events in read for e in events) == every
    streams = [{event.stream_id for event in events} for events in read]
    assert sum(len(s) for s in streams) == len(set().union(*streams))  # no stream in two
    assert all(streams)  # no range without a stream (a process would start for nothing)


def test_a_rebuild_asked_for_more_processes_than_streams_starts_no_more_than_it_can_use(acme):
    """`--processes 50` on a log of a few streams: a process per range of streams at most
    (each would otherwise start, make its scratch part and find nothing to replay)."""
    for state in ("delivered", "on_hold", "submitted"):
        factories.order_in_state(state, acme)
    before = snapshot()
    wipe(read_model_tables())
    started = []
    start = multiprocessing.context.SpawnProcess.start
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setattr(
        multiprocessing.context.SpawnProcess,
        "start",
        lambda process: started.append(process) or start(process),
    )
    try:
        output = run("rebuild_projections", processes=50)
    finally:
        monkeypatch.undo()

    streams = Event.objects.values("stream_id").distinct().count()
    assert streams < 10
    assert len(started) <= streams - 1  # a process per stream at most, this one among them
    assert ", 50 processes" not in output
    assert snapshot() == before
    assert parts_left_behind() == []
