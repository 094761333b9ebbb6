"""Attack 3 of issue #16: acknowledged events lost with a deleted WAL, caught by the witness.

A real waitress serves a copy of the test database; a client logged in through the login form
adds notes; the server is SIGKILLed while the client is still writing; the WAL file is deleted
while it is stopped. The database file is then sound (`integrity_check`) and its chain verifies,
yet every note the users were told was saved is gone: only the witness can tell.
"""

import io
import os
import re
import threading
from pathlib import Path

import pytest
import requests
from django.core.management import CommandError, call_command
from django.db import connection, connections

from accounts.models import Role
from bench.server import HOST, Server
from events.backup_sqlite import copy_online, database_alias
from tests import factories
from tests.events.test_witness import aliases_allowed  # noqa: F401 - a fixture
from tests.vendor import sqlite_only

pytestmark = [
    sqlite_only("a deleted SQLite WAL file"),
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("committed_log", "aliases_allowed"),
]

ROOT = Path(__file__).resolve().parents[2]
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
# Each note writes ~30 WAL pages; SQLite checkpoints on its own only past 1,000 pages (and the
# nothing else checkpoints in the test), so every note of this test stays in the WAL.
ACKNOWLEDGED_BEFORE_KILL = 8
MAX_NOTES = 20


class Browser:
    """A person's browser: one keep-alive connection (requests, as the bench's clients), cookies."""

    def __init__(self, port: int):
        self.session, self.url = requests.Session(), f"http://{HOST}:{port}"

    def send(self, method: str, path: str, form: dict | None = None):
        response = self.session.request(
            method, self.url + path, data=form, allow_redirects=False, timeout=30
        )
        return response.status_code, response.text

    def token(self, path: str) -> str:
        status, page = self.send("GET", path)
        assert status == 200, (path, status)
        return CSRF_INPUT.search(page).group(1)


def test_notes_lost_with_a_deleted_wal_after_a_crash_are_caught_at_the_first_missing_position(
    acme, tmp_path, settings
):
    staff = factories.user(Role.STAFF, acme)
    order = factories.order_in_state("draft", acme)  # position 1, version 1
    database = tmp_path / "live.sqlite3"
    copy_online(Path(connection.settings_dict["NAME"]), database)
    witness_dir = tmp_path / "witness"
    witness_dir.mkdir()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"sqlite:///{database}",
        "WITNESS_DIR": str(witness_dir),
        "PYTHONUNBUFFERED": "1",
    }
    server = Server(env, tmp_path / "waitress.log")
    server.start()
    acknowledged: list[int] = []  # versions the server answered "saved" (303)
    enough = threading.Event()
    try:
        browser = Browser(server.port)
        token = browser.token("/accounts/login/")
        status, _ = browser.send(
            "POST",
            "/accounts/login/",
            {
                "username": staff.username,
                "password": factories.PASSWORD,
                "csrfmiddlewaretoken": token,
            },
        )
        assert status == 302, server.tail()
        token = browser.token(f"/orders/{order.id}/")

        def write_notes() -> None:
            version = order.version
            try:
                for number in range(MAX_NOTES):
                    status, _ = browser.send(
                        "POST",
                        f"/orders/{order.id}/notes/",
                        {
                            "version": version,
                            "text": f"Saved? {number}",
                            "csrfmiddlewaretoken": token,
                        },
                    )
                    if status != 303:
                        break
                    version += 1
                    acknowledged.append(version)
                    if len(acknowledged) >= ACKNOWLEDGED_BEFORE_KILL:
                        enough.set()
            except requests.RequestException:
                pass  # the server was killed under this request
            finally:
                enough.set()

        writer = threading.Thread(target=write_notes)
        writer.start()
        assert enough.wait(timeout=120)
        server.kill()  # SIGKILL, mid-writes: the client is still sending
        writer.join(timeout=60)
    finally:
        server.stop()
    assert len(acknowledged) >= ACKNOWLEDGED_BEFORE_KILL, server.tail()
    last_saved_position = acknowledged[-1]  # one stream from version 1 at position 1

    # While it is stopped, the WAL (and its index) disappear.
    for suffix in ("-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)

    settings.WITNESS_DIR = str(witness_dir)
    with database_alias(database) as alias, connection_to(alias) as cursor:
        cursor.execute("PRAGMA integrity_check")
        assert cursor.fetchone()[0] == "ok"  # the file itself is sound
        cursor.execute("SELECT max(position) FROM events_event")
        head = cursor.fetchone()[0]
        assert head < last_saved_position  # acknowledged notes are gone
        with pytest.raises(CommandError) as failed:
            call_command("verify_events", "--database", alias, "--no-record", stdout=io.StringIO())
    message = str(failed.value)
    assert message.startswith(f"BROKEN at position {head + 1}: the log ends at position {head}")
    witnessed = int(re.search(r"witnessed position (\d+)", message).group(1))
    assert witnessed >= last_saved_position
    assert "writes were lost (e.g. a deleted WAL)" in message
    # Without the witness, the log said OK: the attack as the issue found it.
    (tmp_path / "no-witness").mkdir()
    settings.WITNESS_DIR = str(tmp_path / "no-witness")
    with database_alias(database) as alias:
        out = io.StringIO()
        call_command("verify_events", "--database", alias, "--no-record", stdout=out)
    assert out.getvalue().startswith(f"OK: {head} events checked")


def connection_to(alias: str):
    return connections[alias].cursor()
