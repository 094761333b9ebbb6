"""Soak and crash test of the whole stack: waitress, real HTTP clients, then count every event.

    python -m bench.soak --duration 120 --clients 20 [--orders 200] [--kill] [--port 0] [--keep]

1. A throw-away SQLite file in a temporary folder: migrate, the demo companies and users, and
   `--orders` orders placed (and some submitted and approved) through `orders.commands`.
2. waitress serves it under the production settings (`config.settings.prod`, plain HTTP on
   127.0.0.1; the only override is STATIC_ROOT, in the temporary folder, because the production
   settings fix it to the project's `staticfiles/`).
3. `--clients` threads work like people for `--duration` seconds: each logs in through the login
   form (CSRF and all), opens a random order of its company, reads the version and the action
   buttons (`data-action`) the page offers, and posts one of them with the data it needs; one
   post in ten deliberately carries the version before (it must be refused with 409). When it
   presses no button (none is open to its role, or it chose not to), it sometimes adds a note,
   so writes go on once orders are delivered or cancelled. Every response is recorded.
4. `--kill`: half-way, the server is SIGKILLed and restarted on the same port; the clients keep
   going. Requests that fail to connect meanwhile are counted apart; a request whose answer was
   lost may or may not have been committed.
5. Then the log must account for every request: each 2xx/3xx write is exactly one new event on
   its order's stream (the right type, by the right user, at the version sent + 1); a 409 wrote
   nothing; a lost answer wrote at most one event; no 5xx; and `verify_events` and
   `verify_projections` pass on the soak database. Exit status 1 if any check fails.

Only 127.0.0.1 is ever contacted, and every wait and loop is bounded in time and count.
"""

from __future__ import annotations

import argparse
import collections
import dataclasses
import functools
import math
import os
import random
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests
from urllib3.exceptions import NewConnectionError

from bench.server import HOST, Server

ROOT = Path(__file__).resolve().parent.parent
SETTINGS_MODULE = "soak_settings"  # written into the temporary folder (see `write_settings`)

REQUEST_TIMEOUT = 30.0  # longer than the server's 20 s SQLite busy_timeout
LOGIN_TIMEOUT = 90.0  # all clients logged in (PBKDF2 costs ~1 s of CPU per login)
MAX_VISITS = 100_000  # per client, whatever the duration
RETRY_PAUSE = 0.2  # after a connection error, before the client tries again
STALE_SHARE = 0.1  # of posts sent with the version before the one the page shows
NOTE_SHARE = 0.3  # of visits on which the client presses no button
# How likely a client is to press each button it is offered (unlisted: 1). Below 1 in total,
# it may press none: a Staff user offered only "Cancel order" on a submitted order mostly
# leaves it alone. Cycles (reject/submit, hold/resume) are likely and the ways out rare, so
# orders stay in the workflow.
ACTION_WEIGHTS = {"cancel": 0.03, "hold": 0.3, "reject": 0.5, "deliver": 0.5}

VERSION_INPUT = re.compile(r'<input[^>]*name="version"[^>]*value="(\d+)"')
ACTION_BUTTON = re.compile(r'data-action="([a-z_]+)"')
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


# --- the database and the server ------------------------------------------------------------


def soak_environment(folder: Path) -> dict[str, str]:
    """The environment of the server and of every manage.py run: production settings, local."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": SETTINGS_MODULE,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(folder), os.environ.get("PYTHONPATH")])),
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": f"sqlite:///{folder / 'soak.sqlite3'}",
        "SECURE_SSL_REDIRECT": "False",
        "SESSION_COOKIE_SECURE": "False",
        "CSRF_COOKIE_SECURE": "False",
        "SECURE_HSTS_SECONDS": "0",
        "LOG_LEVEL": "WARNING",
        "SENTRY_DSN": "",
        "PYTHONUNBUFFERED": "1",
    }


def write_settings(folder: Path) -> None:
    (folder / f"{SETTINGS_MODULE}.py").write_text(
        '"""Production settings; static files collected into the soak\'s own folder."""\n'
        "from config.settings.prod import *  # noqa: F403\n"
        f"STATIC_ROOT = {str(folder / 'staticfiles')!r}\n"
    )


@dataclasses.dataclass
class Prepared:
    orders: dict[str, list[str]]  # company slug -> order ids
    initial_versions: dict[str, int]  # order id -> version before the load
    expected_event: dict[str, str]  # action -> event type it records
    fields: dict[str, tuple[str, ...]]  # transition -> the form fields it needs
    password: str


def prepare(folder: Path, env: dict[str, str], order_count: int, seed: int) -> Prepared:
    """Migrate, seed users and orders through the real commands, collect static files."""
    os.environ.update(env)  # this process works on the soak database too (seed, then count)
    sys.path.insert(0, str(folder))
    import django

    django.setup()
    from django.contrib.auth import base_user, hashers
    from django.core.management import call_command
    from django.db import connections

    from accounts.demo import DEMO_PASSWORD, seed_companies_and_users
    from accounts.models import User
    from orders import commands
    from orders.demo import order_input

    collect = subprocess.Popen(  # needs no database: runs while we migrate and seed
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    call_command("migrate", interactive=False, verbosity=0)
    # The eight demo users share one PBKDF2 hash: ~1 s per hash is time the soak does not need
    # to spend. Logging in (on the server) checks it at full production cost.
    one_hash = functools.cache(hashers.make_password)
    original, base_user.make_password = base_user.make_password, one_hash
    try:
        companies = seed_companies_and_users()
    finally:
        base_user.make_password = original
    rng = random.Random(seed)
    orders: dict[str, list[str]] = {}
    for number, company in enumerate(companies):
        staff = User.objects.get(username=f"{company.slug}.staff")
        manager = User.objects.get(username=f"{company.slug}.manager")
        ids = orders.setdefault(company.slug, [])
        for index in range(order_count // len(companies) + (number < order_count % len(companies))):
            details, lines = order_input(rng)
            order = commands.place_order(actor=staff, details=details, lines=lines)
            if index % 3 >= 1:  # a mix of starting states: draft, submitted, approved
                order = commands.submit(order.id, actor=staff, expected_version=order.version)
            if index % 3 == 2:
                order = commands.approve(order.id, actor=manager, expected_version=order.version)
            ids.append(str(order.id))
    prepared = Prepared(
        orders=orders,
        initial_versions=stream_versions(),
        expected_event={
            **{name: spec["event"] for name, spec in commands.workflow_transitions().items()},
            "add_note": "NoteAdded",
        },
        fields={name: spec["fields"] for name, spec in commands.workflow_transitions().items()},
        password=DEMO_PASSWORD,
    )
    connections.close_all()  # the server is the only one using the database from now on
    output, _ = collect.communicate(timeout=300)
    if collect.returncode != 0:
        raise RuntimeError(f"collectstatic failed:\n{output}")
    return prepared


def stream_versions() -> dict[str, int]:
    from django.db.models import Max

    from events.models import Event

    rows = Event.objects.filter(stream_type="order").values("stream_id").annotate(v=Max("version"))
    return {str(row["stream_id"]): row["v"] for row in rows}


def manage(env: dict[str, str], *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def start_server(port: int, env: dict[str, str], log: Path) -> Server:
    """waitress on `port` (0: a free one), healthy before this returns."""
    server = Server(env, log, port)
    server.start()
    return server


# --- the clients ----------------------------------------------------------------------------


@dataclasses.dataclass
class Record:
    """One request as the client saw it."""

    client: int
    username: str
    kind: str  # login, detail, transition, note
    order_id: str | None
    action: str | None
    version_sent: int | None
    stale: bool
    status: int | None  # None: no answer
    outcome: str  # "answered", "refused" (never sent), "lost" (sent, no answer)
    at: float  # seconds since the load started (negative: during the log-in phase)
    seconds: float

    @property
    def is_write(self) -> bool:
        return self.kind in ("transition", "note")

    @property
    def succeeded(self) -> bool:
        return self.status is not None and 200 <= self.status < 400


@dataclasses.dataclass
class Answer:
    status: int
    location: str
    body: str


class Client(threading.Thread):
    """A person at a browser: log in, then open orders and press their buttons until told."""

    def __init__(self, index: int, username: str, soak: Soak, orders: list[str]):
        super().__init__(name=f"client-{index}", daemon=True)
        self.index, self.username, self.soak, self.orders = index, username, soak, orders
        self.rng = random.Random(f"{soak.seed}:{index}")
        self.session = requests.Session()  # its cookies, one keep-alive connection
        self.logged_in = False
        self.error = ""

    def run(self) -> None:
        try:
            try:
                self.logged_in = self.log_in(time.monotonic() + LOGIN_TIMEOUT)
            finally:
                self.soak.logged_in.release()  # logged in or not: the load does not wait
            if self.logged_in and self.soak.go.wait(LOGIN_TIMEOUT):
                self.work()
        except Exception as error:  # reported in the summary; the soak then fails
            self.error = f"{type(error).__name__}: {error}"
        finally:
            self.session.close()

    def log_in(self, until: float) -> bool:
        while time.monotonic() < until and not self.soak.stop.is_set():
            page = self.call("login", "GET", "/accounts/login/")
            token = page and CSRF_INPUT.search(page.body)
            if token:
                form = {
                    "username": self.username,
                    "password": self.soak.password,
                    "csrfmiddlewaretoken": token.group(1),
                    "next": "",
                }
                answer = self.call("login", "POST", "/accounts/login/", form)
                if answer and answer.status == 302 and "sessionid" in self.session.cookies:
                    return True
                if answer and answer.status < 500:
                    self.error = f"log-in refused with HTTP {answer.status}"
                    return False
            time.sleep(RETRY_PAUSE)
        return False

    def work(self) -> None:
        for _ in range(MAX_VISITS):
            if time.monotonic() >= self.soak.deadline or self.soak.stop.is_set():
                return
            order_id = self.rng.choice(self.orders)
            page = self.call("detail", "GET", f"/orders/{order_id}/", order_id=order_id)
            if page is None:
                time.sleep(RETRY_PAUSE)
                continue
            if page.status == 302 and "/accounts/login/" in page.location:
                if not self.log_in(self.soak.deadline):  # the session is gone: log in again
                    return
                continue
            if page.status == 200:
                self.act(order_id, page.body)

    def act(self, order_id: str, page: str) -> None:
        """Press one of the page's buttons (or add a note), sometimes with a stale version."""
        version, token = VERSION_INPUT.search(page), CSRF_INPUT.search(page)
        if version is None or token is None:
            return
        actions = ACTION_BUTTON.findall(page)
        weights = [ACTION_WEIGHTS.get(name, 1.0) for name in actions]
        action = self.rng.choices([*actions, None], [*weights, max(0.0, 1 - sum(weights))])[0]
        if action is not None:
            kind, path = "transition", f"/orders/{order_id}/transitions/{action}/"
            form = {name: self.field_value(name) for name in self.soak.fields[action]}
            # Deliver and cancel ask first (issue #28): a person confirms on the second step.
            form["confirmed"] = "yes"
        elif self.rng.random() < NOTE_SHARE:
            action, kind, path = "add_note", "note", f"/orders/{order_id}/notes/"
            form = {"text": f"Soak note from {self.username}."}
        else:
            return
        stale = self.rng.random() < STALE_SHARE
        sent = int(version.group(1)) - (1 if stale else 0)
        form.update(version=str(sent), csrfmiddlewaretoken=token.group(1))
        answer = self.call(kind, "POST", path, form, order_id, action, sent, stale)
        if answer is None:
            time.sleep(RETRY_PAUSE)

    def field_value(self, name: str) -> str:
        if name == "carrier":
            return self.rng.choice(["DHL", "UPS", "DPD"])
        if name == "tracking_number":
            return f"TRK{self.rng.randrange(10**9, 10**10)}"
        return f"Soak test: {self.username} says so."  # reason

    def call(
        self,
        kind: str,
        method: str,
        path: str,
        form: dict | None = None,
        order_id: str | None = None,
        action: str | None = None,
        version_sent: int | None = None,
        stale: bool = False,
    ) -> Answer | None:
        """One request on this client's keep-alive connection; recorded, whatever happens."""
        started = time.monotonic()
        answer, outcome = None, "answered"
        try:
            answer = self.send(method, path, form)
        except requests.ConnectionError as error:  # refused: the connection was never made
            reason = getattr(error.args[0], "reason", None) if error.args else None
            outcome = "refused" if isinstance(reason, NewConnectionError) else "lost"
        except requests.RequestException:
            outcome = "lost"
        self.soak.record(
            Record(
                self.index,
                self.username,
                kind,
                order_id,
                action,
                version_sent,
                stale,
                answer.status if answer else None,
                outcome,
                started - self.soak.load_started,
                time.monotonic() - started,
            )
        )
        return answer

    def send(self, method: str, path: str, form: dict | None) -> Answer:
        response = self.session.request(
            method,
            f"http://{HOST}:{self.soak.port}{path}",
            data=form,
            allow_redirects=False,
            timeout=REQUEST_TIMEOUT,
        )
        return Answer(response.status_code, response.headers.get("Location", ""), response.text)


# --- the run --------------------------------------------------------------------------------


class Soak:
    """Shared state of one run: where the server is, when to stop, what happened."""

    def __init__(self, args, port: int, prepared: Prepared):
        self.seed, self.port, self.password = args.seed, port, prepared.password
        self.fields = prepared.fields
        self.go, self.stop = threading.Event(), threading.Event()
        self.logged_in = threading.Semaphore(0)
        # Set when the load starts; until then requests (the logins) get a negative time.
        self.load_started = math.inf
        self.deadline = 0.0
        self.records: list[Record] = []
        self._lock = threading.Lock()

    def record(self, record: Record) -> None:
        with self._lock:
            self.records.append(record)


@dataclasses.dataclass
class Outcome:
    records: list[Record]
    seconds: float
    clients: list[Client]
    login_seconds: float = 0.0
    killed_at: float | None = None
    restart_seconds: float | None = None
    restart_error: str = ""


def run_load(args, server: Server, prepared: Prepared) -> Outcome:
    """Log the clients in, let them work for the duration (killing the server half-way)."""
    soak = Soak(args, server.port, prepared)
    slugs = sorted(prepared.orders)
    clients = []
    for index in range(args.clients):
        slug = slugs[index % len(slugs)]
        role = "staff" if (index // len(slugs)) % 2 == 0 else "manager"
        clients.append(Client(index, f"{slug}.{role}", soak, prepared.orders[slug]))
    for client in clients:
        client.start()
    outcome = Outcome(soak.records, 0.0, clients)
    try:
        logins_started = time.monotonic()
        for _ in clients:
            soak.logged_in.acquire(
                timeout=max(0.0, logins_started + LOGIN_TIMEOUT - time.monotonic())
            )
        soak.load_started = time.monotonic()
        outcome.login_seconds = soak.load_started - logins_started
        soak.deadline = soak.load_started + args.duration
        soak.go.set()
        if args.kill:
            time.sleep(args.duration / 2)
            server.kill()
            outcome.killed_at = time.monotonic() - soak.load_started
            try:
                outcome.restart_seconds = server.start()
            except RuntimeError as error:
                outcome.restart_error = str(error)
                soak.stop.set()
        for client in clients:
            client.join(timeout=max(0.0, soak.deadline - time.monotonic()) + REQUEST_TIMEOUT + 5)
    finally:
        soak.stop.set()
        outcome.seconds = time.monotonic() - soak.load_started
    return outcome


# --- the checks -----------------------------------------------------------------------------


@dataclasses.dataclass
class Check:
    name: str
    passed: bool
    detail: str = ""


def account_for_events(outcome: Outcome, prepared: Prepared) -> tuple[list[Check], dict]:
    """Match every new event to the request that wrote it, and every successful write to one."""
    from events.models import Event

    writes = [r for r in outcome.records if r.is_write]
    by_slot: dict[tuple[str, int], list[Record]] = collections.defaultdict(list)
    for record in writes:
        by_slot[(record.order_id, record.version_sent)].append(record)
    new_events = [
        (str(stream), version, event_type, metadata.get("actor_username"))
        for stream, version, event_type, metadata in Event.objects.filter(
            stream_type="order"
        ).values_list("stream_id", "version", "event_type", "metadata")
        if version > prepared.initial_versions.get(str(stream), 0)
    ]
    matched: set[int] = set()
    double, mismatched, unexplained, lost_committed = [], [], [], 0
    for stream, version, event_type, actor in new_events:
        slot = by_slot.get((stream, version - 1), [])
        successes = [r for r in slot if r.succeeded]
        if len(successes) > 1:
            double.append(f"{stream} v{version}: {len(successes)} successful writes")
        candidates = successes or [r for r in slot if r.outcome == "lost"]
        fitting = [
            r
            for r in candidates
            if prepared.expected_event[r.action] == event_type and r.username == actor
        ]
        if fitting:
            matched.add(id(fitting[0]))
            lost_committed += not fitting[0].succeeded
        elif successes:
            got = f"{successes[0].action} by {successes[0].username}"
            mismatched.append(f"{stream} v{version}: {event_type} by {actor}, request was {got}")
        else:
            unexplained.append(f"{stream} v{version}: {event_type} by {actor}")
    without_event = [
        f"{r.order_id} {r.action} at v{r.version_sent} (HTTP {r.status})"
        for r in writes
        if r.succeeded and id(r) not in matched
    ]
    final = stream_versions()
    successes = collections.Counter(r.order_id for r in writes if r.succeeded)
    lost = collections.Counter(r.order_id for r in writes if r.outcome == "lost")
    bad_counts = [
        f"{stream}: {initial} -> {final.get(stream)} with {successes[stream]} successes, "
        f"{lost[stream]} lost"
        for stream, initial in prepared.initial_versions.items()
        if not successes[stream]
        <= final.get(stream, 0) - initial
        <= successes[stream] + lost[stream]
    ]
    lost_total = sum(lost.values())
    checks = [
        Check(
            "each 2xx/3xx write is exactly one new event (type, user, version)",
            not (without_event or mismatched or double),
            _sample(without_event + mismatched + double)
            or f"{len(matched) - lost_committed} successful writes, as many events",
        ),
        Check(
            "no event without a write that explains it (409s wrote nothing)",
            not unexplained,
            _sample(unexplained) or f"{len(new_events)} new events, all explained",
        ),
        Check(
            "stream versions = initial + successes (+ at most 1 per lost answer)",
            not bad_counts,
            _sample(bad_counts) or f"{len(prepared.initial_versions)} streams",
        ),
    ]
    return checks, {
        "new_events": len(new_events),
        "lost_writes": lost_total,
        "lost_committed": lost_committed,
    }


def _client_problem(client: Client) -> str:
    if client.error:
        return client.error
    return "still running at the end" if client.is_alive() else "not logged in"


def _sample(problems: list[str], count: int = 3) -> str:
    if not problems:
        return ""
    more = f" (+{len(problems) - count} more)" if len(problems) > count else ""
    return "; ".join(problems[:count]) + more


def all_checks(args, outcome: Outcome, prepared: Prepared, env: dict[str, str]):
    records = outcome.records
    answered = [r for r in records if r.status is not None]
    writes = [r for r in records if r.is_write]
    five_xx = [r for r in answered if r.status >= 500]
    unexpected_4xx = [r for r in answered if 400 <= r.status < 500 and r.status != 409]
    stale_not_409 = [r for r in writes if r.stale and r.status is not None and r.status != 409]
    no_answer = [r for r in records if r.status is None]
    not_in = [c for c in outcome.clients if not c.logged_in or c.error or c.is_alive()]
    checks = [
        Check(
            "every client logged in through the form and ran to the end",
            not not_in,
            _sample([f"{c.name} ({c.username}): {_client_problem(c)}" for c in not_in]),
        ),
        Check(
            "no 5xx", not five_xx, _sample([f"{r.kind} {r.order_id}: {r.status}" for r in five_xx])
        ),
        Check(
            "no 403/404/422 (clients only press the buttons the page offers)",
            not unexpected_4xx,
            _sample([f"{r.kind} {r.action} {r.order_id}: {r.status}" for r in unexpected_4xx]),
        ),
        Check(
            "every deliberately stale write answered 409",
            not stale_not_409,
            _sample(
                [f"{r.action} {r.order_id} v{r.version_sent}: {r.status}" for r in stale_not_409]
            )
            or f"{sum(r.stale for r in writes)} stale writes",
        ),
        Check(
            "writes succeeded",
            any(r.succeeded for r in writes),
            f"{sum(r.succeeded for r in writes)} successful writes",
        ),
    ]
    if args.kill:
        after = [r for r in writes if r.succeeded and r.at > (outcome.killed_at or 0)]
        checks.append(
            Check(
                "server SIGKILLed and back on the same port",
                outcome.killed_at is not None and not outcome.restart_error,
                outcome.restart_error.splitlines()[0] if outcome.restart_error else "",
            )
        )
        checks.append(
            Check("writes succeeded after the restart", bool(after), f"{len(after)} writes")
        )
    else:
        checks.append(
            Check(
                "no connection errors (nothing was killed)",
                not no_answer,
                _sample([f"{r.kind} {r.order_id}: {r.outcome}" for r in no_answer]),
            )
        )
    accounting, figures = account_for_events(outcome, prepared)
    checks += accounting
    for command in ("verify_events", "verify_projections"):
        result = manage(env, command)
        said = (result.stdout + result.stderr).strip().splitlines()
        checks.append(
            Check(f"manage.py {command}", result.returncode == 0, said[-1] if said else "")
        )
    return checks, figures


# --- the summary ----------------------------------------------------------------------------


def summary(
    args, outcome: Outcome, checks: list[Check], figures: dict, port: int, phases: dict
) -> str:
    records = outcome.records
    writes = [r for r in records if r.is_write]
    answered = [r for r in records if r.status is not None]
    seconds = outcome.seconds or float("inf")
    succeeded = sum(r.succeeded for r in writes)
    count = lambda test, rows=records: sum(1 for r in rows if test(r))  # noqa: E731
    rows = [
        ("requests", len(records), f"({count(lambda r: r.at >= 0, answered) / seconds:,.1f} "
         "answered/s during the load)"),
        *((f"  {label}", count(lambda r, k=kind: r.kind == k), "") for kind, label in (
            ("login", "logins (GET + POST)"), ("detail", "order pages (GET)"),
            ("transition", "transitions (POST)"), ("note", "notes (POST)"))),
        ("responses 2xx/3xx", count(lambda r: r.status < 400, answered), ""),
        ("responses 409", count(lambda r: r.status == 409, answered), ""),
        ("responses other 4xx", count(lambda r: 400 <= r.status != 409 and r.status < 500,
                                      answered), ""),
        ("responses 5xx", count(lambda r: r.status >= 500, answered), ""),
        ("connection refused (not sent)", count(lambda r: r.outcome == "refused"), ""),
        ("answer lost (sent, no response)", count(lambda r: r.outcome == "lost"), ""),
        ("", "", ""),
        ("writes (transitions + notes)", len(writes), ""),
        ("  succeeded (303)", succeeded, f"({succeeded / seconds:,.1f}/s)"),
        ("  409, stale on purpose", count(lambda r: r.stale and r.status == 409, writes), ""),
        ("  409, lost a race", count(lambda r: not r.stale and r.status == 409, writes), ""),
        ("  lost answer, committed", figures["lost_committed"], ""),
        ("  lost answer, not committed", figures["lost_writes"] - figures["lost_committed"], ""),
        ("new events in the log", figures["new_events"], ""),
    ]  # fmt: skip
    mode = "kill + restart" if args.kill else "steady"
    lines = [
        f"Ledgerline soak ({mode}): {args.clients} clients, {args.duration:g}s of load, "
        f"{args.orders} orders, waitress on {HOST}:{port}",
        "",
        *(
            f"  {label:<34}{value:>8}   {note}".rstrip() if label else ""
            for label, value, note in rows
        ),
    ]
    latencies = sorted(r.seconds * 1000 for r in writes if r.status is not None)
    if latencies:
        p95 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.95))]
        middle, last = statistics.median(latencies), latencies[-1]
        lines.append(
            f"  {'write latency p50 / p95 / max':<34}{middle:>6.0f} / {p95:.0f} / {last:.0f} ms"
        )
    statuses = collections.Counter(r.status for r in answered)
    lines.append(f"  {'status codes':<34}{dict(sorted(statuses.items()))}")
    lines.append(f"  {'phases (s)':<34}" + ", ".join(f"{k} {v:.1f}" for k, v in phases.items()))
    if args.kill:
        back = "NOT restarted"
        if outcome.restart_seconds is not None:
            back = f"healthy again after {outcome.restart_seconds:.2f}s"
        lines.append(f"  {'kill':<34}SIGKILL at {outcome.killed_at or 0:.1f}s of load; "
                     f"restarted on the same port, {back}")  # fmt: skip
    lines += ["", "Checks:"]
    lines += [
        f"  [{'PASS' if c.passed else 'FAIL'}] {c.name}" + (f" — {c.detail}" if c.detail else "")
        for c in checks
    ]
    passed = all(c.passed for c in checks)
    return "\n".join([*lines, "", "ALL CHECKS PASSED" if passed else "SOAK FAILED"])


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m bench.soak", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--duration", type=float, default=60, help="Seconds of load (default 60).")
    parser.add_argument("--clients", type=int, default=20, help="Concurrent clients (default 20).")
    parser.add_argument("--orders", type=int, default=200, help="Orders to seed (default 200).")
    parser.add_argument("--kill", action="store_true", help="SIGKILL and restart the server.")
    parser.add_argument("--port", type=int, default=0, help="Port on 127.0.0.1 (0: a free one).")
    parser.add_argument("--seed", type=int, default=2026, help="Random seed of the clients.")
    parser.add_argument("--keep", action="store_true", help="Keep the temporary folder.")
    args = parser.parse_args(argv)
    if not (0 < args.duration <= 3600 and 0 < args.clients <= 200 and args.orders >= 2):
        parser.error("need 0 < duration <= 3600, 0 < clients <= 200 and at least 2 orders")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="ledgerline-soak-"))
    env = soak_environment(folder)
    write_settings(folder)
    passed, server = False, None
    try:
        phases, started = {}, time.monotonic()
        prepared = prepare(folder, env, args.orders, args.seed)
        phases["prepare"], started = time.monotonic() - started, time.monotonic()
        server = start_server(args.port, env, folder / "waitress.log")
        phases["start"] = time.monotonic() - started
        print(f"Prepared; waitress on {HOST}:{server.port}; load starts once clients log in.")
        outcome = run_load(args, server, prepared)
        phases["log-in"], phases["load"] = outcome.login_seconds, outcome.seconds
        server.stop()
        started = time.monotonic()
        checks, figures = all_checks(args, outcome, prepared, env)
        phases["checks"] = time.monotonic() - started
        print(summary(args, outcome, checks, figures, server.port, phases))
        passed = all(c.passed for c in checks)
        if not passed:
            print(f"\nLast lines of the server log:\n{server.tail()}")
    finally:
        if server is not None:
            server.stop()
        if passed and not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
        else:
            print(f"Soak files kept in {folder}")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
