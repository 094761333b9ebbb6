"""A rebuild or verify killed part-way leaves its scratch database behind; nothing else may.

Real processes, really killed: a helper process opens the engine's scratch database (as a
rebuild or verify does first), says where, and waits; the test SIGKILLs it, as the issue's
eleven kills did. Its file must be reported by `projection_status` and removed when the next
rebuild or verify starts, while a scratch file still in use by a live process is left alone.
"""

from __future__ import annotations

import os
import select
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # starts processes

ROOT = Path(__file__).resolve().parents[2]

HOLD_SCRATCH = """
import sys, django
django.setup()
from projections import aside_sqlite
with aside_sqlite.scratch() as path:
    print(path, flush=True)
    sys.stdin.read()
"""


@pytest.fixture
def env(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.test",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
    )
    migrated = manage(env, "migrate", "--noinput", "--verbosity", "0")
    assert migrated.returncode == 0, migrated.stderr
    return env


def manage(env, *args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


def hold_scratch(env) -> tuple[subprocess.Popen, str]:
    """A process inside `aside_sqlite.scratch()`, and the path of its scratch file."""
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD_SCRATCH],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    path = process.stdout.readline().strip()
    assert path and os.path.exists(path), f"the helper did not open a scratch file: {path!r}"
    return process, path


def kill(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)


def test_a_killed_rebuilds_scratch_file_is_reported_then_removed_at_the_next_start(env, tmp_path):
    killed, left_path = hold_scratch(env)
    kill(killed)
    assert os.path.exists(left_path)  # the kill really leaves it behind

    status = manage(env, "projection_status")
    assert status.returncode == 0, status.stderr
    assert f"Leftover scratch database {left_path}" in status.stdout

    running, running_path = hold_scratch(env)  # the next start (a rebuild or verify)
    try:
        assert not os.path.exists(left_path)
        assert os.path.exists(running_path)
        status = manage(env, "projection_status")
        assert "Leftover" not in status.stdout  # in use: not a leftover
    finally:
        running.stdin.close()
        running.wait(timeout=30)
    assert not os.path.exists(running_path)  # a run that finishes removes its own
    assert not list(tmp_path.glob(".projections-scratch-*"))


def test_a_rebuild_leaves_a_scratch_file_in_use_alone_and_still_swaps_in(env, tmp_path):
    running, running_path = hold_scratch(env)
    try:
        rebuilt = manage(env, "rebuild_projections")
        verified = manage(env, "verify_projections")

        assert rebuilt.returncode == 0, rebuilt.stderr
        assert verified.returncode == 0, verified.stdout + verified.stderr
        assert os.path.exists(running_path)
    finally:
        running.stdin.close()
        running.wait(timeout=30)


def test_eleven_kills_do_not_pile_up_and_the_next_rebuild_leaves_nothing(env, tmp_path):
    for _ in range(11):  # the eleven kills left eleven files
        process, _path = hold_scratch(env)
        kill(process)
        # Each start removed the previous leftover: only the last kill's file is there.
        assert len(list(tmp_path.glob(".projections-scratch-*.sqlite3"))) == 1

    rebuilt = manage(env, "rebuild_projections")

    assert rebuilt.returncode == 0, rebuilt.stderr
    assert not list(tmp_path.glob(".projections-scratch-*"))


# A parallel rebuild whose own process announces its workers and then waits, never swapping.
HANG_IN_A_PARALLEL_REBUILD = """
import multiprocessing, sys, django
django.setup()
from projections import engine, replaying
from projections.registry import all_projections

def announce_the_workers_then_wait(*args):
    workers = multiprocessing.active_children()
    print(" ".join(str(p.pid) for p in workers if p.name.startswith("rebuild worker")), flush=True)
    sys.stdin.read()

replaying._apply_ranges = announce_the_workers_then_wait
engine.rebuild(all_projections(), processes=3, batch_size=1)
"""


def read_models(path) -> list[tuple]:
    """Every row of the read model tables, as stored."""
    with sqlite3.connect(path) as db:
        tables = [name for (name,) in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND "
            "(name LIKE 'projections_%' OR name IN ('orders_order', 'customers_customer'))"
        )]  # fmt: skip
        return [(t, sorted(db.execute(f'SELECT * FROM "{t}"'), key=repr)) for t in sorted(tables)]


def wait_until_gone(pid: int) -> None:
    """Wait (at most a minute) for a process that is not our child to end."""
    try:
        handle = os.pidfd_open(pid)
    except ProcessLookupError:
        return
    try:
        ready, _, _ = select.select([handle], [], [], 60)
        assert ready, f"process {pid} is still running"
    finally:
        os.close(handle)


def test_a_killed_parallel_rebuild_stops_its_workers_and_leaves_only_scratch_files(env, tmp_path):
    seeded = manage(env, "seed_demo", "--orders", "8", "--force")
    assert seeded.returncode == 0, seeded.stderr
    database = tmp_path / "db.sqlite3"
    before = read_models(database)
    rebuild = subprocess.Popen(
        [sys.executable, "-c", HANG_IN_A_PARALLEL_REBUILD],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    workers = [int(pid) for pid in rebuild.stdout.readline().split()]
    assert len(workers) == 2

    kill(rebuild)
    for pid in workers:  # each stops by itself at its next batch
        wait_until_gone(pid)

    assert read_models(database) == before
    assert len(list(tmp_path.glob(".projections-scratch-*.sqlite3"))) == 3  # its own and 2 parts
    rebuilt = manage(env, "rebuild_projections", "--processes", "2")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert not list(tmp_path.glob(".projections-scratch-*"))
    assert read_models(database) == before
