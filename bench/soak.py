"""Soak and crash test of the whole stack (bench/README.md, "The soak"): waitress, locust
`Clerk` users on a throw-away SQLite file, then every request accounted for in the log.

    python -m bench.soak --duration 120 [--clients 20] [--orders 200] [--kill]
"""

from __future__ import annotations

import argparse
import collections
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.pages import run_locust
from bench.server import Server, bench_environment, finish, manage, wait_for

LOGIN_TIMEOUT = 90.0  # all clients logged in (PBKDF2 costs ~1 s of CPU per login)
SEED = 2026


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
    from events.store import head_position
    from orders import commands
    from orders.demo import order_input

    static = manage(env, "collectstatic", "--noinput", "--verbosity", "0")  # needs no database
    call_command("migrate", interactive=False, verbosity=0)
    companies, people = create_companies_and_users(2)  # one password hash for all of them
    rng, orders = random.Random(SEED), {c.slug: [] for c in companies}
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
    connections.close_all()  # the server is the only one using the database from now on
    finish(static, "collectstatic")
    return {
        "users": users,
        "password": DEMO_PASSWORD,
        "fields": {name: list(spec["fields"]) for name, spec in transitions.items()},
        "expected_event": {"add_note": "NoteAdded"}
        | {name: spec["event"] for name, spec in transitions.items()},
        "head": head_position(),  # the log's last event before the load
    }


def kill_half_way(server: Server, duration: float, crash: dict):
    """While locust runs: once its clients are in (its `.started` marker), wait half the load,
    SIGKILL the server and start it again on the same port; what happened goes into `crash`."""

    def meanwhile(out: Path) -> None:
        wait_for(Path(f"{out}.started").exists, LOGIN_TIMEOUT)
        time.sleep(duration / 2)
        crash["at"] = time.time()
        server.kill()
        try:
            crash["restart_seconds"] = server.start()
        except RuntimeError as error:
            crash["error"] = str(error)

    return meanwhile


def succeeded(record: dict) -> bool:
    return record["status"] is not None and 200 <= record["status"] < 400


def account_for_events(writes: list[dict], prepared: dict) -> tuple[list, dict]:
    """Match the log's new events to the writes: each one a successful write's or a lost one's
    (an answer the crash swallowed), each successful write exactly one event. A write at
    version v is the event (its order, v + 1, the action's event type, its user); the log's
    unique (stream, version) leaves one event per such slot. Those two checks also bound every
    stream's new versions by its successes and lost answers."""
    from events.models import Event

    rows = Event.objects.filter(stream_type="order", position__gt=prepared["head"]).values_list(
        "stream_id", "version", "event_type", "metadata__actor_username"
    )
    logged = {(str(stream), version): (kind, actor) for stream, version, kind, actor in rows}

    def slot(r: dict) -> tuple:
        return r["order_id"], r["version_sent"] + 1

    def wrote(r: dict) -> bool:  # the event at the write's slot is the one it asked for
        return logged.get(slot(r)) == (prepared["expected_event"][r["action"]], r["username"])

    successes = [r for r in writes if succeeded(r)]
    twice = [s for s, n in collections.Counter(map(slot, successes)).items() if n > 1]
    without_event = [_said(r) for r in successes if not wrote(r)]
    explained = {slot(r) for r in successes if wrote(r)}
    lost_committed = {slot(r) for r in writes if r["outcome"] == "lost" and wrote(r)} - explained
    explained |= lost_committed
    unexplained = [f"{s} v{v}: {logged[s, v]}" for s, v in logged if (s, v) not in explained]
    checks = [
        ("each 2xx/3xx write is exactly one new event (type, user, version)",
         not (without_event or twice), _sample(without_event + [f"{s} twice" for s in twice])
         or f"{len(successes)} successful writes, as many events"),
        ("no event without a write that explains it (409s wrote nothing)", not unexplained,
         _sample(unexplained) or f"{len(logged)} new events, all explained"),
    ]  # fmt: skip
    lost = sum(r["outcome"] == "lost" for r in writes)
    return checks, {"lost_writes": lost, "lost_committed": len(lost_committed), "new": len(logged)}


def _said(r: dict) -> str:
    return f"{r['kind']} {r['action'] or ''} {r['order_id']}: {r['status'] or r['outcome']}"


def _sample(problems: list[str], count: int = 3) -> str:
    more = f" (+{len(problems) - count} more)" if len(problems) > count else ""
    return "; ".join(problems[:count]) + more if problems else ""


def all_checks(args, run: dict, crash: dict, prepared: dict, env) -> tuple[list, dict]:
    records = run["records"]
    answered = [r for r in records if r["status"] is not None]
    writes = [r for r in records if r["kind"] in ("transition", "note")]
    server_errors = [_said(r) for r in answered if r["status"] >= 500]
    unexpected = [_said(r) for r in answered if 400 <= r["status"] < 500 and r["status"] != 409]
    stale_not_409 = [_said(r) for r in writes if r["stale"] and r["status"] not in (None, 409)]
    missing = args.clients - len(run["clients"])
    not_in = [c["username"] for c in run["clients"] if not c["logged_in"]]
    not_in += [f"{missing} never started"] if missing else []
    checks = [
        ("every client logged in through the form and ran without an exception",
         not (not_in or run["exceptions"]), _sample(not_in + run["exceptions"])),
        ("no 5xx", not server_errors, _sample(server_errors)),
        ("no 403/404/422 (clients only press the buttons the page offers)", not unexpected,
         _sample(unexpected)),
        ("every deliberately stale write answered 409", not stale_not_409,
         _sample(stale_not_409) or f"{sum(r['stale'] for r in writes)} stale writes"),
        ("writes succeeded", any(map(succeeded, writes)),
         f"{sum(map(succeeded, writes))} successful writes"),
    ]  # fmt: skip
    if args.kill:
        after = [r for r in writes if succeeded(r) and r["at"] > crash.get("at", float("inf"))]
        error = crash.get("error", "").splitlines()[:1]
        checks.append(("server SIGKILLed and back on the same port", bool(crash) and not error,
                       error[0] if error else ""))  # fmt: skip
        checks.append(("writes succeeded after the restart", bool(after), f"{len(after)} writes"))
    else:
        no_answer = [_said(r) for r in records if r["status"] is None]
        checks.append(("no connection errors (nothing was killed)", not no_answer,
                       _sample(no_answer)))  # fmt: skip
    accounting, figures = account_for_events(writes, prepared)
    checks += accounting
    for command in ("verify_events", "verify_projections"):
        child = manage(env, command)
        said = child.communicate(timeout=300)[0].strip().splitlines()
        checks.append((f"manage.py {command}", child.returncode == 0, said[-1] if said else ""))
    return checks, figures


def summary(args, run: dict, crash: dict, figures: dict, phases: dict) -> list[tuple]:
    """The soak's figures, (label, count, note) per line."""
    records = run["records"]
    writes = [r for r in records if r["kind"] in ("transition", "note")]
    status = collections.Counter(r["status"] for r in records if r["status"] is not None)
    count = lambda test, rows=records: sum(1 for r in rows if test(r))  # noqa: E731
    seconds = phases["load"] or float("inf")
    during = count(lambda r: r["status"] and r["at"] >= run["started_at"])
    ok = count(succeeded, writes)
    lines = [
        ("requests", len(records), f"({during / seconds:,.1f} answered/s during the load)"),
        *((f"  {label}", count(lambda r, k=kind: r["kind"] == k), "") for kind, label in (
            ("login", "logins (GET + POST)"), ("detail", "order pages (GET)"),
            ("transition", "transitions (POST)"), ("note", "notes (POST)"))),
        ("responses 2xx/3xx", count(succeeded), ""),
        ("responses 409", status[409], ""),
        ("responses other 4xx", count(lambda r: (r["status"] or 0) // 100 == 4) - status[409], ""),
        ("responses 5xx", count(lambda r: (r["status"] or 0) >= 500), ""),
        ("connection refused (not sent)", count(lambda r: r["outcome"] == "refused"), ""),
        ("answer lost (sent, no response)", count(lambda r: r["outcome"] == "lost"), ""),
        ("writes (transitions + notes)", len(writes), ""),
        ("  succeeded (303)", ok, f"({ok / seconds:,.1f}/s)"),
        ("  409, stale on purpose", count(lambda r: r["stale"] and r["status"] == 409, writes), ""),
        ("  409, lost a race", count(lambda r: not r["stale"] and r["status"] == 409, writes), ""),
        ("  lost answer, committed", figures["lost_committed"], ""),
        ("  lost answer, not committed", figures["lost_writes"] - figures["lost_committed"], ""),
        ("new events in the log", figures["new"], ""),
    ]  # fmt: skip
    latencies = sorted(r["seconds"] * 1000 for r in writes if r["status"] is not None)
    if latencies:
        p95 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.95))]
        middle, last = statistics.median(latencies), latencies[-1]
        lines.append(
            ("write latency p50 / p95 / max", "", f"{middle:.0f} / {p95:.0f} / {last:.0f} ms")
        )
    lines.append(("status codes", "", str(dict(sorted(status.items())))))
    lines.append(("phases (s)", "", ", ".join(f"{k} {v:.1f}" for k, v in phases.items())))
    if args.kill:
        back = "NOT restarted"
        if "restart_seconds" in crash:
            back = f"healthy again after {crash['restart_seconds']:.2f}s"
        at = crash.get("at", run["started_at"]) - run["started_at"]
        lines.append(
            ("kill", "", f"SIGKILL at {at:.1f}s of load; restarted on the same port, {back}")
        )
    return lines


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m bench.soak", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--duration", type=float, default=60, help="Seconds of load (default 60).")
    parser.add_argument("--clients", type=int, default=20, help="Concurrent clients (default 20).")
    parser.add_argument("--orders", type=int, default=200, help="Orders to seed (default 200).")
    parser.add_argument("--kill", action="store_true", help="SIGKILL and restart the server.")
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
        server = Server(env, folder / "waitress.log")
        server.start()
        phases["start"], started = time.monotonic() - started, time.time()
        print(f"Prepared; waitress on {server.url}; load starts once clients log in.")
        clients = {key: prepared[key] for key in ("users", "password", "fields")}
        run = run_locust(
            server, folder, "soak", clients=args.clients, user_class="Clerk", seed=SEED,
            meanwhile=kill_half_way(server, args.duration, crash) if args.kill else None,
            seconds=args.duration, **clients,
        )  # fmt: skip
        run["started_at"] = run["started_at"] or time.time()
        phases["log-in"] = run["started_at"] - started
        phases["load"] = time.time() - run["started_at"]
        server.stop()
        started = time.monotonic()
        checks, figures = all_checks(args, run, crash, prepared, env)
        phases["checks"] = time.monotonic() - started
        mode = "kill + restart" if args.kill else "steady"
        print(f"Ledgerline soak ({mode}): {args.clients} clients, {args.duration:g}s of load, "
              f"{args.orders} orders, waitress on {server.url}")  # fmt: skip
        for label, value, note in summary(args, run, crash, figures, phases):
            print(f"  {label:<34} {value!s:>7}  {note}")
        print("\nChecks:")
        for name, ok, detail in checks:
            print(f"  [{'PASS' if ok else 'FAIL'}] {name}" + (f" — {detail}" if detail else ""))
        passed = all(ok for _, ok, _ in checks)
        print("\nALL CHECKS PASSED" if passed else "\nSOAK FAILED")
        if not passed:
            print(f"\nLast lines of the server log:\n{server.tail()}")
    finally:
        if server is not None:
            server.stop()
        if passed:
            shutil.rmtree(folder, ignore_errors=True)
        else:
            print(f"Soak files kept in {folder}")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
