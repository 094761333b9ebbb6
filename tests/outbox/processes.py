"""Worker processes for the tests: started against the committed test database, stopped and
waited for with bounded polls (the only waiting these tests do)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from tests.vendor import database_url

ROOT = Path(__file__).resolve().parents[2]
TEST_WORKER = (
    "import django; django.setup(); "
    "from tests.outbox.subscribers import run_test_worker; run_test_worker()"
)


def start_worker(env: dict[str, str], *, test_mailer: bool = False) -> subprocess.Popen:
    """`manage.py run_worker` (or the tests' mailer-only worker) as a subprocess."""
    command = (
        [sys.executable, "-c", TEST_WORKER]
        if test_mailer
        else [sys.executable, "manage.py", "run_worker", "--poll", "0.2"]
    )
    return subprocess.Popen(
        command,
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": database_url(),
            "WORKER_POLL_SECONDS": "0.2",
            # A SIGKILLed worker's SQLite lease is free again after this (PostgreSQL: at once).
            "WORKER_LEASE_SECONDS": "3",
            **env,
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(condition: Callable[[], object], *, timeout: float = 60, what: str = "") -> object:
    """Poll `condition` every 0.1 s until it is truthy (returned) or `timeout` s pass (fails)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what or condition}")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.kill()
    process.communicate(timeout=30)
