"""Soak and crash test of the whole stack (bench/README.md, "The soak"): waitress, locust
`Clerk` users on a throw-away SQLite file, then every request accounted for in the log.

    python -m bench.soak --duration 120 [--clients 20] [--orders 200] [--kill]
"""

import argparse
import collections
import functools
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench.server import Server, bench_environment, manage, wait_for

LOGIN_TIMEOUT = 90.0  # all clients logged in (PBKDF2 costs ~1 s of CPU per login)
SEED = 2026


def prepare(env: dict[str, str], args) -> dict:
    """`bench.seed` two companies' orders of the last three days (most still open), collect
    static files; what the clients need (`users`, `fields`) and what the checks compare with."""
    os.environ.update(env)  # this process works on the soak database too (seed, then count)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    from accounts.demo import DEMO_PASSWORD
    from bench.pages import page_users
    from bench.seed import seed
    from events.store import head_position
    from orders import commands

    call_command("collectstatic", interactive=False, verbosity=0)
    seed(companies=2, orders=args.orders, command_orders=0, days=3, seed=SEED, log=print)
    transitions = commands.workflow_transitions()
    users = page_users(random.Random(SEED), args.clients, roles=("staff", "manager"))
    connections.close_all()  # the server is the only one using the database from now on
    return {
        "users": users,
        "password": DEMO_PASSWORD,
        "fields": {name: list(spec["fields"]) for name, spec in transitions.items()},
        "expected_event": {"add_note": "NoteAdded"}
        | {name: spec["event"] for name, spec in transitions.items()},
        "head": head_position(),  # the log's last event before the load
    }


def kill_half_way(server: Server, duration: float, crash: dict, out: Path) -> None:
    """Once locust's clients are in (`out`'s `.started` marker), wait half the load, SIGKILL the
    server and start it again on the same port; what happened goes into `crash`."""
    wait_for(Path(f"{out}.started").exists, LOGIN_TIMEOUT)
    time.sleep(duration / 2)
    crash["at"] = time.time()
    server.kill()
    try:
        crash["restart_seconds"] = server.start()
    except RuntimeError as error:
        crash["error"] = str(error)


def succeeded(record: dict) -> bool:
    return record["status"] is not None and 200 <= record["status"] < 400


def account_for_events(writes: list[dict], prepared: dict) -> list[tuple]:
    """Each new event a successful or lost write's (an answer the crash swallowed), each
    successful write exactly one event: a write at version v is the event (its order, v + 1,
    the action's type, its user), one per slot by the log's unique (stream, version)."""
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
    explained = {slot(r) for r in writes if wrote(r) and (succeeded(r) or r["outcome"] == "lost")}
    unexplained = [f"{s} v{v}: {logged[s, v]}" for s, v in logged if (s, v) not in explained]
    lost = sum(r["outcome"] == "lost" for r in writes)
    return [
        ("each 2xx/3xx write is exactly one new event (type, user, version)",
         not (without_event or twice), _sample(without_event + [f"{s} twice" for s in twice])
         or f"{len(successes)} successful writes, as many events"),
        ("no event without a write that explains it (409s wrote nothing)", not unexplained,
         _sample(unexplained) or f"{len(logged)} new events, {lost} answers lost"),
    ]  # fmt: skip


def _said(r: dict) -> str:
    return f"{r['kind']} {r['action'] or ''} {r['order_id']}: {r['status'] or r['outcome']}"


def _sample(problems: list[str], count: int = 3) -> str:
    more = f" (+{len(problems) - count} more)" if len(problems) > count else ""
    return "; ".join(problems[:count]) + more if problems else ""


def all_checks(args, run: dict, crash: dict, prepared: dict, env) -> list[tuple]:
    """(what, passed, detail) per check; locust's own table of the requests is in its log."""
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
        ("no 5xx", not server_errors, _sample(server_errors) or f"{len(records)} requests"),
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
        back = f"SIGKILL at {crash.get('at', 0) - run['started_at']:.1f}s of load, healthy " \
               f"again after {crash.get('restart_seconds', 0):.2f}s"  # fmt: skip
        checks.append(("server SIGKILLed and back on the same port", bool(crash) and not error,
                       error[0] if error else back))  # fmt: skip
        checks.append(("writes succeeded after the restart", bool(after), f"{len(after)} writes"))
    else:
        no_answer = [_said(r) for r in records if r["status"] is None]
        checks.append(("no connection errors (nothing was killed)", not no_answer,
                       _sample(no_answer)))  # fmt: skip
    checks += account_for_events(writes, prepared)
    for command in ("verify_events", "verify_projections"):
        child = manage(env, command)
        said = child.communicate(timeout=300)[0].strip().splitlines()
        checks.append((f"manage.py {command}", child.returncode == 0, said[-1] if said else ""))
    return checks


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__)
    parser.add_argument("--duration", type=float, default=60, help="seconds of load")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--orders", type=int, default=200, help="orders to seed")
    parser.add_argument("--kill", action="store_true", help="SIGKILL and restart the server")
    args = parser.parse_args(argv)
    if not (0 < args.duration <= 3600 and 0 < args.clients <= 200 and args.orders >= 2):
        parser.error("need 0 < duration <= 3600, 0 < clients <= 200 and at least 2 orders")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="ledgerline-soak-"))
    env = bench_environment(folder / "soak.sqlite3")
    passed, crash = False, {}
    try:
        prepared = prepare(env, args)
        from bench.pages import run_locust  # once Django is set up

        with Server(env, folder / "waitress.log") as server:
            print(f"Soak ({'kill + restart' if args.kill else 'steady'}): {args.clients} clients, "
                  f"{args.duration:g}s of load on {server.url} once all are in")  # fmt: skip
            kill = functools.partial(kill_half_way, server, args.duration, crash)
            run = run_locust(server, folder, "soak", clients=args.clients, user_class="Clerk",
                             seed=SEED, meanwhile=kill if args.kill else None,
                             seconds=args.duration, **prepared)  # fmt: skip
        run["started_at"] = run["started_at"] or time.time()
        print((folder / "locust-soak.log").read_text())  # locust's table of the requests
        checks = all_checks(args, run, crash, prepared, env)
        for name, ok, detail in checks:
            print(f"  [{'PASS' if ok else 'FAIL'}] {name}" + (f" — {detail}" if detail else ""))
        passed = all(ok for _, ok, _ in checks)
        print("\nALL CHECKS PASSED" if passed else f"\nSOAK FAILED; server log:\n{server.tail()}")
    finally:
        if passed:
            shutil.rmtree(folder, ignore_errors=True)
        else:
            print(f"Soak files kept in {folder}")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
