"""Would users feel the writers' file-lock queue and the WAL checkpoint thread? (issue #13, item 4)

A one-off measurement, kept so it can be repeated: 20 logged-in users against one waitress
process with production settings, each sending its next request after a random think time of
1-5 s. Each user does what a person at the desk does: mostly reads (dashboard, order list,
filtered list, order detail, history) and, one request in five, moves an order one step forward
the way the page does it (GET the order, POST the transition as htmx). Run it once with the code
that has the queue and the thread and once with the code that has not, each on a copy of the
same seeded database, and compare p95 per request kind:

    python -m bench.run --orders 10000 --only rebuild --no-readme --db /tmp/seed.sqlite3
    python -m bench.writer_queue --db /tmp/seed.sqlite3 --duration 120

The database is copied (with its WAL) before the run, so both runs start from the same rows.
The figures and the decision are in memory-bank/systemPatterns.md ("Writers").
"""

from __future__ import annotations

import argparse
import collections
import concurrent.futures
import json
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

READ_MIX = ("dashboard", "list", "list_filtered", "detail", "history")
TRANSITION_SHARE = 0.2


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, required=True, help="a database seeded by bench.run")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--duration", type=float, default=120.0, help="seconds of load")
    parser.add_argument("--think-min", type=float, default=1.0)
    parser.add_argument("--think-max", type=float, default=5.0)
    parser.add_argument("--threads", type=int, default=8, help="waitress threads")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--label", default="", help="a name for this run in the output")
    return parser.parse_args(argv)


def copy_database(source: Path, folder: Path) -> Path:
    target = folder / "load.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{source}{suffix}").exists():
            shutil.copyfile(f"{source}{suffix}", f"{target}{suffix}")
    return target


def main(argv=None) -> int:
    args = parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="writer-queue-"))
    db = copy_database(args.db, folder)
    from bench import run

    env = run.bench_environment(db)
    os.environ.update(env)
    import django

    django.setup()
    from accounts.demo import DEMO_PASSWORD
    from bench import load
    from bench.seed import load_companies_and_users

    companies, _ = load_companies_and_users()
    rng = random.Random(args.seed)
    data = run.page_data(db, companies, rng)
    tasks = run.page_tasks()
    server_args = argparse.Namespace(db=db, servers=1, threads=args.threads)

    def user(session, recorder, rng):
        time.sleep(rng.uniform(args.think_min, args.think_max))
        if rng.random() < TRANSITION_SHARE:
            tasks["transition"](session, recorder, rng)
        else:
            tasks[rng.choice(READ_MIX)](session, recorder, rng)

    try:
        with run.waitress_server(server_args, env) as (servers, ports):
            sessions = []
            for index in range(args.users):
                company = companies[index % len(companies)]
                share = [
                    c for c in range(args.users) if c % len(companies) == index % len(companies)
                ]
                own = data[company.pk]["open"][share.index(index) :: len(share)]
                session = load.Session("127.0.0.1", ports[0])
                session.data = {
                    "username": f"{company.slug}.manager",
                    "ids": data[company.pk]["ids"],
                    "pool": collections.deque(own[:500]),
                }
                sessions.append(session)
            with concurrent.futures.ThreadPoolExecutor(max_workers=len(sessions)) as pool:
                list(pool.map(lambda s: s.login(s.data["username"], DEMO_PASSWORD), sessions))
            recorder, usage = load.run_phase(
                sessions, user, duration=args.duration, server_pids=[servers[0].pid]
            )
            for session in sessions:
                session.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    names = [*READ_MIX, "transition_detail_get", "transition"]
    everything = load.Recorder()
    for name in names:
        everything.latencies["all"] = everything.latencies.get("all", []) + list(
            recorder.latencies.get(name, [])
        )
    everything.errors["all"] = sum(recorder.errors.values())
    summary = {
        "label": args.label,
        "users": args.users,
        "think_seconds": [args.think_min, args.think_max],
        **usage,
        "pages": {name: load.summarize(recorder, name, usage["wall_seconds"]) for name in names},
    }
    summary["pages"]["all"] = load.summarize(everything, "all", usage["wall_seconds"])
    print(json.dumps(summary, indent=1))
    print(
        f"{'request':<22}{'n':>6}{'err':>5}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}", file=sys.stderr
    )
    for name, figures in summary["pages"].items():
        print(
            f"{name:<22}{figures['requests']:>6}{figures['errors']:>5}"
            + "".join(f"{figures[key] or 0:>9.1f}" for key in ("p50_ms", "p95_ms", "max_ms")),
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
