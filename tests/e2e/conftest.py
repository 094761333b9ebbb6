"""Browser tests: headless Debian Chromium driving a real, prod-like server.

One server per test session: a fresh SQLite file, `migrate`, `seed_demo`, `collectstatic`, then
waitress with `config.settings.prod` (HTTPS redirects and secure cookies off, since it is plain
HTTP on 127.0.0.1). The pytest-django test database is not used at all.

Every page a test opens is watched: console errors, uncaught page errors, CSP violations and
5xx responses fail the test at teardown, as do errors in the server log.
"""

from __future__ import annotations

import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - requirements-dev installs it
    sync_playwright = None

BASE_DIR = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "demo-orders-2026"
VIEWPORT = {"width": 1280, "height": 900}
TIME_ZONE = "UTC"  # the server's TIME_ZONE: datetime-local inputs are read in it

SKIP_REASON = ""
if sync_playwright is None:
    SKIP_REASON = "e2e: playwright is not installed (pip install -r requirements-dev.txt)"
elif not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
    SKIP_REASON = (
        f"e2e: {CHROMIUM} is missing, browser tests skipped "
        "(`make e2e-deps` installs it with apt as root)"
    )


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if SKIP_REASON and item.path.parent == here:
            item.add_marker(pytest.mark.skip(reason=SKIP_REASON))


def pytest_report_header(config):
    return [SKIP_REASON] if SKIP_REASON else []


def pytest_terminal_summary(terminalreporter):
    if SKIP_REASON:
        terminalreporter.write_line(f"WARNING: {SKIP_REASON}", yellow=True, bold=True)


# --- the server -----------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _server_env(database: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.prod",
        SECRET_KEY=secrets.token_urlsafe(50),
        EVENT_LOG_KEY=secrets.token_urlsafe(32),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        DATABASE_URL=f"sqlite:///{database}",
        # Collected next to the test database, never into the project's shared staticfiles/.
        STATIC_ROOT=str(database.parent / "staticfiles"),
        DEBUG="False",
        SECURE_SSL_REDIRECT="False",
        SESSION_COOKIE_SECURE="False",
        CSRF_COOKIE_SECURE="False",
        SECURE_HSTS_SECONDS="0",
        CSRF_TRUSTED_ORIGINS="",
        SENTRY_DSN="",
        TIME_ZONE=TIME_ZONE,
        ORDERS_PER_PAGE="25",
        STUCK_AFTER_DAYS="7",
        LOG_LEVEL="INFO",
        PYTHONUNBUFFERED="1",
        # The SSO test's OpenID Connect provider runs on http://127.0.0.1 (tests/sso/provider.py).
        SSO_ALLOW_HTTP_ISSUER="True",
    )
    return env


def _manage(env, *args) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _finish(proc: subprocess.Popen, what: str, timeout: float = 120) -> None:
    out, _ = proc.communicate(timeout=timeout)
    if proc.returncode != 0:
        pytest.fail(f"e2e set-up: `{what}` failed ({proc.returncode}):\n{out}", pytrace=False)


@dataclass
class Server:
    url: str
    log: Path
    process: subprocess.Popen
    logins: dict[str, dict] = field(default_factory=dict)  # username -> storage state
    env: dict[str, str] = field(default_factory=dict)  # the server's environment

    def manage(self, *args: str) -> str:
        """Run a management command against the server's database and settings; its output."""
        proc = _manage(self.env, *args)
        out, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0, f"manage.py {' '.join(args)} failed:\n{out}"
        return out

    def log_size(self) -> int:
        return self.log.stat().st_size

    def log_since(self, offset: int) -> str:
        with self.log.open("rb") as fh:
            fh.seek(offset)
            return fh.read().decode("utf-8", "replace")


# Package scope: the server and the browser end with the last e2e test, not with the session.
@pytest.fixture(scope="package")
def server(tmp_path_factory) -> Server:
    if SKIP_REASON:
        pytest.skip(SKIP_REASON)
    workdir = tmp_path_factory.mktemp("e2e-server")
    env = _server_env(workdir / "db.sqlite3")
    # collectstatic needs no database: run it alongside migrate + seed.
    static = _manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    try:
        _finish(_manage(env, "migrate", "--noinput", "--verbosity", "0"), "migrate")
        _finish(_manage(env, "seed_demo", "--force", "--orders", "20"), "seed_demo")
        _finish(static, "collectstatic")
    finally:
        if static.poll() is None:
            static.kill()
            static.wait()

    port = _free_port()
    log = workdir / "server.log"
    with log.open("wb") as log_fh:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "waitress",
                f"--listen=127.0.0.1:{port}",
                "--threads=8",
                "config.wsgi:application",
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=log_fh,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, process, log)
        yield Server(url=url, log=log, process=process, env=env)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _wait_healthy(url: str, process: subprocess.Popen, log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                f"e2e: waitress exited with {process.returncode}:\n{log.read_text()}",
                pytrace=False,
            )
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
                # Make sure it is our waitress answering, not something else on a reused port.
                if response.status == 200 and response.headers.get("Server") == "waitress":
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    pytest.fail(
        f"e2e: {url}/healthz did not answer in {timeout} s:\n{log.read_text()}", pytrace=False
    )


# --- the browser ----------------------------------------------------------------------------


@pytest.fixture(scope="package")
def browser(server):
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


# Injected through the DevTools protocol, so the page's CSP does not apply to it. Reports each
# violation to Python at once (window state is lost on navigation) and keeps a copy in the page.
CSP_LISTENER = """
(() => {
  window.__csp = [];
  document.addEventListener("securitypolicyviolation", (e) => {
    const v = {directive: e.violatedDirective, blocked: e.blockedURI, source: e.sourceFile,
               line: e.lineNumber, sample: e.sample, page: document.location.href};
    window.__csp.push(v);
    if (window.__e2eCspViolation) { window.__e2eCspViolation(v); }
  }, true);
})();
"""
FAILED_LOAD = re.compile(r"Failed to load resource: the server responded with a status of (\d+)")


@dataclass
class Problems:
    """What went wrong in the browser during one test."""

    items: list[str] = field(default_factory=list)
    expected_statuses: set[int] = field(default_factory=set)

    def expect_status(self, *statuses: int) -> None:
        """The test provokes these HTTP errors on purpose (Chromium logs them as errors)."""
        self.expected_statuses.update(statuses)

    def on_console(self, message) -> None:
        if message.type != "error":
            return
        failed = FAILED_LOAD.search(message.text)
        if failed and int(failed.group(1)) in self.expected_statuses:
            return
        where = message.location.get("url", "")
        self.items.append(f"console error: {message.text} ({where})")

    def on_page_error(self, error) -> None:
        self.items.append(f"page error: {error}")

    def on_response(self, response) -> None:
        if response.status >= 500:
            self.items.append(f"HTTP {response.status}: {response.request.method} {response.url}")

    def on_csp(self, violation: dict) -> None:
        self.items.append(f"CSP violation: {violation}")


@pytest.fixture
def problems(server):
    found = Problems()
    log_offset = server.log_size()
    yield found
    server_errors = [
        line
        for line in server.log_since(log_offset).splitlines()
        if " ERROR " in line or "Traceback" in line or re.search(r"status=5\d\d", line)
    ]
    assert not found.items, "The browser reported problems:\n" + "\n".join(found.items)
    assert not server_errors, "The server logged errors:\n" + "\n".join(server_errors)


@dataclass
class Session:
    """Opens pages in fresh browser contexts, one per user, every page watched for problems."""

    browser: object
    server: Server
    problems: Problems
    contexts: list = field(default_factory=list)

    def new_page(self, storage_state: dict | None = None, **options):
        context = self.browser.new_context(
            base_url=self.server.url,
            viewport=VIEWPORT,
            timezone_id=TIME_ZONE,
            accept_downloads=True,
            storage_state=storage_state,
            **{"locale": "en-GB", **options},  # the browser's language: Accept-Language
        )
        context.set_default_timeout(10_000)
        context.expose_function("__e2eCspViolation", self.problems.on_csp)
        context.add_init_script(CSP_LISTENER)
        self.contexts.append(context)
        page = context.new_page()
        page.on("console", self.problems.on_console)
        page.on("pageerror", self.problems.on_page_error)
        page.on("response", self.problems.on_response)
        return page

    def login(self, username: str, page=None, *, remember: bool = True):
        """Log in through the login form; returns the page (on the dashboard).

        With `remember`, later `page_as(username)` calls reuse this session's cookies: do not
        log such a page out (use remember=False for that).
        """
        page = page or self.new_page()
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{self.server.url}/")
        assert page.get_by_test_id("nav-identity").inner_text().startswith(username)
        if remember:
            self.server.logins[username] = page.context.storage_state()
        return page

    def page_as(self, username: str):
        """A page in a new context logged in as `username` (logs in once per test session)."""
        if username not in self.server.logins:
            return self.login(username)
        return self.new_page(storage_state=self.server.logins[username])

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def session(browser, server, problems):
    opened = Session(browser=browser, server=server, problems=problems)
    yield opened
    opened.close()
