"""A short soak, steady and with a crash: `bench.soak` against a real waitress, as `make soak` runs
it for two minutes each. The soak checks every response against the event log itself and exits
non-zero when anything does not add up; here it runs for eight seconds of load."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHORT = ["--duration", "8", "--clients", "20", "--orders", "30"]

pytestmark = pytest.mark.slow


def run_soak(*extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bench.soak", *SHORT, *extra],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def figure(output: str, label: str) -> int:
    return int(re.search(rf"^\s*{re.escape(label)}\s+(\d+)", output, re.MULTILINE).group(1))


def test_twenty_clients_for_eight_seconds_leave_one_event_per_successful_write():
    result = run_soak()

    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "ALL CHECKS PASSED" in out
    assert "[FAIL]" not in out
    assert figure(out, "responses 5xx") == 0
    assert figure(out, "succeeded (303)") == figure(out, "new events in the log") > 0
    assert figure(out, "409, stale on purpose") > 0
    assert (
        figure(out, "connection refused (not sent)")
        == figure(out, "answer lost (sent, no response)")
        == 0
    )
    assert "[PASS] manage.py verify_events" in out
    assert "[PASS] manage.py verify_projections" in out


def test_a_server_killed_mid_load_comes_back_and_loses_or_doubles_nothing():
    result = run_soak("--kill")

    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "ALL CHECKS PASSED" in out
    assert "[FAIL]" not in out
    assert re.search(r"SIGKILL at [\d.]+s of load; restarted on the same port, healthy", out)
    assert "[PASS] writes succeeded after the restart" in out
    assert figure(out, "responses 5xx") == 0
    # Every new event is a successful write or a write whose answer the crash swallowed.
    written = figure(out, "succeeded (303)") + figure(out, "lost answer, committed")
    assert figure(out, "new events in the log") == written
    assert "[PASS] manage.py verify_events" in out
    assert "[PASS] manage.py verify_projections" in out
