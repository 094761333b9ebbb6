"""Soak and crash test of the whole stack: waitress, locust clients, then count every event.

    python -m bench.soak --duration 120 [--clients 20] [--orders 200] [--kill] [--port 0] [--keep]

A throw-away SQLite file under the bench's production settings (`bench.settings`): two companies
with a Staff user and a Manager each, `--orders` orders placed (a third left as drafts, a third
submitted, a third approved) through `orders.commands`. `--clients` locust users
(bench/locustfile.py, `Clerk`) log in through the form and for `--duration` s open orders of
their company and press the buttons the page offers (one post in ten with the version before)
or add a note. `--kill`: half-way, the server is SIGKILLed and restarted on the same port.

Then the log must account for every request: each 2xx/3xx write is exactly one new event on its
order's stream (the right type, by the right user, at the version sent + 1); a 409 wrote nothing;
a lost answer wrote at most one event; no 5xx; `verify_events` and `verify_projections` pass.
Exit status 1 if any check fails. Only 127.0.0.1 is contacted; every wait is bounded.
"""

from __future__ import annotations

import argparse
import collections
import dataclasses
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from rich.table import Table

from bench.pages import run_locust
from bench.report import console
from bench.server import HOST, Server, bench_environment, finish, manage

LOGIN_TIMEOUT = 90.0  # all clients logged in (PBKDF2 costs ~1 s of CPU per login)


@dataclasses.dataclass
class Record:
    """One request as its client saw it (bench/locustfile.py `_record`)."""

    username: str
    kind: str  # login, detail, transition, note
    order_id: str | None
    action: str | None
    version_sent: int | None
    stale: bool
    status: int | None  # None: no answer
    outcome: str  # "answered", "refused" (never sent), "lost" (sent, no answer)
    at: float  # when it was sent (epoch seconds)
    seconds: float

    @property
    def is_write(self) -> bool:
        return self.kind in ("transition", "note")

    @property
    def succeeded(self) -> bool:
        return self.status is not None and 200 <= self.status < 400


Check = collections.namedtuple("Check", "name passed detail", defaults=[""])


def prepare(env: dict[str, str], args) -> dict:
    """Migrate, seed users and orders through the real commands, collect static files; what the
    clients need (`users`, `fields`) and what the checks compare with."""
    os.environ.update(env)  # this process works on the soak database too (seed, then count)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    from accounts.demo import DEMO_PASSWORD
    from accounts.models import Role
    from bench.seed import create_companies_and_users
    from orders import commands
    from orders.demo import order_input

    static = manage(env, "collectstatic", "--noinput", "--verbosity", "0")  # needs no database
    call_command("migrate", interactive=False, verbosity=0)
    companies, people = create_companies_and_users(2)  # one password hash for all of them
    rng, orders = random.Random(args.seed), {c.slug: [] for c in companies}
    for index in range(args.orders):
        company, turn = index % len(companies), index // len(companies)
        staff, manager = people[(company, Role.STAFF)], people[(company, Role.MANAGER)]
        details, lines = order_input(rng)
        order = commands.place_order(actor=staff, details=details, lines=lines)
        if turn % 3 >= 1:  # a mix of starting states: draft, submitted, approved
            order = commands.submit(order.id, actor=staff, expected_version=order.version)
        if turn % 3 == 2:
            order = commands.approve(order.id, actor=manager, expected_version=order.version)
        orders[companies[company].slug].append(str(order.id))
    slugs, transitions = sorted(orders), commands.workflow_transitions()
    users = []  # clients take turns over the companies, Staff users then Managers
    for index in range(args.clients):
        slug, role = slugs[index % 2], ("staff", "manager")[(index // 2) % 2]
        users.append({"username": f"{slug}.{role}", "ids": orders[slug]})
    prepared = {
        "users": users,
        "password": DEMO_PASSWORD,
        "fields": {name: list(spec["fields"]) for name, spec in transitions.items()},
        "expected_event": {name: spec["event"] for name, spec in transitions.items()},
        "initial_versions": stream_versions(),
    }
    prepared["expected_event"]["add_note"] = "NoteAdded"
    connections.close_all()  # the server is the only one using the database from now on
    finish(static, "collectstatic")
    return prepared


def stream_versions() -> dict[str, int]:
    from django.db.models import Max

    from events.models import Event

    rows = Event.objects.filter(stream_type="order").values("stream_id").annotate(v=Max("version"))
    return {str(row["stream_id"]): row["v"] for row in rows}


def kill_half_way(server: Server, duration: float, crash: dict):
    """While locust runs: once its clients are in (its `.started` marker), wait half the load,
    SIGKILL the server and start it again on the same port; what happened goes into `crash`."""

    def meanwhile(out: Path) -> None:
        marker, deadline = Path(f"{out}.started"), time.monotonic() + LOGIN_TIMEOUT
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(duration / 2)
        crash["at"] = time.time()
        server.kill()
        try:
            crash["restart_seconds"] = server.start()
        except RuntimeError as error:
            crash["error"] = str(error)

    return meanwhile


def account_for_events(writes: list[Record], prepared: dict) -> tuple[list[Check], dict]:
    """Match every new event to the request that wrote it, and every successful write to one."""
    from events.models import Event

    initial, expected_event = prepared["initial_versions"], prepared["expected_event"]
    by_slot: dict[tuple, list[Record]] = collections.defaultdict(list)
    for record in writes:
        by_slot[(record.order_id, record.version_sent)].append(record)
    new_events = [
        (str(stream), version, event_type, metadata.get("actor_username"))
        for stream, version, event_type, metadata in Event.objects.filter(
            stream_type="order"
        ).values_list("stream_id", "version", "event_type", "metadata")
        if version > initial.get(str(stream), 0)
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
            r for r in candidates if expected_event[r.action] == event_type and r.username == actor
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
        f"{stream}: {before} -> {final.get(stream)} with {successes[stream]} successes, "
        f"{lost[stream]} lost"
        for stream, before in initial.items()
        if not successes[stream]
        <= final.get(stream, 0) - before
        <= successes[stream] + lost[stream]
    ]
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
            _sample(bad_counts) or f"{len(initial)} streams",
        ),
    ]
    figures = {"lost_writes": sum(lost.values()), "lost_committed": lost_committed}
    return checks, {**figures, "new_events": len(new_events)}


def describe(rows: list[Record]) -> str:
    return _sample(
        [f"{r.kind} {r.action or ''} {r.order_id}: {r.status or r.outcome}" for r in rows]
    )


def _sample(problems: list[str], count: int = 3) -> str:
    more = f" (+{len(problems) - count} more)" if len(problems) > count else ""
    return "; ".join(problems[:count]) + more if problems else ""


def all_checks(args, run: dict, records: list[Record], crash: dict, prepared: dict, env):
    answered = [r for r in records if r.status is not None]
    writes = [r for r in records if r.is_write]
    unexpected_4xx = [r for r in answered if 400 <= r.status < 500 and r.status != 409]
    stale_not_409 = [r for r in writes if r.stale and r.status is not None and r.status != 409]
    not_in = [c["username"] for c in run["clients"] if not c["logged_in"]]
    missing = args.clients - len(run["clients"])
    checks = [
        Check(
            "every client logged in through the form and ran without an exception",
            not (not_in or missing or run["exceptions"]),
            _sample(not_in + [f"{missing} never started"] * bool(missing) + run["exceptions"]),
        ),
        Check("no 5xx", not any(r.status >= 500 for r in answered),
              describe([r for r in answered if r.status >= 500])),
        Check("no 403/404/422 (clients only press the buttons the page offers)",
              not unexpected_4xx, describe(unexpected_4xx)),
        Check("every deliberately stale write answered 409", not stale_not_409,
              describe(stale_not_409) or f"{sum(r.stale for r in writes)} stale writes"),
        Check("writes succeeded", any(r.succeeded for r in writes),
              f"{sum(r.succeeded for r in writes)} successful writes"),
    ]  # fmt: skip
    if args.kill:
        after = [r for r in writes if r.succeeded and r.at > crash.get("at", float("inf"))]
        error = crash.get("error", "").splitlines()[:1]
        checks.append(
            Check("server SIGKILLed and back on the same port", bool(crash) and not error, *error)
        )
        checks.append(
            Check("writes succeeded after the restart", bool(after), f"{len(after)} writes")
        )
    else:
        no_answer = [r for r in records if r.status is None]
        checks.append(
            Check("no connection errors (nothing was killed)", not no_answer, describe(no_answer))
        )
    accounting, figures = account_for_events(writes, prepared)
    checks += accounting
    for command in ("verify_events", "verify_projections"):
        child = manage(env, command)
        said = child.communicate(timeout=300)[0].strip().splitlines()
        checks.append(
            Check(f"manage.py {command}", child.returncode == 0, said[-1] if said else "")
        )
    return checks, figures


def summary(args, records, run, crash, figures, port: int, phases: dict) -> Table:
    writes = [r for r in records if r.is_write]
    answered = [r for r in records if r.status is not None]
    unexpected_4xx = [r for r in answered if 400 <= r.status < 500 and r.status != 409]
    seconds = phases["load"] or float("inf")
    count = lambda test, rows=records: sum(1 for r in rows if test(r))  # noqa: E731
    succeeded = count(lambda r: r.succeeded, writes)
    during = count(lambda r: r.at >= run["started_at"], answered)
    mode = "kill + restart" if args.kill else "steady"
    table = Table(box=None, show_header=False, title_justify="left", title=(
        f"Ledgerline soak ({mode}): {args.clients} clients, {args.duration:g}s of load, "
        f"{args.orders} orders, waitress on {HOST}:{port}"))  # fmt: skip
    for label, value, note in [
        ("requests", len(records), f"({during / seconds:,.1f} answered/s during the load)"),
        *((f"  {label}", count(lambda r, k=kind: r.kind == k), "") for kind, label in (
            ("login", "logins (GET + POST)"), ("detail", "order pages (GET)"),
            ("transition", "transitions (POST)"), ("note", "notes (POST)"))),
        ("responses 2xx/3xx", count(lambda r: r.status < 400, answered), ""),
        ("responses 409", count(lambda r: r.status == 409, answered), ""),
        ("responses other 4xx", len(unexpected_4xx), ""),
        ("responses 5xx", count(lambda r: r.status >= 500, answered), ""),
        ("connection refused (not sent)", count(lambda r: r.outcome == "refused"), ""),
        ("answer lost (sent, no response)", count(lambda r: r.outcome == "lost"), ""),
        ("writes (transitions + notes)", len(writes), ""),
        ("  succeeded (303)", succeeded, f"({succeeded / seconds:,.1f}/s)"),
        ("  409, stale on purpose", count(lambda r: r.stale and r.status == 409, writes), ""),
        ("  409, lost a race", count(lambda r: not r.stale and r.status == 409, writes), ""),
        ("  lost answer, committed", figures["lost_committed"], ""),
        ("  lost answer, not committed", figures["lost_writes"] - figures["lost_committed"], ""),
        ("new events in the log", figures["new_events"], ""),
    ]:  # fmt: skip
        table.add_row(label, str(value), note)
    latencies = sorted(r.seconds * 1000 for r in writes if r.status is not None)
    if latencies:
        p95 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.95))]
        middle, last = statistics.median(latencies), latencies[-1]
        table.add_row(
            "write latency p50 / p95 / max", "", f"{middle:.0f} / {p95:.0f} / {last:.0f} ms"
        )
    statuses = collections.Counter(r.status for r in answered)
    table.add_row("status codes", "", str(dict(sorted(statuses.items()))))
    table.add_row("phases (s)", "", ", ".join(f"{k} {v:.1f}" for k, v in phases.items()))
    if args.kill:
        back = "NOT restarted"
        if "restart_seconds" in crash:
            back = f"healthy again after {crash['restart_seconds']:.2f}s"
        at = crash.get("at", run["started_at"]) - run["started_at"]
        table.add_row(
            "kill", "", f"SIGKILL at {at:.1f}s of load; restarted on the same port, {back}"
        )
    return table


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
    env = bench_environment(folder / "soak.sqlite3")
    passed, server, phases, crash = False, None, {}, {}
    try:
        started = time.monotonic()
        prepared = prepare(env, args)
        phases["prepare"], started = time.monotonic() - started, time.monotonic()
        server = Server(env, folder / "waitress.log", args.port)
        server.start()
        phases["start"], started = time.monotonic() - started, time.time()
        print(f"Prepared; waitress on {HOST}:{server.port}; load starts once clients log in.")
        meanwhile = kill_half_way(server, args.duration, crash) if args.kill else None
        clients = {key: prepared[key] for key in ("users", "password", "fields")}
        run = run_locust(
            server, folder, "soak", clients=args.clients, user_class="Clerk", meanwhile=meanwhile,
            seed=args.seed, seconds=args.duration, **clients,
        )  # fmt: skip
        run["started_at"] = run["started_at"] or time.time()
        phases["log-in"], phases["load"] = (
            run["started_at"] - started,
            time.time() - run["started_at"],
        )
        server.stop()
        records = [Record(**record) for record in run["records"]]
        started = time.monotonic()
        checks, figures = all_checks(args, run, records, crash, prepared, env)
        phases["checks"] = time.monotonic() - started
        console.print(summary(args, records, run, crash, figures, server.port, phases))
        print("\nChecks:")
        for c in checks:
            print(
                f"  [{'PASS' if c.passed else 'FAIL'}] {c.name}"
                + (f" — {c.detail}" if c.detail else "")
            )
        passed = all(c.passed for c in checks)
        print("\nALL CHECKS PASSED" if passed else "\nSOAK FAILED")
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
