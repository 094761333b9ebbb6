"""What the bench and the soak share: the production environment on a bench database, manage.py
and waitress in child processes (start, wait for /healthz, SIGKILL, stop), the machine's CPU."""

import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import requests

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"  # the only address a bench or soak run ever contacts


def bench_environment(db: Path, database_url: str = "") -> dict[str, str]:
    """Production settings (`bench.settings`) on the bench database, static files beside it; the
    log's key is fixed, not secret (benchmark data; --reuse verifies the chain across runs)."""
    return {
        **os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings",
        "SECRET_KEY": secrets.token_urlsafe(50), "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": database_url or f"sqlite:///{db}", "DEBUG": "False",
        "SECURE_SSL_REDIRECT": "False", "SESSION_COOKIE_SECURE": "False",
        "CSRF_COOKIE_SECURE": "False", "SENTRY_DSN": "",
        "EVENT_LOG_KEY": "bench-event-log-key-not-a-secret",
        "STATIC_ROOT": str(db.parent / "staticfiles"),
    }  # fmt: skip


def manage(env: dict, *words: str, **popen) -> subprocess.Popen:
    """`manage.py <words>` in a child process (its output captured as text unless redirected)."""
    popen = {"stdout": subprocess.PIPE, "stderr": subprocess.STDOUT, "text": True, **popen}
    return subprocess.Popen([sys.executable, "manage.py", *words], cwd=ROOT, env=env, **popen)


def wait_for(condition, timeout: float, pause: float = 0.1) -> bool:
    """Poll `condition()` until it holds (True) or `timeout` seconds have passed (False)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(pause)
    return True


def free_port() -> int:
    """A port nothing listens on now (bound as waitress binds it, with SO_REUSEADDR)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


class Server:
    """One waitress process (THREADS threads) on HOST and a port kept across restarts, its output
    appended to `log`; `python -m waitress`, not `manage.py serve`: the same server without the
    system checks, so a restart after SIGKILL is seconds quicker (the soak's clients wait)."""

    THREADS = 8

    def __init__(self, env: dict[str, str], log: Path):
        self.env, self.log, self.port = env, log, free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> float:
        """Start serving and wait for /healthz; returns the seconds it took."""
        started = time.monotonic()
        command = [sys.executable, "-m", "waitress", f"--listen={HOST}:{self.port}",
                   f"--threads={self.THREADS}", "config.wsgi:application"]  # fmt: skip
        with open(self.log, "ab") as sink:
            self.process = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=sink,
                                            stderr=subprocess.STDOUT)  # fmt: skip
        if wait_for(self.healthy, timeout):
            return time.monotonic() - started
        self.stop()
        raise RuntimeError(f"server not healthy after {timeout:.0f}s:\n{self.tail()}")

    def healthy(self) -> bool:
        """/healthz answers 200; RuntimeError once the process has exited."""
        if self.process.poll() is not None:
            raise RuntimeError(f"server exited with {self.process.returncode}:\n{self.tail()}")
        try:
            return requests.get(f"{self.url}/healthz", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def kill(self) -> None:
        """SIGKILL: no cleanup, no graceful close of connections or transactions."""
        self.process.kill()
        self.process.wait(timeout=10)

    def stop(self) -> None:
        stop_process(self.process)

    def tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def __enter__(self) -> "Server":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def stop_process(process: subprocess.Popen | None, timeout: float = 15) -> None:
    """SIGTERM (a graceful stop), SIGKILL if it has not ended after `timeout` seconds."""
    if process is not None and process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()


def machine_cpu_seconds() -> float:
    """CPU seconds spent by all processes on all cores since boot (idle and iowait left out)."""
    times = psutil.cpu_times()
    return sum(times[:8]) - times.idle - getattr(times, "iowait", 0.0)
