"""`make bench`: seed a large dataset, then measure commands, rebuild, pages and storage.

    python -m bench.run [--companies 10] [--orders 100000] [--duration-per-page 20]
                        [--clients 20] [--db bench/data/bench.sqlite3] [--reuse] [--tiny]

Every figure is printed next to a reference measured in the same run on the same machine (a
bare-sqlite3 or minimal-Django equivalent), so a result reads as "how far from the floor" and
not only as an absolute that depends on the hardware. See bench/README.md for each figure.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import datetime as dt
import hashlib
import json
import os
import platform
import random
import re
import secrets
import shlex
import sqlite3
import subprocess
import sys
import threading
import time
import traceback
from pathlib import Path

from bench import pages as page_phases
from bench.database import BenchDatabase
from bench.database import reference_inserts as bare_inserts
from bench.database import reference_scan as bare_scan
from bench.database import storage as database_storage
from bench.pages import CARRIERS, FORWARD, PAGES, PHASES, REALISTIC_NAMES

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
DEFAULT_DB = BENCH / "data" / "bench.sqlite3"
DEFAULT_RESULTS = BENCH / "results"
README = BENCH / "README.md"
README_START, README_END = "<!-- bench:results:start -->", "<!-- bench:results:end -->"
SECTIONS = ("rebuild", "storage", "commands", "pages")

TARGETS = {
    "commands_per_s": 1000,
    "rebuild_events_per_s": 100_000,
    "rebuild_peak_mib": 300,
}
# Every figure a complete run reports (tests/test_bench.py checks that each is a number).
REQUIRED_FIGURES = (
    "dataset.companies",
    "dataset.orders",
    "dataset.events",
    "dataset.command_orders",
    "dataset.command_events",
    "dataset.fast_path_events_per_s",
    "dataset.fast_path_check.events_compared",
    "dataset.fast_path_check.differences",
    "dataset.verify.events_checked",
    "dataset.verify.events_per_s",
    "commands.transitions",
    "commands.per_s",
    "commands.p50_ms",
    "commands.p95_ms",
    "commands.p99_ms",
    "commands.errors",
    "commands.reference.insert_transactions_per_s",
    "commands.cpu_ms",
    "commands.witness.without.per_s",
    "commands.witness.without.cpu_ms",
    "commands.witness.cost_cpu_us",
    "commands.witness.cost_wall_us",
    "rebuild.events",
    "rebuild.seconds",
    "rebuild.events_per_s",
    "rebuild.peak_rss_mib",
    "rebuild.startup_rss_mib",
    "rebuild.peak_anon_mib",
    "rebuild.reference.scan_events_per_s",
    "storage.file_bytes",
    "storage.events",
    "storage.bytes_per_event",
    *(
        f"pages.current.realistic.pages.{name}.{figure}"
        for name in REALISTIC_NAMES
        for figure in ("requests", "errors", "p50_ms", "p95_ms", "p99_ms")
    ),
    *(
        f"pages.current.capacity.{key}.{figure}"
        for key, *_ in PAGES
        for figure in ("requests", "errors", "rps", "p50_ms", "p95_ms", "p99_ms")
    ),
    *(f"pages.current.capacity.{key}.rps_vs_minimal" for key, *_ in PAGES[1:]),
    *(f"pages.current.single.{key}.p50_ms" for key, *_ in PAGES),
)


# --- command line ----------------------------------------------------------------------------


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--companies", type=int, default=10)
    parser.add_argument(
        "--orders", type=int, default=100_000, help="orders in all (default 100,000)"
    )
    parser.add_argument(
        "--command-orders",
        type=int,
        default=300,
        help="of which seeded through orders.commands (the rest through the fast path)",
    )
    parser.add_argument("--notes-per-order", type=float, default=4.5)
    parser.add_argument("--days", type=int, default=90, help="orders are spread over N days")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--transitions", type=int, default=2000, help="commands to time")
    parser.add_argument(
        "--duration-per-page",
        type=float,
        default=20.0,
        help="capacity phase: seconds of no-think load per page (default 20)",
    )
    parser.add_argument(
        "--realistic-duration",
        type=float,
        default=300.0,
        help="realistic phase: seconds of load with think time, all pages mixed (default 300: "
        "about 250 requests of each page with 20 users)",
    )
    parser.add_argument("--think-min", type=float, default=1.0, help="think time, seconds")
    parser.add_argument("--think-max", type=float, default=5.0, help="think time, seconds")
    parser.add_argument(
        "--min-samples",
        type=int,
        default=100,
        help="the gate fails a page measured fewer times than this in the realistic phase",
    )
    parser.add_argument(
        "--gate-p95-ms", type=float, default=page_phases.GATE_P95_MS, help="the gate's p95 limit"
    )
    parser.add_argument(
        "--single-requests",
        type=int,
        default=200,
        help="single-thread phase: requests of each page, one at a time (default 200)",
    )
    parser.add_argument(
        "--page-phases",
        default=",".join(PHASES),
        help=f"comma-separated subset of: {', '.join(PHASES)} (default all)",
    )
    parser.add_argument(
        "--baseline-ref",
        default="",
        help="also measure the page phases on this git ref (before/after in the same run)",
    )
    parser.add_argument(
        "--baseline-db",
        choices=("auto", "copy", "seed"),
        default="auto",
        help="the baseline's database: a copy of this run's (same migrations), or seeded by "
        "the ref's own code with the same parameters and seed; auto picks copy when it can",
    )
    parser.add_argument(
        "--keep-baseline",
        action="store_true",
        help="keep the baseline's exported tree and database (bench/data/baseline-<commit>/)",
    )
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of untimed load first")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--threads", type=int, default=8, help="waitress threads")
    parser.add_argument(
        "--servers",
        type=int,
        default=1,
        help="waitress processes (clients are spread over them, as nginx would; one per core "
        "is the deployment deploy/README.md describes for more throughput)",
    )
    parser.add_argument(
        "--db",
        type=Path,
        default=DEFAULT_DB,
        help="the SQLite file (on PostgreSQL: the folder of --db keeps the logs and sidecar)",
    )
    parser.add_argument(
        "--database-url",
        default="",
        help="postgres://…: run on PostgreSQL, in a database <name>_bench created on that "
        "server for the run and dropped at the end (make bench DATABASE_URL=…)",
    )
    parser.add_argument(
        "--keep-db",
        action="store_true",
        help="PostgreSQL: keep the bench database after the run (for --reuse)",
    )
    parser.add_argument(
        "--reuse",
        "--skip-seed",
        dest="reuse",
        action="store_true",
        help="measure the database at --db as it is if it was seeded before (else seed it)",
    )
    parser.add_argument("--results-dir", type=Path, default=DEFAULT_RESULTS)
    parser.add_argument(
        "--only", default="", help=f"comma-separated subset of: {', '.join(SECTIONS)}"
    )
    parser.add_argument("--no-readme", action="store_true", help="do not refresh bench/README.md")
    parser.add_argument(
        "--print-env",
        action="store_true",
        help="print the bench environment as shell exports (for profiling by hand) and exit",
    )
    parser.add_argument(
        "--tiny",
        action="store_true",
        help="smoke-test preset: 2 companies, 400 orders, 4 clients, think 0.05-0.2 s, a few "
        "seconds per phase (make test)",
    )
    args = parser.parse_args(argv)
    if args.tiny:
        args.companies, args.orders, args.command_orders = 2, 400, 30
        args.transitions, args.duration_per_page, args.warmup, args.clients = 50, 1.0, 0.5, 4
        args.realistic_duration, args.think_min, args.think_max = 4.0, 0.05, 0.2
        args.min_samples, args.single_requests = 3, 5
        if args.db == DEFAULT_DB:  # never replace the full-size database with a tiny one
            args.db = DEFAULT_DB.with_name("bench-tiny.sqlite3")
    args.db = args.db.resolve()
    try:
        args.database = BenchDatabase.from_args(args.db, args.database_url)
    except ValueError as error:
        parser.error(str(error))
    if args.database.on_postgres and args.baseline_ref:
        parser.error(
            "--baseline-ref runs on SQLite only (the baseline gets a copy of the database); "
            "compare PostgreSQL figures across two runs instead"
        )
    args.results_dir = args.results_dir.resolve()
    args.sections = tuple(s for s in args.only.split(",") if s) or SECTIONS
    unknown = set(args.sections) - set(SECTIONS)
    if unknown:
        parser.error(f"--only: unknown section(s) {', '.join(sorted(unknown))}")
    args.page_phases = tuple(p for p in args.page_phases.split(",") if p)
    if set(args.page_phases) - set(PHASES):
        parser.error(f"--page-phases: one of {', '.join(PHASES)}")
    if not 0 <= args.think_min <= args.think_max:
        parser.error("--think-min must be >= 0 and <= --think-max")
    return args


def bench_environment(db: Path, database_url: str = "") -> dict[str, str]:
    """Production-like settings for this process and every server/child it starts: the SQLite
    file `db`, or the database at `database_url` (its folder still holds logs and statics)."""
    return {
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": database_url or f"sqlite:///{db}",
        "DEBUG": "False",
        "SECURE_SSL_REDIRECT": "False",
        "SESSION_COOKIE_SECURE": "False",
        "CSRF_COOKIE_SECURE": "False",
        "SENTRY_DSN": "",
        # The chain is an HMAC under this key, as in production (make puts a random one in
        # .env). Fixed here, not secret: benchmark data, and --reuse must verify across runs.
        "EVENT_LOG_KEY": "bench-event-log-key-not-a-secret",
        "BENCH_STATIC_ROOT": str(db.parent / "staticfiles"),
    }


_started = time.perf_counter()


def log(message: str) -> None:
    print(f"[{time.perf_counter() - _started:7.1f}s] {message}", file=sys.stderr, flush=True)


# --- dataset -----------------------------------------------------------------------------------


def prepare_dataset(args) -> dict:
    """Seed (or reuse) the database; check the fast path against the commands; verify the log."""
    from django.db import connections

    from bench import seed as seeding
    from events import witness
    from events.models import Event

    database = args.database
    reused = args.reuse and database.sidecar.exists() and database.exists()
    if reused:
        info = json.loads(database.sidecar.read_text())
        log(f"dataset: reusing {database.label} (seeded {info['seeded_at']})")
        migrate_if_needed()
        asked = {k: getattr(args, k) for k in ("companies", "orders", "seed")}
        if any(info["params"].get(k) != v for k, v in asked.items()):
            log(f"dataset: note: seeded with {info['params']}, not {asked}; measuring it as is")
    else:
        database.create_empty()
        log(f"dataset: seeding {database.label}")
        result = seeding.seed(
            companies=args.companies,
            orders=args.orders,
            command_orders=args.command_orders,
            days=args.days,
            notes_per_order=args.notes_per_order,
            seed=args.seed,
            log=log,
        )
        now = dt.datetime.fromisoformat(result.now)
        companies, users = seeding.load_companies_and_users()
        check = seeding.compare_with_commands(
            companies=companies,
            users=users,
            specs=seeding.order_specs(
                result.command_orders,
                args.companies,
                now=now,
                days=args.days,
                seed=args.seed,
                label="commands",
            ),
            now=now,
            notes_per_order=args.notes_per_order,
        )
        log(
            f"dataset: fast path vs commands: {check['events_compared']:,} events compared, "
            f"{check['differences']} difference(s)"
        )
        info = {
            "seeded_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "params": {
                k: getattr(args, k)
                for k in (
                    "companies",
                    "orders",
                    "command_orders",
                    "notes_per_order",
                    "days",
                    "seed",
                )
            },
            "now": result.now,  # the plans' cut-off: a baseline seeded alike uses it too
            "seed": {
                "seconds": round(result.seconds, 1),
                "command_events": result.command_events,
                "command_orders": result.command_orders,
                "command_events_per_s": round(result.command_events_per_s, 1),
                "fast_path_events": result.fast_events,
                "fast_path_seconds": round(result.fast_seconds, 1),
                "fast_path_events_per_s": round(result.fast_events_per_s, 1),
            },
            "fast_path_check": check,
        }
        database.sidecar.write_text(json.dumps(info, indent=2))
    dataset = {
        "db": database.label,
        "vendor": database.vendor,
        "seeded_at": info["seeded_at"],
        "params": info["params"],
        "companies": info["params"]["companies"],
        "orders": Event.objects.filter(event_type="OrderPlaced").count(),
        "events": Event.objects.count(),
        "command_orders": info["seed"]["command_orders"],
        "command_events": info["seed"]["command_events"],
        "seed_seconds": info["seed"]["seconds"],
        "command_seed_events_per_s": info["seed"]["command_events_per_s"],
        "fast_path_events": info["seed"]["fast_path_events"],
        "fast_path_events_per_s": info["seed"]["fast_path_events_per_s"],
        "fast_path_check": info["fast_path_check"],
    }
    witness.create_location()  # `migrate` makes it; a database copied in may lack it
    if reused and args.sections != SECTIONS:
        # A partial re-run of a database an earlier run verified: skip the minutes it takes.
        dataset["verify"] = {"skipped": "--reuse with --only"}
    else:
        dataset["verify"] = verify()
    connections.close_all()
    return dataset


def migrate_if_needed() -> None:
    """Bring a reused database up to the code's migrations (the schema may have moved on)."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if pending:
        names = ", ".join(f"{m.app_label}.{m.name}" for m, _ in pending)
        log(f"dataset: applying {len(pending)} pending migration(s): {names}")
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)


def verify() -> dict:
    from events.verification import verify_log

    log("dataset: verifying the hash chain (verify_log)")
    result = verify_log()
    log(f"dataset: {result.summary}")
    return {
        "ok": result.ok,
        "events_checked": result.events_checked,
        "seconds": round(result.seconds, 2),
        "events_per_s": round(result.events_checked / result.seconds, 1) if result.seconds else 0,
        "summary": result.summary,
    }


# --- rebuild -----------------------------------------------------------------------------------


# Runs the measured command as its child and reports that child's rusage. Why a middleman:
# Linux copies the parent's high-water RSS into a child's ru_maxrss when the child execs
# (subprocess uses vfork), so a child of this process, which may hold a gigabyte after seeding,
# would report at least that much whatever it really used. The middleman is a bare Python of a
# few MiB, so what it reports is the child's own peak. It writes the child's pid first, for
# the /proc sampler.
_MEASURE = """
import json, os, subprocess, sys
report = sys.argv[1]
child = subprocess.Popen(sys.argv[2:])
with open(report + ".pid", "w") as f:
    f.write(str(child.pid))
_, status, usage = os.wait4(child.pid, 0)
with open(report, "w") as f:
    json.dump({"code": os.waitstatus_to_exitcode(status), "maxrss_kib": usage.ru_maxrss,
               "cpu": usage.ru_utime + usage.ru_stime}, f)
"""


def run_measured(command: list[str], env: dict, output: Path) -> dict:
    """Run a command; return its exit code, wall time, peak memory (MiB), CPU use and output.

    `peak_mib` is the command's own ru_maxrss (through the `_MEASURE` middleman); `peak_hwm_mib`
    its VmHWM and the anonymous/file-backed split, sampled from /proc while it runs.
    """
    from bench.load import machine_cpu_seconds

    report = output.with_suffix(".rusage.json")
    for leftover in (report, Path(f"{report}.pid")):
        leftover.unlink(missing_ok=True)
    started, machine_before = time.perf_counter(), machine_cpu_seconds()
    with output.open("w") as sink:
        process = subprocess.Popen(
            [sys.executable, "-c", _MEASURE, str(report), *command],
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
        sampler = MemorySampler(Path(f"{report}.pid"))
        sampler.start()
        process.wait()
        sampler.stop()
    wall = time.perf_counter() - started
    usage = json.loads(report.read_text()) if report.exists() else {}
    cpu = usage.get("cpu", 0.0)
    return {
        "code": usage.get("code", process.returncode),
        "wall": wall,
        "peak_mib": usage.get("maxrss_kib", 0) / 1024,  # ru_maxrss is in KiB on Linux
        "peak_hwm_mib": sampler.peak_kib["VmHWM"] / 1024,
        "peak_anon_mib": sampler.peak_kib["RssAnon"] / 1024,
        "peak_file_mib": sampler.peak_kib["RssFile"] / 1024,
        "memory_timeline": sampler.timeline,
        "cpu_cores": cpu / wall,
        "other_cpu_cores": max(0.0, (machine_cpu_seconds() - machine_before - cpu) / wall),
        "output": output.read_text(),
    }


class MemorySampler(threading.Thread):
    """Peak VmHWM, and peak anonymous vs file-backed resident memory, polled from /proc.

    ru_maxrss counts every resident page, including pages of the database file mapped by
    SQLite's mmap (PRAGMA mmap_size): those are page cache the kernel can drop, not memory the
    process allocated. The split says which part of a peak is which.
    """

    def __init__(self, pid_file: Path, interval: float = 0.2):
        super().__init__(daemon=True)
        self.pid_file, self.interval, self.pid = pid_file, interval, None
        self.peak_kib = {"VmHWM": 0, "RssAnon": 0, "RssFile": 0}
        self.timeline: list[tuple[float, int, int]] = []  # (seconds, RssAnon, RssFile) KiB
        self.done = threading.Event()

    def run(self) -> None:
        started, next_mark = time.perf_counter(), 0.0
        while not self.done.is_set():
            with contextlib.suppress(OSError, ValueError, IndexError):
                self.pid = self.pid or int(self.pid_file.read_text())
                current = {}
                with open(f"/proc/{self.pid}/status") as status:
                    for line in status:
                        key, _, value = line.partition(":")
                        if key in self.peak_kib:
                            current[key] = int(value.split()[0])
                            self.peak_kib[key] = max(self.peak_kib[key], current[key])
                elapsed = time.perf_counter() - started
                if elapsed >= next_mark and current:
                    self.timeline.append(
                        (round(elapsed, 1), current["RssAnon"], current["RssFile"])
                    )
                    next_mark = elapsed + 5.0
            self.done.wait(self.interval)

    def stop(self) -> None:
        self.done.set()
        self.join()


def measure_rebuild(args, env) -> dict:
    """`manage.py rebuild_projections` in a child process: events/s and peak memory."""
    log("rebuild: rebuild_projections over the whole log (child process)")
    scratch = args.db.parent
    startup = run_measured([sys.executable, "manage.py", "check"], env, scratch / "startup.log")
    if startup["code"] != 0:
        raise RuntimeError(f"manage.py check failed:\n{startup['output'][-2000:]}")
    child = run_measured(
        [sys.executable, "manage.py", "rebuild_projections"], env, scratch / "rebuild.log"
    )
    text = child["output"]
    if child["code"] != 0:
        raise RuntimeError(f"rebuild_projections failed:\n{text[-2000:]}")
    match = re.search(r"([\d,]+) events in ([\d.]+)s \(([\d,]+) events/s\)", text)
    if match is None:
        raise RuntimeError(f"unexpected rebuild_projections output:\n{text[-2000:]}")
    events, seconds = int(match[1].replace(",", "")), float(match[2])
    log(
        f"rebuild: {events:,} events in {seconds:.1f}s, peak RSS {child['peak_mib']:.0f} MiB "
        f"(other processes meanwhile: {child['other_cpu_cores']:.2f} cores)"
    )
    reference = bare_scan(args.database)
    log(f"rebuild: reference scan {reference['scan_events_per_s']:,.0f} events/s")
    return {
        "events": events,
        "seconds": seconds,
        "events_per_s": round(events / seconds, 1) if seconds else 0.0,
        "process_wall_seconds": round(child["wall"], 2),
        "peak_rss_mib": round(child["peak_mib"], 1),
        "peak_hwm_mib": round(child["peak_hwm_mib"], 1),
        "peak_anon_mib": round(child["peak_anon_mib"], 1),
        "peak_file_backed_mib": round(child["peak_file_mib"], 1),
        "startup_rss_mib": round(startup["peak_mib"], 1),
        "cpu_cores": round(child["cpu_cores"], 2),
        "other_cpu_cores": round(child["other_cpu_cores"], 2),
        "reference": reference,
        # Every ~5 s: [seconds, anonymous KiB, file-backed KiB] (where in the run the peak is).
        "memory_timeline": child["memory_timeline"],
    }


# --- storage -----------------------------------------------------------------------------------


def measure_storage(args) -> dict:
    """Bytes per event: the database (SQLite: file + WAL after a checkpoint; PostgreSQL:
    `pg_database_size`), and per table and index (`dbstat`; `pg_total_relation_size`)."""
    result = database_storage(args.database)
    log(f"storage: {result['file_bytes'] / 1e6:,.1f} MB, {result['bytes_per_event']:,.0f} B/event")
    return result


# --- commands ----------------------------------------------------------------------------------


def measure_commands(args) -> dict:
    """Transitions/s through orders.commands in this process, one transaction each, with the
    witness as configured (`events.witness`: a checkpoint written after each commit) and, in
    the same run, without it: `--transitions` of each, in alternating blocks (on, off, off,
    on, ...) so that drift (the log growing, the machine's other work) falls on both alike.
    The headline figures are the witnessed ones (what the product does); `witness` holds both
    and the difference per transition, in CPU time of this process (the witness thread
    included) and in wall time."""
    from django.db import connections

    from accounts.models import User
    from bench.load import machine_cpu_seconds, percentile
    from orders import commands
    from orders.models import Order

    rng = random.Random(args.seed)
    candidates = list(
        Order.objects.filter(state__in=FORWARD).values_list("id", "company_id", "state", "version")
    )
    rng.shuffle(candidates)
    managers = {
        user.company_id: user
        for user in User.objects.filter(username__endswith=".manager").select_related("company")
    }
    queue = collections.deque(candidates)
    warmup = min(20, len(queue))
    block = max(1, min(100, args.transitions // 10))
    modes = {mode: _CommandTimes() for mode in ("with", "without")}
    errors: collections.Counter = collections.Counter()
    log(
        f"commands: {args.transitions:,} transitions with the witness and {args.transitions:,} "
        f"without, in blocks of {block}, over {len(candidates):,} open orders"
    )

    def run(count: int, times: _CommandTimes | None) -> int:
        done = 0
        while queue and done < count:
            order_id, company_id, state, version = queue.popleft()
            name = FORWARD[state]
            data = {}
            if name == "ship":
                data = {
                    "carrier": rng.choice(CARRIERS),
                    "tracking_number": f"TRK{rng.randrange(10**9, 10**10)}",
                }
            t0 = time.perf_counter()
            try:
                order = commands.transition(
                    order_id, name, actor=managers[company_id], expected_version=version, **data
                )
            except Exception as error:  # counted and reported, not hidden
                errors[type(error).__name__] += 1
                order = None
            if times is not None:
                times.latencies.append(time.perf_counter() - t0)
            done += 1
            if order is not None and order.state in FORWARD:
                queue.append((order.id, company_id, order.state, order.version))
        return done

    run(warmup, None)
    started, machine_before = time.perf_counter(), machine_cpu_seconds()
    own_before = time.process_time()
    index = 0
    while any(len(m.latencies) < args.transitions for m in modes.values()):
        mode = "with" if index % 4 in (0, 3) else "without"
        index += 1
        times = modes[mode]
        count = min(block, args.transitions - len(times.latencies))
        if count <= 0:
            continue
        cpu0, wall0 = time.process_time(), time.perf_counter()
        with witness_switched(on=mode == "with"):
            done = run(count, times)
        times.cpu += time.process_time() - cpu0
        times.wall += time.perf_counter() - wall0
        if done < count:
            # Each --reuse run moves orders along; after enough of them every order is final.
            raise SystemExit(
                "commands: the benchmark database has run out of open orders "
                f"({sum(len(m.latencies) for m in modes.values()):,} transitions timed). "
                "Re-seed it (drop --reuse)."
            )
    seconds = time.perf_counter() - started
    own_cpu = time.process_time() - own_before
    other = (machine_cpu_seconds() - machine_before - own_cpu) / seconds if seconds else 0.0
    connections.close_all()
    witnessed, bare = modes["with"].summary(percentile), modes["without"].summary(percentile)
    result = {
        **witnessed,
        "errors": sum(errors.values()),
        "error_types": dict(errors),
        "cpu_cores": round(own_cpu / seconds, 2) if seconds else 0.0,
        "other_cpu_cores": round(max(0.0, other), 2),
        "witness": {
            "with": witnessed,
            "without": bare,
            "block": block,
            "cost_cpu_us": round(1000 * (witnessed["cpu_ms"] - bare["cpu_ms"]), 1),
            "cost_wall_us": round(1000 * (witnessed["wall_ms"] - bare["wall_ms"]), 1),
            "timeout_seconds": _witness_timeout(),
        },
    }
    log(
        f"commands: {result['per_s']:,.0f} transitions/s (p95 {result['p95_ms']} ms, "
        f"{witnessed['cpu_ms']} ms CPU each); without the witness {bare['per_s']:,.0f}/s "
        f"({bare['cpu_ms']} ms CPU): the witness costs {result['witness']['cost_cpu_us']} µs "
        "CPU per transition"
    )
    result["reference"] = bare_inserts(args.database, count=max(witnessed["transitions"], 2000))
    log(
        "commands: reference "
        f"{result['reference']['insert_transactions_per_s']:,.0f} INSERT transactions/s"
    )
    return result


class _CommandTimes:
    """Latencies (s) and the summed CPU and wall seconds of one mode's blocks."""

    def __init__(self):
        self.latencies: list[float] = []
        self.cpu = self.wall = 0.0

    def summary(self, percentile) -> dict:
        values, count = sorted(self.latencies), len(self.latencies)
        return {
            "transitions": count,
            "seconds": round(self.wall, 2),
            "per_s": round(count / self.wall, 1) if self.wall else 0.0,
            "p50_ms": round(1000 * percentile(values, 0.5), 2),
            "p95_ms": round(1000 * percentile(values, 0.95), 2),
            "p99_ms": round(1000 * percentile(values, 0.99), 2),
            # CPU time of this process per transition (the witness thread's included).
            "cpu_ms": round(1000 * self.cpu / count, 3) if count else 0.0,
            "wall_ms": round(1000 * self.wall / count, 3) if count else 0.0,
        }


@contextlib.contextmanager
def witness_switched(*, on: bool):
    """With `on=False`, appends register no checkpoint (`events.witness.witness_on_commit`
    replaced for the block): the commands without the witness, for its cost."""
    from events import witness

    shipped = witness.witness_on_commit
    if not on:
        witness.witness_on_commit = lambda *args, **kwargs: None
    try:
        yield
    finally:
        witness.witness_on_commit = shipped


def _witness_timeout() -> float:
    from django.conf import settings

    return settings.WITNESS_TIMEOUT_SECONDS


# --- pages -------------------------------------------------------------------------------------


def measure_pages(args, env) -> dict:
    """The page phases (bench/pages.py): single-thread, realistic load (gated), capacity."""
    return page_phases.measure_pages(args, env, log=log)


# --- report ------------------------------------------------------------------------------------


def machine(database: BenchDatabase) -> dict:
    cpu = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    ram = 0
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram = int(line.split()[1]) * 1024
    import django

    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu_model": cpu,
        "ram_gib": round(ram / 2**30, 1),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "django": django.get_version(),
        "platform": platform.platform(),
        "filesystem": filesystem_of(database.folder),
        "database": database.vendor,
        "database_version": database.server_version(),
        # PostgreSQL: fsync, synchronous_commit, … (what a commit waits for).
        "database_settings": database.server_settings(),
    }


def filesystem_of(path: Path) -> str:
    """The file system type holding `path` (from /proc/mounts), e.g. ext4 or overlay."""
    best, kind = "", ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/mounts").read_text().splitlines():
            _, mount, fstype, *_ = line.split()
            if str(path.resolve()).startswith(mount) and len(mount) > len(best):
                best, kind = mount, fstype
    return kind


def code_state() -> dict:
    """Which code was measured: HEAD and the files changed in the working tree (read-only git)."""

    def git(*words: str) -> str:
        try:
            return subprocess.run(
                ["git", *words], cwd=ROOT, capture_output=True, text=True, timeout=30
            ).stdout
        except (OSError, subprocess.SubprocessError):
            return ""

    diff = git("diff", "HEAD", "--", ".", ":(exclude)bench", ":(exclude)tests")
    return {
        "head": git("rev-parse", "--short", "HEAD").strip(),
        "subject": git("log", "-1", "--format=%s").strip(),
        "changed_files": [  # the benchmark's own outputs are not code
            path
            for line in git("status", "--porcelain").splitlines()
            if line[:2] != "??"
            and not (path := line[3:]).startswith(("bench/results/", "bench/README.md"))
        ],
        "diff_sha1": hashlib.sha1(diff.encode()).hexdigest()[:12],
    }


def figure(results: dict, dotted: str):
    value = results
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def missing_figures(results: dict) -> list[str]:
    """The required figures that are not numbers (a bool is no figure, though an int)."""
    return [
        name
        for name in REQUIRED_FIGURES
        if not isinstance(value := figure(results, name), (int, float)) or isinstance(value, bool)
    ]


def evaluate_targets(results: dict) -> list[dict]:
    """Each target: the measured value, the limit and whether it was met."""
    checks = []
    commands, rebuild, pages = (results.get(k) or {} for k in ("commands", "rebuild", "pages"))
    if "per_s" in commands:
        checks.append(
            _check("commands: transitions/s", commands["per_s"], ">=", TARGETS["commands_per_s"])
        )
    if "events_per_s" in rebuild:
        checks.append(
            _check(
                "rebuild: events/s", rebuild["events_per_s"], ">=", TARGETS["rebuild_events_per_s"]
            )
        )
        checks.append(
            _check(
                "rebuild: peak RSS MiB", rebuild["peak_rss_mib"], "<=", TARGETS["rebuild_peak_mib"]
            )
        )
    single = (pages.get("current") or {}).get("single")
    if single:
        checks += page_phases.single_checks(single)
    return checks


def _check(name: str, value, op: str, limit) -> dict:
    met = value is not None and (value >= limit if op == ">=" else value <= limit)
    return {"target": name, "value": value, "op": op, "limit": limit, "met": bool(met)}


def _n(value, digits: int = 0) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def render_table(results: dict) -> str:
    """One Markdown table with every figure, its same-run reference and its target."""
    m, d = results["machine"], results.get("dataset") or {}
    checks = {c["target"]: c for c in results.get("targets", [])}

    def verdict(name: str) -> str:
        check = checks.get(name)
        return "-" if check is None else ("met" if check["met"] else "**missed**")

    rows = []
    if "events" in d:
        compared = d.get("fast_path_check", {})
        same = compared.get("differences") == 0
        checked = d.get("verify", {})
        rows.append(
            (
                "seed",
                "fast path (bulk insert)",
                f"{_n(d['fast_path_events_per_s'])} events/s ({_n(d['fast_path_events'])} events)",
                f"orders.commands while seeding: {_n(d['command_seed_events_per_s'])} events/s "
                f"({_n(d['command_events'])} events)",
                f"same events as the commands ({_n(compared.get('events_compared'))} compared)",
                "met" if same else "**missed**",
            )
        )
        if "skipped" in checked:
            verified = (f"not run ({checked['skipped']})", "-")
        elif checked.get("ok"):
            verified = (f"OK, {_n(checked.get('events_per_s'))} events/s", "met")
        else:
            verified = ("**BROKEN**", "**missed**")
        rows.append(
            (
                "seed",
                "verify_log over the whole log",
                verified[0],
                "-",
                "the chain verifies",
                verified[1],
            )
        )
    driver = "psycopg" if m.get("database") == "postgresql" else "sqlite3"
    c = results.get("commands") or {}
    if "per_s" in c:
        rows.append(
            (
                "commands",
                "transitions/s, one process (witness on)",
                f"**{_n(c['per_s'])}/s** (p50 {c['p50_ms']} / p95 {c['p95_ms']} / "
                f"p99 {c['p99_ms']} ms, {c.get('cpu_ms', '-')} ms CPU each, "
                f"{c['errors']} errors, n={c['transitions']:,})",
                f"bare {driver} INSERT transactions: "
                f"{_n(c['reference']['insert_transactions_per_s'])}/s",
                f">= {TARGETS['commands_per_s']:,}/s",
                verdict("commands: transitions/s"),
            )
        )
    w = c.get("witness") or {}
    if w:
        off = w["without"]
        rows.append(
            (
                "commands",
                "witness cost per transition (same run, alternating blocks)",
                f"**{w['cost_cpu_us']:+,.0f} µs CPU**, {w['cost_wall_us']:+,.0f} µs wall "
                f"(WITNESS_TIMEOUT_SECONDS={w['timeout_seconds']}: written by the "
                f"{'witness thread' if w['timeout_seconds'] > 0 else 'committing thread'})",
                f"without the witness: {_n(off['per_s'])}/s, {off['cpu_ms']} ms CPU each "
                f"(p50 {off['p50_ms']} / p95 {off['p95_ms']} ms, n={off['transitions']:,})",
                "-",
                "-",
            )
        )
    r = results.get("rebuild") or {}
    if "events_per_s" in r:
        rows.append(
            (
                "rebuild",
                "rebuild_projections",
                f"**{_n(r['events_per_s'])} events/s** ({_n(r['events'])} events in "
                f"{r['seconds']:.1f} s)",
                f"bare {driver} scan + json.loads: "
                f"{_n(r['reference']['scan_events_per_s'])} events/s",
                f">= {TARGETS['rebuild_events_per_s']:,}/s",
                verdict("rebuild: events/s"),
            )
        )
        rows.append(
            (
                "rebuild",
                "peak memory (ru_maxrss)",
                f"**{_n(r['peak_rss_mib'])} MiB** (peak anonymous {_n(r['peak_anon_mib'])} MiB, "
                f"file-backed{' incl. SQLite mmap' if driver == 'sqlite3' else ''} "
                f"{_n(r['peak_file_backed_mib'])} MiB)",
                f"Django start-up alone: {_n(r['startup_rss_mib'])} MiB",
                f"<= {TARGETS['rebuild_peak_mib']} MiB",
                verdict("rebuild: peak RSS MiB"),
            )
        )
    pages = results.get("pages") or {}
    st = results.get("storage") or {}
    if "bytes_per_event" in st:
        split = "-"
        if st.get("event_table_bytes_per_event") is not None:
            split = (
                f"events_event rows {_n(st['event_table_bytes_per_event'])} B + its indexes "
                f"{_n(st['event_index_bytes_per_event'])} B per event"
            )
        rows.append(
            (
                "storage",
                "bytes per event (pg_database_size / events)"
                if driver == "psycopg"
                else "bytes per event (file incl. WAL after checkpoint / events)",
                f"**{_n(st['bytes_per_event'])} B** ({st['file_bytes'] / 1e6:,.0f} MB / "
                f"{_n(st['events'])} events)"
                + (
                    ""
                    if driver == "psycopg"
                    else "; in use "
                    f"{_n(round((st['file_bytes'] - st.get('free_bytes', 0)) / st['events']))} B "
                    f"({st.get('free_bytes', 0) / 1e6:,.0f} MB are free pages, reused by new "
                    "rows or returned by VACUUM)"
                ),
                split,
                "-",
                "-",
            )
        )
    code, end = results.get("code") or {}, results.get("code_at_end") or {}
    changed = ""
    if end and end != code:
        changed = (
            f" (code changed during the run, to `{end.get('head', '?')}`: sections started "
            "after the change measured the later code)"
        )
    header = (
        f"Run {results['started_at']} on `{code.get('head', '?')}`"
        f"{' + uncommitted changes' if code.get('changed_files') else ''}{changed}: "
        f"{d.get('companies', '?')} companies, "
        f"{_n(d.get('orders'))} orders, {_n(d.get('events'))} events. Machine: "
        f"{m['nproc']} CPUs ({m['cpu_model']}), {m['ram_gib']} GiB RAM, Python {m['python']}, "
        f"{_database_words(m)}, Django {m['django']}, {m['filesystem'] or '?'} file system."
    )
    background = [
        f"{name} {value:.2f}"
        for name, value in (
            ("commands", c.get("other_cpu_cores")),
            ("rebuild", r.get("other_cpu_cores")),
            ("pages (mean of the phases)", _mean_other_cpu(pages)),
        )
        if value is not None
    ]
    setup = pages.get("setup") or {}
    if setup:
        header += (
            f" Pages: {setup.get('waitress_processes', 1)} waitress process(es), "
            f"{setup.get('waitress_threads', '?')} threads, {setup.get('clients', '?')} clients."
        )
        ref = pages.get("baseline_ref")
        if ref:
            data = (
                "a copy of the same database"
                if ref["database"] == "copy"
                else "a database seeded by its own code with the same parameters and seed"
            )
            header += (
                f" Before = `{ref['commit'][:9]}` ({ref['subject']}), served from its own "
                f"process on {data}."
            )
    if background:
        header += (
            " CPU cores used by other processes on the machine meanwhile: "
            f"{', '.join(background)} (of {m['nproc']})."
        )
    table = (
        [
            "| area | figure | result | reference (same run) | target | met? |",
            "|---|---|---|---|---|---|",
            *("| " + " | ".join(row) + " |" for row in rows),
            "",
        ]
        if rows
        else []
    )
    return "\n".join([header, "", *table, page_phases.render(pages)]).rstrip()


def _database_words(m: dict) -> str:
    if m.get("database") != "postgresql":
        return f"SQLite {m['sqlite']}"
    settings = ", ".join(f"{k}={v}" for k, v in (m.get("database_settings") or {}).items())
    return f"PostgreSQL {m.get('database_version', '?')} ({settings})"


def _mean_other_cpu(pages: dict) -> float | None:
    current = pages.get("current") or {}
    values = [p["other_cpu_cores"] for p in (current.get("capacity") or {}).values()]
    if current.get("realistic"):
        values.append(current["realistic"]["other_cpu_cores"])
    return sum(values) / len(values) if values else None


def write_results(args, results: dict, table: str) -> Path:
    args.results_dir.mkdir(parents=True, exist_ok=True)
    stamp = results["started_at"].replace(":", "").replace("-", "")
    full_run = args.sections == SECTIONS
    vendor = "-postgresql" if args.database.on_postgres else ""
    suffix = (
        vendor
        + ("-tiny" if args.tiny else "")
        + ("" if full_run else "-only-" + "+".join(args.sections))
    )
    path = args.results_dir / f"{stamp}{suffix}.json"
    latest = f"latest{vendor}{'-tiny' if args.tiny else ''}{'' if full_run else '-partial'}.json"
    text = json.dumps(results, indent=2, default=str)
    for target in (path, args.results_dir / latest):
        temporary = target.with_suffix(".tmp")
        temporary.write_text(text)
        os.replace(temporary, target)
    if (  # the SQLite table; `python -m bench.both` puts PostgreSQL's beside it
        full_run
        and not args.database.on_postgres
        and not args.tiny
        and not args.no_readme
        and args.results_dir == DEFAULT_RESULTS.resolve()
    ):
        refresh_readme(table)
    return path


def refresh_readme(table: str) -> None:
    if not README.exists():
        return
    text = README.read_text()
    if README_START not in text or README_END not in text:
        log("README: result markers not found; table not written")
        return
    head, rest = text.split(README_START, 1)
    _, tail = rest.split(README_END, 1)
    README.write_text(f"{head}{README_START}\n{table}\n{README_END}{tail}")


# --- main --------------------------------------------------------------------------------------


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.print_env:
        for name, value in bench_environment(args.db, args.database.url).items():
            print(f"export {name}={shlex.quote(value)}")
        return 0
    env = {**os.environ, **bench_environment(args.db, args.database.url)}
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    results: dict = {
        "started_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "machine": machine(args.database),
        "code": code_state(),
        "targets_spec": TARGETS,
    }
    failures = []
    steps = [("dataset", lambda: prepare_dataset(args))]
    steps += [
        (name, fn)
        for name, fn in (
            ("rebuild", lambda: measure_rebuild(args, env)),
            ("storage", lambda: measure_storage(args)),
            ("commands", lambda: measure_commands(args)),
            ("pages", lambda: measure_pages(args, env)),
        )
        if name in args.sections
    ]
    for name, step in steps:
        try:
            results[name] = step()
        except Exception:  # one broken section must not hide the others
            failures.append(name)
            results[name] = {"error": traceback.format_exc()}
            log(f"{name}: FAILED\n{results[name]['error']}")
            if name == "dataset":
                break
    if (results.get("pages") or {}).get("baseline_error"):
        failures.append("pages (baseline)")
    if args.database.on_postgres and not args.keep_db:
        log(f"dropping the {args.database.label} (--keep-db keeps it)")
        args.database.remove()
    results["code_at_end"] = code_state()
    if results["code_at_end"] != results["code"]:
        log("note: the application code changed while this run was measuring (see code_at_end)")
    results["targets"] = evaluate_targets(results)
    results["gate"] = gate_of(results)
    complete = args.sections == SECTIONS and args.page_phases == PHASES
    results["missing_figures"] = missing_figures(results) if complete else []
    results["seconds"] = round(time.perf_counter() - _started, 1)
    table = render_table(results)
    path = write_results(args, results, table)
    print(table)
    print(f"\nJSON: {path}")
    return exit_code(results, failures)


GATE_MISSED = 3  # the exit code of a run whose realistic-load gate failed


def gate_of(results: dict) -> dict:
    """The realistic-load gate of this tree's code (`pages.current.realistic.gate`), or
    `passed: None` when the realistic phase did not run."""
    pages = results.get("pages") or {}
    realistic = (pages.get("current") or {}).get("realistic")
    if not realistic:
        return {"passed": None, "measured": False}
    processes = (pages.get("setup") or {}).get("waitress_processes")
    return {
        "measured": True,
        "waitress_processes": processes,
        # Cores other processes used meanwhile: above ~0.5 the latencies include waiting for
        # a core, and the verdict says more about the machine than the code.
        "other_cpu_cores": realistic.get("other_cpu_cores"),
        "machine_busy": realistic.get("other_cpu_cores", 0) > page_phases.BUSY_CORES,
        **realistic["gate"],
    }


def exit_code(results: dict, failures: list[str]) -> int:
    """1: a section failed or a figure is missing; 3: the gate was measured and missed; else 0."""
    if failures or results["missing_figures"]:
        print(f"FAILED sections: {failures}; missing figures: {results['missing_figures']}")
        return 1
    if results["gate"]["passed"] is False:
        missed = [n for n, v in results["gate"]["pages"].items() if not v["met"]]
        print(f"GATE MISSED (realistic load): {', '.join(missed)}")
        if results["gate"].get("machine_busy"):
            print(
                f"(other processes used {results['gate']['other_cpu_cores']} CPU cores "
                "meanwhile: re-run on a quiet machine before blaming the code)"
            )
        return GATE_MISSED
    if results["gate"]["passed"]:
        print("GATE PASSED (realistic load: every page p95 within the limit, no errors)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
