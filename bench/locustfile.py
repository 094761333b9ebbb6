"""The users of the page phases for `locust --headless` (bench/pages.py: one run per phase).

Every user logs in through the real login form as the Manager of a company (`--bench-data`,
written by bench/pages.py: usernames, orders to open, a disjoint share of open orders to move),
waits until every user is in, then works until the phase ends:

- `single`: one user, `--single-requests` of each page in turn, no pause;
- `realistic`: each user opens the pages in turn (each from its own first page), thinking
  `--think-min`..`--think-max` s (its own seeded generator) after each; a transition opens the
  order, thinks, then POSTs the forward move as htmx does;
- `capacity`: no think time; all users on one page at a time for `--page-seconds` each.

Requests are named by page; at the end the per-page figures (locust's stats: count, failures,
p50/p95/p99 in ms) and the CPU each window used (server, this client, everything else on the
machine, in cores) go to `--bench-out` as JSON.
"""

from __future__ import annotations

import itertools
import json
import random
import re
import time

import gevent
from gevent.event import Event
from locust import HttpUser, events, task
from locust.exception import StopUser

from bench.pages import FORWARD, PAGES, USER_PAGES
from bench.server import machine_cpu_seconds, process_cpu_seconds

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
VERSION_INPUT = re.compile(r'name="version" value="(\d+)"')

_numbers = itertools.count()
_all_in = Event()  # set once every user has logged in: the phase's clock starts then
_clock: dict = {"windows": {}}


@events.init_command_line_parser.add_listener
def _arguments(parser):
    parser.add_argument("--bench-data", default="", help="users and orders (bench/pages.py)")
    parser.add_argument("--bench-out", default="", help="where the phase's figures go (JSON)")
    parser.add_argument("--phase", choices=("single", "realistic", "capacity"), default="single")
    parser.add_argument("--bench-pages", default=",".join(PAGES), help="pages, in order")
    parser.add_argument("--think-min", type=float, default=1.0)
    parser.add_argument("--think-max", type=float, default=5.0)
    parser.add_argument("--phase-seconds", type=float, default=10.0, help="realistic: duration")
    parser.add_argument("--page-seconds", type=float, default=5.0, help="capacity: per page")
    parser.add_argument("--single-requests", type=int, default=20)
    parser.add_argument("--server-pid", type=int, default=0)
    parser.add_argument("--bench-seed", type=int, default=2026)


class Manager(HttpUser):
    """A company's Manager at a browser (one session, one keep-alive connection)."""

    def on_start(self):
        options = self.environment.parsed_options
        self.options, self.number = options, next(_numbers)
        with open(options.bench_data) as source:
            data = json.load(source)
        self.me = data["users"][self.number % len(data["users"])]
        self.pool = list(self.me["pool"])
        self.rng = random.Random(options.bench_seed * 1_000_003 + self.number)
        self.pages = options.bench_pages.split(",")
        page = self.client.get("/accounts/login/", name="login")
        token = CSRF_INPUT.search(page.text)
        answer = self.client.post(
            "/accounts/login/",
            data={
                "username": self.me["username"],
                "password": data["password"],
                "csrfmiddlewaretoken": token.group(1) if token else "",
            },
            name="login",
            allow_redirects=False,
        )
        _clock["in"] = _clock.get("in", 0) + 1
        if _clock["in"] == self.environment.runner.target_user_count:
            gevent.spawn(_run_clock, self.environment)
        if answer.status_code != 302 or "sessionid" not in self.client.cookies:
            raise StopUser  # the login request's failure shows in the figures
        _all_in.wait()
        if options.phase == "realistic":  # 20 users do not all start in the same millisecond
            gevent.sleep(self.rng.uniform(0, options.think_max))

    def wait_time(self):
        if self.options.phase != "realistic":
            return 0
        return self.rng.uniform(self.options.think_min, self.options.think_max)

    @task
    def visit(self):
        phase = self.options.phase
        if phase == "single":
            for key in self.pages:
                _clock["windows"][key] = _sample(self.environment)
                for _ in range(self.options.single_requests):
                    self.open(key)
                _clock["windows"][key] = _window(self.environment, _clock["windows"][key])
            self.environment.runner.quit()
            return
        if _clock.get("done"):
            raise StopUser
        if phase == "realistic":  # every page in turn, each user from its own starting page,
            self.turn = getattr(self, "turn", self.number * 2)  # so a short run covers all
            self.turn += 1
            self.open(USER_PAGES[self.turn % len(USER_PAGES)])
        else:
            self.open(_clock.get("page") or self.pages[0])

    def open(self, key: str) -> None:
        if key == "transition":
            self.move_an_order()
        elif key in ("detail", "history"):
            self.get(PAGES[key].format(id=self.rng.choice(self.me["ids"])), key)
        else:
            self.get(PAGES[key], key)

    def get(self, path: str, name: str):
        with self.client.get(path, name=name, allow_redirects=False, catch_response=True) as answer:
            if answer.status_code != 200:
                answer.failure(f"HTTP {answer.status_code}")
            return answer

    def move_an_order(self) -> None:
        """Open an order, read its version and buttons, (think,) POST the forward move."""
        if not self.pool:
            gevent.sleep(0.05)  # this user has moved all its orders to the end
            return
        order_id = self.pool.pop(0)
        page = self.get(PAGES["detail"].format(id=order_id), "transition_detail_get")
        actions = set(re.findall(rf"/orders/{order_id}/transitions/(\w+)/", page.text))
        name = next((a for a in FORWARD.values() if a in actions), None)
        version = VERSION_INPUT.search(page.text)
        if page.status_code != 200 or name is None or version is None:
            return  # final now (or nothing a Manager may move forward): drop it
        if self.options.phase == "realistic":
            gevent.sleep(self.wait_time())  # a person reads the page before pressing the button
            if _clock.get("done"):
                return
        form = {"version": version[1], "csrfmiddlewaretoken": self.client.cookies["csrftoken"]}
        if name == "ship":
            form.update(carrier="DHL", tracking_number=f"TRK{self.rng.randrange(10**9, 10**10)}")
        headers = {"HX-Request": "true", "X-CSRFToken": self.client.cookies["csrftoken"]}
        path = PAGES["transition"].format(id=order_id, name=name)
        with self.client.post(
            path, data=form, headers=headers, name="transition", catch_response=True
        ) as answer:
            if answer.status_code != 200:
                answer.failure(f"HTTP {answer.status_code}")
            elif name != "deliver":
                self.pool.append(order_id)


def _sample(environment) -> tuple[float, float, float, float]:
    pid = environment.parsed_options.server_pid
    server = process_cpu_seconds(pid) if pid else 0.0
    return time.perf_counter(), server, time.process_time(), machine_cpu_seconds()


def _window(environment, before) -> dict:
    """Wall seconds of a window and the CPU cores used meanwhile, from `_sample` before."""
    after = _sample(environment)
    wall, server, client, machine = (a - b for a, b in zip(after, before, strict=True))
    wall = max(wall, 1e-9)
    return {
        "seconds": round(wall, 3),
        "server_cpu_cores": round(server / wall, 2),
        "client_cpu_cores": round(client / wall, 2),
        "other_cpu_cores": round(max(0.0, machine - server - client) / wall, 2),
    }


def _run_clock(environment) -> None:
    """Start the phase once every user is in; capacity: move all users page to page."""
    options = environment.parsed_options
    _all_in.set()
    if options.phase == "single":
        return
    if options.phase == "realistic":
        before = _sample(environment)
        gevent.sleep(options.phase_seconds)
        _clock["windows"]["realistic"] = _window(environment, before)
    else:
        for key in options.bench_pages.split(","):
            before, _clock["page"] = _sample(environment), key
            gevent.sleep(options.page_seconds)
            _clock["windows"][key] = _window(environment, before)
    _clock["done"] = True
    gevent.sleep(0.5)  # let the requests in flight finish
    environment.runner.quit()


@events.quitting.add_listener
def _write_figures(environment, **_):
    if not environment.parsed_options.bench_out:
        return
    figures = {}
    for (name, _method), entry in environment.stats.entries.items():
        figures[name] = {
            "requests": entry.num_requests,
            "errors": entry.num_failures,
            **{
                f"p{round(q * 100)}_ms": entry.get_response_time_percentile(q)
                if entry.num_requests
                else None
                for q in (0.5, 0.95, 0.99)
            },
            "mean_ms": round(entry.avg_response_time, 2) if entry.num_requests else None,
            "max_ms": entry.max_response_time,
        }
    errors = {str(e.error): e.occurrences for e in environment.stats.errors.values()}
    out = {"pages": figures, "windows": _clock["windows"], "error_kinds": errors}
    with open(environment.parsed_options.bench_out, "w") as sink:
        json.dump(out, sink, indent=1)
