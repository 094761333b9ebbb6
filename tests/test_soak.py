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
ALWAYS = (
    "no 5xx",
    "each 2xx/3xx write is exactly one new event",
    "no event without a write that explains it",
    "manage.py verify_events",
    "manage.py verify_projections",
)

pytestmark = pytest.mark.slow


def run_soak(*extra: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "bench.soak", *SHORT, *extra],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ALL CHECKS PASSED" in result.stdout and "[FAIL]" not in result.stdout
    for check in ALWAYS:
        assert f"[PASS] {check}" in result.stdout
    return result.stdout


def count(output: str, pattern: str) -> int:
    return int(re.search(pattern, output).group(1))


def test_twenty_clients_for_eight_seconds_leave_one_event_per_successful_write():
    out = run_soak()

    assert count(out, r"(\d+) successful writes, as many events") > 0
    assert count(out, r"(\d+) stale writes") > 0
    assert "[PASS] no connection errors (nothing was killed)" in out
    assert count(out, r"new events, (\d+) answers lost") == 0


def test_a_server_killed_mid_load_comes_back_and_loses_or_doubles_nothing():
    out = run_soak("--kill")

    assert re.search(r"SIGKILL at [\d.]+s of load, healthy again after [\d.]+s", out)
    assert "[PASS] writes succeeded after the restart" in out
