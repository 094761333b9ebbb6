import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.outbox.processes import wait_for

HERE = Path(__file__).resolve().parent


class Receiver:
    """The receiver process (receiver.py) on a fixed free port: `stop()`/`start()` take it
    down and bring it back on the same address; `entries()` are the verified requests."""

    def __init__(self, tmp_path: Path, secret: str = ""):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.log = tmp_path / f"received-{self.port}.jsonl"
        self.secret = secret
        self.process = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def start(self):
        self.process = subprocess.Popen(
            [sys.executable, str(HERE / "receiver.py"), str(self.port), self.secret, str(self.log)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout.readline().strip() == "ready"

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def answer(self, status: int | None):
        path = Path(f"{self.log}.status")
        if status is None:
            path.unlink(missing_ok=True)
        else:
            path.write_text(str(status))

    def kill_on(self, n: int, pid: int):
        Path(f"{self.log}.kill").write_text(f"{n} {pid}")

    def entries(self) -> list[dict]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines() if line]

    def wait_for_ids(self, ids: set[str], *, timeout: float = 90):
        wait_for(lambda: {e["id"] for e in self.entries()} >= ids, timeout=timeout, what=ids)


@pytest.fixture
def another_receiver(tmp_path):
    server = Receiver(tmp_path)
    yield server
    server.stop()


@pytest.fixture
def receiver(tmp_path):
    """A receiver with its address chosen, not yet started (register the endpoint, give the
    receiver its secret, then `start()`)."""
    server = Receiver(tmp_path)
    yield server
    server.stop()
