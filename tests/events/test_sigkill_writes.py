"""Issue #24 §16: what a crash of the app loses, tested with a real SIGKILL.

A writer process (Django set up on the committed test database, SQLite file or PostgreSQL,
witnessing into the test's folder) places orders and adds notes through `orders.commands` as
fast as it can, printing each command's (stream, version) once the command has returned. It is
SIGKILLed mid-writes, three times at different moments, and started again on the same database.

What docs/security.md ("What it does not prove") states, checked after each kill: every commit
that was acknowledged is in the log; no half event (versions gap-free per stream, the chain
verifies, the file is sound); the inline projections are what a rebuild gives; the witness file
holds only whole lines; the only loss allowed is the checkpoints of the last commits, which show
as unwitnessed events (a warning; `--strict` fails) until a later commit's checkpoint covers them.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import defaultdict
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from events import witness
from events.models import Event
from events.verification import verify_log
from projections.models import OrderSummary
from tests.projections.conftest import rebuildable_db  # noqa: F401 - a fixture
from tests.vendor import ON_POSTGRES, database_url

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("committed_log", "rebuildable_db"),
]

# Places an order, adds notes to it, again; prints "<stream id> <version>" after each command.
# With a limit (argv[2]) it stops there and exits normally.
WRITER = """
import sys
import django
django.setup()
from accounts.models import User
from orders import commands
from tests import factories

actor = User.objects.get(pk=sys.argv[1])
limit = int(sys.argv[2])
done = 0
while limit == 0 or done < limit:
    if done % 4 == 0:
        order = factories.place(actor)
    else:
        order = commands.add_note(
            order.id, actor=actor, expected_version=order.version, text=f"note {done}"
        )
    print(order.id, order.version, flush=True)
    done += 1
"""
# After how many acknowledged commands each run is killed: early, mid-order, later.
KILL_AFTER = (3, 10, 25)


def start_writer(staff, witness_dir: Path, *, limit: int = 0) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url(),
        "WITNESS_DIR": str(witness_dir),
    }
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(staff.pk), str(limit)],
        cwd=ROOT,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def acknowledged_until_killed(writer: subprocess.Popen, count: int) -> list[tuple[str, int]]:
    """Read `count` acknowledgements, SIGKILL the writer (it is writing the next one), and
    return every acknowledgement it printed."""
    acknowledged = []
    for _ in range(count):
        line = writer.stdout.readline()
        assert line, writer.stderr.read()
        stream, version = line.split()
        acknowledged.append((stream, int(version)))
    os.kill(writer.pid, signal.SIGKILL)
    rest, _ = writer.communicate(timeout=60)
    assert writer.returncode == -signal.SIGKILL
    for line in rest.splitlines():  # printed between our last read and the kill
        stream, version = line.split()
        acknowledged.append((stream, int(version)))
    return acknowledged


def assert_consistent_after_a_crash(acknowledged: list[tuple[str, int]], *, strict: bool = False):
    """What a crash may and may not lose (the module docstring)."""
    if not ON_POSTGRES:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA integrity_check")
            assert cursor.fetchone()[0] == "ok"
    logged = set(Event.objects.values_list("stream_id", "version"))
    assert {(Event._meta.get_field("stream_id").to_python(s), v) for s, v in acknowledged} <= logged
    versions = defaultdict(list)
    for stream, version in sorted(logged):
        versions[stream].append(version)
    assert all(v == list(range(1, len(v) + 1)) for v in versions.values())  # no half event
    summaries = dict(OrderSummary.objects.values_list("id", "version"))
    assert summaries == {stream: v[-1] for stream, v in versions.items()}
    assert call_command_output("verify_projections") == "OK\n"

    lines = witness.checkpoint_file().read_bytes().splitlines(keepends=True)
    assert all(line.endswith(b"\n") for line in lines)  # no torn checkpoint line
    assert None not in list(witness.parse(lines))
    result = verify_log(witnesses=[witness.load_configured()], strict=strict)
    assert result.ok, result.summary
    assert result.head_position == len(logged)
    return result


def call_command_output(name: str) -> str:
    out = StringIO()
    call_command(name, stdout=out)
    return out.getvalue()


def test_a_writer_sigkilled_mid_write_loses_at_most_the_last_checkpoints(staff, witness_dir):
    acknowledged: list[tuple[str, int]] = []
    unwitnessed_seen = []
    for count in KILL_AFTER:
        writer = start_writer(staff, witness_dir)
        acknowledged += acknowledged_until_killed(writer, count)
        result = assert_consistent_after_a_crash(acknowledged)
        # A lost checkpoint shows as events after the last witnessed position, never as a
        # witnessed position beyond the log or a hash that disagrees.
        assert result.witnessed_position <= result.head_position
        unwitnessed_seen.append(result.unwitnessed_events)

    # Restarted once more: its first commit's checkpoint covers whatever the kills left
    # unwitnessed, and the strict check passes.
    writer = start_writer(staff, witness_dir, limit=1)
    out, err = writer.communicate(timeout=120)
    assert writer.returncode == 0, err
    stream, version = out.split()
    acknowledged.append((stream, int(version)))
    result = assert_consistent_after_a_crash(acknowledged, strict=True)
    assert result.unwitnessed_events == 0
    assert all(count is not None for count in unwitnessed_seen)
