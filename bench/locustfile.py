"""The users of the page phases (`Manager`) and the soak (`Clerk`) for `bench.pages.run_locust`:
each logs in through the form and waits for all. At the end `out` gets JSON: locust's figures,
the CPU cores each window used (server, this client, the rest) and the soak's records."""

import contextlib
import itertools
import json
import os
import random
import re
import time
from pathlib import Path

import gevent
import psutil
from gevent.event import Event
from locust import HttpUser, constant, events, task
from locust.exception import StopUser
from urllib3.exceptions import NewConnectionError

from bench.server import machine_cpu_seconds

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
VERSION_INPUT = re.compile(r'<input[^>]*name="version"[^>]*value="(\d+)"')
ACTION_BUTTON = re.compile(r'data-action="([a-z_]+)"')
# The soak: how likely a client is to press each button it is offered (unlisted: 1). Below 1 in
# total, it may press none; cycles (reject/submit, hold/resume) are likely, the ways out rare.
ACTION_WEIGHTS = {"cancel": 0.03, "hold": 0.3, "reject": 0.5, "deliver": 0.5}
STALE_SHARE, NOTE_SHARE, RETRY_PAUSE = 0.1, 0.3, 0.2
SHIP_FIELDS = {"carrier": "DHL", "tracking_number": "TRK1234567890"}

DATA = os.environ.get("BENCH_LOCUST_DATA")
CONFIG: dict = json.loads(Path(DATA).read_text()) if DATA else {}
RECORDS: list[dict] = []
CLIENTS: list[dict] = []
_numbers = itertools.count()
_all_in = Event()  # set once every user has logged in: the phase's clock starts then
_clock: dict = {"windows": {}}


class BenchUser(HttpUser):
    """A person at a browser (one session, one keep-alive connection), logged in on start."""

    abstract = True
    wait_time = constant(0)  # no pause between tasks unless a user thinks

    def on_start(self):
        self.number = next(_numbers)
        self.me = CONFIG["users"][self.number % len(CONFIG["users"])]
        self.rng = random.Random(CONFIG["seed"] * 1_000_003 + self.number)
        self.client_info = {"username": self.me["username"], "logged_in": self.log_in()}
        CLIENTS.append(self.client_info)
        if len(CLIENTS) == self.environment.runner.target_user_count:  # the last one is in
            gevent.spawn(_run_clock, self.environment)
        if not self.client_info["logged_in"]:
            raise StopUser  # the login request's failure shows in the figures
        _all_in.wait()

    def log_in(self) -> bool:
        page = self.send("login", "GET", "/accounts/login/")
        token = CSRF_INPUT.search(page.text or "")
        form = {"username": self.me["username"], "password": CONFIG["password"]}
        form["csrfmiddlewaretoken"] = token[1] if token else ""
        answer = self.send("login", "POST", "/accounts/login/", form)
        return answer.status_code == 302 and "sessionid" in self.client.cookies

    def send(self, name, method, path, data=None, headers=None, ok=(200, 302, 303), **context):
        """One request named `name`, failed in locust's figures unless its status is in `ok`."""
        context = {"username": self.me["username"], "order_id": None, "action": None,
                   "version_sent": None, "stale": False, **context}  # fmt: skip
        with self.client.request(
            method, path, name=name, data=data, headers=headers, allow_redirects=False,
            timeout=30, catch_response=True, context=context,
        ) as answer:  # fmt: skip
            if answer.status_code not in ok:
                answer.failure(f"HTTP {answer.status_code}")
            return answer


class Manager(BenchUser):
    """A company's Manager in the bench's page phases."""

    def on_start(self):
        super().on_start()
        self.pool = list(self.me["pool"])
        if CONFIG["phase"] == "realistic":  # 20 users do not all start in the same millisecond
            gevent.sleep(self.rng.uniform(0, CONFIG["think"][1]))

    def wait_time(self):
        return self.rng.uniform(*CONFIG["think"]) if CONFIG["phase"] == "realistic" else 0

    @task
    def visit(self):
        phase = CONFIG["phase"]
        if phase == "single":
            for key in CONFIG["pages"]:
                with _window(key):
                    for _ in range(CONFIG["single_requests"]):
                        self.open(key)
            self.environment.runner.quit()
            return
        if _clock.get("done"):
            raise StopUser
        if phase == "realistic":  # every page in turn, each user from its own starting page,
            self.turn = getattr(self, "turn", self.number * 2) + 1  # so a short run covers all
            self.open(CONFIG["user_pages"][self.turn % len(CONFIG["user_pages"])])
        else:
            self.open(_clock.get("page") or "minimal")

    def open(self, key: str) -> None:
        if key == "transition":
            self.move_an_order()
        else:
            path = CONFIG["pages"][key].format(id=self.rng.choice(self.me["ids"]))
            self.send(key, "GET", path, ok=[200])

    def move_an_order(self) -> None:
        """Open an order, read its version and buttons, (think,) POST the forward move."""
        if not self.pool:
            gevent.sleep(0.05)  # this user has moved all its orders to the end
            return
        order_id = self.pool.pop(0)
        path = CONFIG["pages"]["detail"].format(id=order_id)
        page = self.send("transition_detail_get", "GET", path, ok=[200])
        actions = set(re.findall(rf"/orders/{order_id}/transitions/(\w+)/", page.text or ""))
        name = next((a for a in CONFIG["forward"] if a in actions), None)
        version = VERSION_INPUT.search(page.text or "")
        if page.status_code != 200 or name is None or version is None:
            return  # final now (or nothing a Manager may move forward): drop it
        if CONFIG["phase"] == "realistic":
            gevent.sleep(self.wait_time())  # a person reads the page before pressing the button
            if _clock.get("done"):
                return
        form = {"version": version[1], "csrfmiddlewaretoken": self.client.cookies["csrftoken"]}
        if name == "ship":
            form.update(carrier="DHL", tracking_number=f"TRK{self.rng.randrange(10**9, 10**10)}")
        headers = {"HX-Request": "true", "X-CSRFToken": self.client.cookies["csrftoken"]}
        path = CONFIG["pages"]["transition"].format(id=order_id, name=name)
        answer = self.send("transition", "POST", path, form, headers, ok=[200])
        if answer.status_code == 200 and name != "deliver":
            self.pool.append(order_id)


class Clerk(BenchUser):
    """The soak's Staff user or Manager: opens orders and presses their buttons until the end."""

    @task
    def visit(self):
        if _clock.get("done"):
            raise StopUser
        order_id = self.rng.choice(self.me["ids"])
        page = self.send("detail", "GET", f"/orders/{order_id}/", order_id=order_id)
        if page.status_code == 302 and "/accounts/login/" in page.headers.get("Location", ""):
            self.log_in()  # the session is gone: log in again
        elif page.status_code == 200:
            self.act(order_id, page.text)
        elif not page.status_code:
            gevent.sleep(RETRY_PAUSE)  # no answer (the server is being restarted)

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
            reason = f"Soak test: {self.me['username']} says so."  # the fields not shipping's
            form = {name: SHIP_FIELDS.get(name, reason) for name in CONFIG["fields"][action]}
            form["confirmed"] = "yes"  # deliver and cancel ask first (issue #28)
        elif self.rng.random() < NOTE_SHARE:
            action, kind, path = "add_note", "note", f"/orders/{order_id}/notes/"
            form = {"text": f"Soak note from {self.me['username']}."}
        else:
            return
        stale = self.rng.random() < STALE_SHARE
        sent = int(version[1]) - stale
        form.update(version=str(sent), csrfmiddlewaretoken=token[1])
        answer = self.send(kind, "POST", path, form, order_id=order_id, action=action,
                           version_sent=sent, stale=stale)  # fmt: skip
        if not answer.status_code:
            gevent.sleep(RETRY_PAUSE)


@events.request.add_listener
def _record(name, response_time, response, context, start_time, **_):
    """The soak's record of every request: answered, refused (never sent) or lost (no answer)."""
    if CONFIG.get("phase") != "soak":
        return
    status, error = response.status_code or None, getattr(response, "error", None)
    reason = getattr(error.args[0], "reason", None) if error is not None and error.args else None
    outcome = "answered" if status else "lost"
    if not status and isinstance(reason, NewConnectionError):
        outcome = "refused"
    RECORDS.append({**context, "kind": name, "status": status, "outcome": outcome,
                    "at": start_time, "seconds": response_time / 1000})  # fmt: skip


@contextlib.contextmanager
def _window(key: str):
    """Windows[key]: the block's wall seconds and the CPU cores used meanwhile."""

    def sample() -> tuple[float, float, float, float]:
        try:  # the server's user + system CPU seconds; 0 once the soak has killed it
            server = sum(psutil.Process(CONFIG["server_pid"]).cpu_times()[:2])
        except psutil.NoSuchProcess:
            server = 0.0
        return time.perf_counter(), server, time.process_time(), machine_cpu_seconds()

    before = sample()
    yield
    wall, server, client, machine = (a - b for a, b in zip(sample(), before, strict=True))
    wall = max(wall, 1e-9)
    _clock["windows"][key] = {
        "seconds": round(wall, 3),
        "server_cpu_cores": round(server / wall, 2),
        "client_cpu_cores": round(client / wall, 2),
        "other_cpu_cores": round(max(0.0, machine - server - client) / wall, 2),
    }


def _run_clock(environment) -> None:
    """Start the phase once every user is in; capacity: move all users page to page."""
    _all_in.set()
    phase, _clock["started_at"] = CONFIG["phase"], time.time()
    with open(f"{CONFIG['out']}.started", "w") as marker:  # the soak kills the server from it
        marker.write(str(_clock["started_at"]))
    if phase == "single":
        return
    for key in CONFIG["pages"] if phase == "capacity" else [phase]:
        with _window(key):
            _clock["page"] = key
            gevent.sleep(CONFIG["seconds"])
    _clock["done"] = True  # each user stops at its next task: no request is cut off
    deadline = time.monotonic() + 60
    while environment.runner.user_count and time.monotonic() < deadline:
        gevent.sleep(0.05)
    environment.runner.quit()


@events.quitting.add_listener
def _write_figures(environment, **_):
    if not CONFIG.get("out"):
        return
    figures = {}
    for (name, _method), entry in environment.stats.entries.items():
        n, percentile = entry.num_requests, entry.get_response_time_percentile
        figures[name] = {"requests": n, "errors": entry.num_failures,
                         **{f"p{q}_ms": percentile(q / 100) if n else None for q in (50, 95, 99)},
                         "mean_ms": round(entry.avg_response_time, 2) if n else None,
                         "max_ms": entry.max_response_time}  # fmt: skip
    errors = {str(e.error): e.occurrences for e in environment.stats.errors.values()}
    Path(CONFIG["out"]).write_text(json.dumps({
        "pages": figures, "windows": _clock["windows"], "error_kinds": errors,
        "started_at": _clock.get("started_at"), "records": RECORDS, "clients": CLIENTS,
        "exceptions": [e["msg"] for e in environment.runner.exceptions.values()]}))  # fmt: skip
