"""Start-line for racing processes: each prints "ready" once set up, then waits for "go"."""

from __future__ import annotations

import subprocess


def run_together(processes: list[subprocess.Popen], *, timeout: float = 120) -> list[tuple]:
    """Wait until every process said "ready", release them all at once with "go", and return
    their (stdout, stderr) in order; a process still running when this ends is killed."""
    try:
        for process in processes:
            assert process.stdout.readline().strip() == "ready", process.stderr.read()
        for process in processes:
            process.stdin.write("go\n")
            process.stdin.flush()
        return [process.communicate(timeout=timeout) for process in processes]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
