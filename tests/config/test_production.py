"""Production runs as the README says: `manage.py serve` (the one server command of `make serve`
and the systemd unit) behind nginx, and production settings refuse weak secrets.

The server test starts the real command with the production settings (HTTPS redirect, HSTS,
secure cookies all on) on a fresh database, and sends what nginx sends.
"""

from __future__ import annotations

import http.client
import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # starts processes

ROOT = Path(__file__).resolve().parents[2]
HOST = "orders.example.com"


def production_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.prod",
        SECRET_KEY=secrets.token_urlsafe(50),
        EVENT_LOG_KEY=secrets.token_urlsafe(32),
        ALLOWED_HOSTS=f"{HOST},127.0.0.1",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        STATIC_ROOT=str(tmp_path / "staticfiles"),
        DEBUG="False",
        SENTRY_DSN="",
        PYTHONUNBUFFERED="1",
    )
    env.update(overrides)
    return env


def manage(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def request(port: int, path: str, headers: dict[str, str], method: str = "GET"):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, path, headers=headers)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def wait_until_serving(port: int, process: subprocess.Popen, log: Path) -> None:
    """Poll /healthz (plain HTTP, as a local monitor does) until the server answers."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"manage.py serve exited {process.returncode}:\n{log.read_text()}")
        try:
            status, _, body = request(port, "/healthz", {"Host": "127.0.0.1"})
        except OSError:
            time.sleep(0.1)
            continue
        assert status == 200, body
        return
    pytest.fail(f"manage.py serve did not answer in 60 s:\n{log.read_text()}")


@pytest.mark.parametrize("listen", ["127.0.0.1:99999", "127.0.0.1:abc"])
def test_serve_refuses_a_listen_address_whose_port_is_none_naming_the_option(tmp_path, listen):
    """Waitress bound port 99999 as 34463 (serving on a port nobody asked for) and said
    "Invalid host/port specified." in a traceback of the rest."""
    done = subprocess.run(
        [sys.executable, "manage.py", "serve", f"--listen={listen}"],
        cwd=ROOT, env=production_env(tmp_path), capture_output=True, text=True, timeout=30,
    )  # fmt: skip

    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == (
        "CommandError: --listen must be host:port with a port from 1 to 65535 (e.g. "
        f"127.0.0.1:8000; several separated by spaces); it is {listen!r}."
    )


@pytest.fixture(scope="module")
def production_server(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("serve")
    env = production_env(tmp_path)
    for step in (("migrate", "--noinput"), ("collectstatic", "--noinput")):
        done = manage(env, *step, "--verbosity", "0")
        assert done.returncode == 0, done.stdout + done.stderr
    port = free_port()
    log = tmp_path / "server.log"
    with log.open("wb") as log_fh:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "serve", f"--listen=127.0.0.1:{port}"],
            cwd=ROOT,
            env=env,
            stdout=log_fh,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until_serving(port, process, log)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_a_request_as_nginx_sends_it_is_served(production_server):
    status, headers, _ = request(
        production_server,
        "/accounts/login/",
        {"Host": HOST, "X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"},
    )

    assert status == 200
    assert headers["Strict-Transport-Security"].startswith("max-age=")


def test_a_plain_http_request_is_redirected_to_https_once(production_server):
    status, headers, _ = request(production_server, "/accounts/login/", {"Host": HOST})

    assert status == 301
    assert headers["Location"] == f"https://{HOST}/accounts/login/"


def test_the_health_check_answers_a_local_monitor_over_plain_http(production_server):
    for method in ("GET", "HEAD"):
        status, _, _ = request(production_server, "/healthz", {"Host": "127.0.0.1"}, method)
        assert status == 200, method


def test_make_serve_and_the_systemd_unit_run_the_same_command():
    makefile = (ROOT / "Makefile").read_text()
    unit = (ROOT / "deploy/systemd/ledgerline.service").read_text()
    serve_recipe = makefile[makefile.index("\nserve:") :].split("\n\n")[0]

    assert "$(MANAGE) serve" in serve_recipe
    assert "waitress-serve" not in makefile + unit
    exec_start = next(line for line in unit.splitlines() if line.startswith("ExecStart="))
    assert exec_start.endswith("manage.py serve --listen=127.0.0.1:8000")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"SECRET_KEY": "short-key"}, "SECRET_KEY is too short"),
        ({"SECRET_KEY": "a" * 60}, "SECRET_KEY is too short or too simple"),
        ({"EVENT_LOG_KEY": ""}, "Production settings need EVENT_LOG_KEY"),
        ({"EVENT_LOG_KEY": "   "}, "Production settings need EVENT_LOG_KEY"),
        ({"ALLOWED_HOSTS": " , "}, "Production settings need ALLOWED_HOSTS"),
    ],
    ids=[
        "short secret key",
        "one-letter secret key",
        "empty event log key",
        "blank event log key",
        "blank allowed hosts",
    ],
)
def test_production_refuses_to_start_with_weak_secrets(tmp_path, overrides, message):
    result = manage(production_env(tmp_path, **overrides), "check")

    assert result.returncode != 0
    assert message in result.stderr


def test_the_server_process_keeps_what_it_loaded_at_start_out_of_full_collections(tmp_path):
    """`config.wsgi` freezes what loading Django left in the collector's generations, so a full
    collection in the serving process no longer walks every module, model and URL pattern."""
    script = (
        "import gc, config.wsgi; print(gc.get_freeze_count(), len(gc.get_objects(generation=2)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=production_env(tmp_path),
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    frozen, oldest = map(int, done.stdout.split())
    assert frozen > 50_000  # Django and the apps
    assert oldest < frozen / 100
