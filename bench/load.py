"""A small HTTP load generator: N logged-in users, with or without think time.

What a headless `locust --users N --spawn-rate N` run does, in the standard library (locust is
not a project dependency): each client is one thread with one keep-alive HTTP/1.1 connection
(`http.client`) and its own cookies, logs in through the real login form (GET the form, POST it
with its CSRF token), then loops on its task. Without think time (`wait_time = constant(0)`,
the capacity phases) it sends its next request as soon as the previous response has been read
in full; with think time (`wait_time = between(1, 5)`, the realistic-load phase) it waits a
random 1-5 s after each response, drawn from its own seeded `random.Random`, so a run is
repeatable. Latency is measured from sending the request to the last byte of the body, so it
includes time queued in waitress when all its threads are busy; think time is never counted.

The client runs in the benchmark's own process; its CPU use is reported with each phase, since
on a small machine it competes with the server for the same cores.
"""

from __future__ import annotations

import dataclasses
import http.client
import math
import os
import random
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from http.cookies import SimpleCookie
from urllib.parse import urlencode

CSRF_INPUT = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')


@dataclasses.dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes


class Session:
    """One user: a keep-alive connection plus cookies. Not thread-safe (one per thread)."""

    def __init__(self, host: str, port: int, *, timeout: float = 60.0):
        self.host, self.port, self.timeout = host, port, timeout
        self.cookies: dict[str, str] = {}
        self.connection: http.client.HTTPConnection | None = None
        self.data: dict = {}  # per-client scenario state (order pools and the like)
        self.think: tuple[float, float] | None = None  # (min, max) seconds; None: no pause
        self.deadline = math.inf  # perf_counter() time after which the phase sends nothing

    def pause(self, rng: random.Random) -> bool:
        """Think for a random `self.think` time (cut at the deadline, never past it).

        Returns whether the phase still runs, i.e. whether the user may send another request.
        """
        if self.think is not None:
            seconds = rng.uniform(*self.think)
            time.sleep(max(0.0, min(seconds, self.deadline - time.perf_counter())))
        return time.perf_counter() < self.deadline

    def request(
        self, method: str, path: str, *, form: dict | None = None, headers: dict | None = None
    ) -> Response:
        body = urlencode(form).encode() if form is not None else None
        sent = {"Accept": "text/html", **(headers or {})}
        if body is not None:
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in (1, 2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection(
                    self.host, self.port, timeout=self.timeout
                )
            try:
                self.connection.request(method, path, body=body, headers=sent)
                raw = self.connection.getresponse()
                payload = raw.read()
            except (http.client.HTTPException, OSError):
                self.close()
                if attempt == 2 or method != "GET":
                    raise  # never resend a POST: the server may have acted on it
                continue  # the server closed an idle keep-alive connection: reconnect once
            for header in raw.headers.get_all("Set-Cookie") or []:
                cookie = SimpleCookie()
                cookie.load(header)
                for name, morsel in cookie.items():
                    self.cookies[name] = morsel.value
            if raw.will_close:
                self.close()
            return Response(raw.status, raw.headers, payload)
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    @property
    def csrf_token(self) -> str:
        return self.cookies.get("csrftoken", "")

    def login(self, username: str, password: str) -> None:
        """Log in through the real login form, as a browser does; raises when it fails."""
        page = self.request("GET", "/accounts/login/")
        match = CSRF_INPUT.search(page.body)
        if page.status != 200 or match is None:
            raise RuntimeError(f"login form: HTTP {page.status}")
        answer = self.request(
            "POST",
            "/accounts/login/",
            form={
                "username": username,
                "password": password,
                "csrfmiddlewaretoken": match.group(1).decode(),
                "next": "",
            },
        )
        if answer.status != 302 or "sessionid" not in self.cookies:
            raise RuntimeError(f"login as {username}: HTTP {answer.status}, not logged in")


class Recorder:
    """Latencies and outcomes per request name (one per thread, merged at the end)."""

    def __init__(self):
        self.latencies: dict[str, list[float]] = {}
        self.errors: Counter = Counter()
        self.statuses: dict[str, Counter] = {}
        self.body_bytes: Counter = Counter()

    def timed(
        self, session: Session, name: str, method: str, path: str, *, ok=(200,), **kwargs
    ) -> Response | None:
        started = time.perf_counter()
        try:
            response = session.request(method, path, **kwargs)
        except (http.client.HTTPException, OSError) as error:
            self.record(name, time.perf_counter() - started, type(error).__name__, ok=False)
            return None
        good = response.status in ok
        self.body_bytes[name] += len(response.body)
        self.record(name, time.perf_counter() - started, response.status, ok=good)
        return response

    def record(self, name: str, seconds: float, status, *, ok: bool) -> None:
        self.latencies.setdefault(name, []).append(seconds)
        self.statuses.setdefault(name, Counter())[str(status)] += 1
        if not ok:
            self.errors[name] += 1

    def merge(self, other: Recorder) -> None:
        for name, values in other.latencies.items():
            self.latencies.setdefault(name, []).extend(values)
        self.errors.update(other.errors)
        self.body_bytes.update(other.body_bytes)
        for name, counts in other.statuses.items():
            self.statuses.setdefault(name, Counter()).update(counts)


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list (q in 0..1)."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(q * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def summarize(recorder: Recorder, name: str, seconds: float) -> dict:
    """Requests, errors, requests/s and latency percentiles (ms) of one request name."""
    values = sorted(recorder.latencies.get(name, []))
    count = len(values)

    def ms(value: float) -> float | None:
        return round(1000 * value, 2) if count else None

    return {
        "requests": count,
        "errors": recorder.errors.get(name, 0),
        "statuses": dict(recorder.statuses.get(name, {})),
        "seconds": round(seconds, 3),
        "rps": round(count / seconds, 1) if seconds else 0.0,
        "mean_ms": ms(sum(values) / count) if count else None,
        "p50_ms": ms(percentile(values, 0.50)),
        "p95_ms": ms(percentile(values, 0.95)),
        "p99_ms": ms(percentile(values, 0.99)),
        "max_ms": ms(values[-1]) if count else None,
        "mean_body_bytes": round(recorder.body_bytes.get(name, 0) / count) if count else 0,
    }


Task = Callable[[Session, Recorder, random.Random], None]


def run_phase(
    sessions: list[Session],
    task: Task,
    *,
    duration: float,
    server_pid: int | None = None,
    server_pids: list[int] | None = None,
    think: tuple[float, float] | None = None,
    seed: int = 0,
) -> tuple[Recorder, dict]:
    """All sessions run `task` in a loop, in parallel, for `duration` seconds.

    `think`: (min, max) seconds each user waits after every response, uniform, from a
    `random.Random` seeded with (`seed`, client index); the first request of each user comes
    after a random 0-max s, so 20 users do not all start in the same millisecond. None: no
    think time (closed loop). A task that sends several requests calls `session.pause(rng)`
    between them.

    Returns the merged recorder and the phase's wall time and CPU use (server and client, in
    cores: 1.0 = one core busy for the whole phase).
    """
    recorders = [Recorder() for _ in sessions]
    barrier = threading.Barrier(len(sessions) + 1)
    deadline_box: list[float] = []

    def loop(index: int) -> None:
        session, recorder = sessions[index], recorders[index]
        rng = random.Random(seed * 1_000_003 + index)
        barrier.wait()
        session.deadline, session.think = deadline_box[0], think
        try:
            if think is not None:
                time.sleep(rng.uniform(0, think[1]))
            while time.perf_counter() < session.deadline:
                task(session, recorder, rng)
                if not session.pause(rng):
                    break
        finally:
            session.deadline, session.think = math.inf, None

    threads = [threading.Thread(target=loop, args=(i,), daemon=True) for i in range(len(sessions))]
    for thread in threads:
        thread.start()
    pids = server_pids or ([server_pid] if server_pid else [])

    def servers_cpu() -> float:
        return sum(process_cpu_seconds(pid) for pid in pids)

    server_before = servers_cpu()
    client_before = time.process_time()
    machine_before = machine_cpu_seconds()
    started = time.perf_counter()
    deadline_box.append(started + duration)
    barrier.wait()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    merged = Recorder()
    for recorder in recorders:
        merged.merge(recorder)
    server = (servers_cpu() - server_before) / wall
    client = (time.process_time() - client_before) / wall
    machine = (machine_cpu_seconds() - machine_before) / wall
    usage = {
        "wall_seconds": round(wall, 3),
        "server_cpu_cores": round(server, 2),
        "client_cpu_cores": round(client, 2),
        # Everything else running on the machine meanwhile (other users' tests, say): a
        # figure measured while this is high is slower than the code deserves.
        "other_cpu_cores": round(max(0.0, machine - server - client), 2),
    }
    return merged, usage


def machine_cpu_seconds() -> float:
    """CPU seconds spent by all processes on all cores since boot (Linux /proc/stat)."""
    try:
        with open("/proc/stat") as stat:
            fields = stat.readline().split()[1:]
    except OSError:
        return 0.0
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux /proc)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_until_serving(host: str, port: int, *, timeout: float = 60.0, path: str = "/healthz"):
    """Poll until the server answers 200 on `path`; raises TimeoutError otherwise."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection(host, port, timeout=5)
            connection.request("GET", path)
            status = connection.getresponse().status
            connection.close()
            if status == 200:
                return
            last = f"HTTP {status}"
        except OSError as error:
            last = repr(error)
        time.sleep(0.2)
    raise TimeoutError(f"server on {host}:{port} not ready after {timeout}s ({last})")
