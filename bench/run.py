"""`make bench`: seed, then measure each figure beside a same-run reference (bench/README.md)."""

import argparse
import datetime as dt
import json
import os
import platform
import re
import subprocess
import sys
import time
import traceback
from pathlib import Path

import django

from bench.database import BenchDatabase, reference_scan, storage
from bench.server import ROOT, bench_environment, machine_cpu_seconds

DEFAULT_DB = ROOT / "bench" / "data" / "bench.sqlite3"
SECTIONS = ("rebuild", "storage", "commands", "pages")
PHASES = ("single", "realistic", "capacity")  # of the pages (bench/pages.py)
GATE_MISSED = 3  # the exit code of a run whose realistic-load gate failed
POSITIVE = ("orders", "rounds", "cycles", "realistic_duration", "mail_rate")  # 0 measures nothing


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    add = parser.add_argument
    add("--orders", type=int, default=100_000, help="orders in all (~10 events each)")
    add("--rounds", type=int, default=3, help="commands: alternating rounds of every variant")
    add("--cycles", type=int, default=300, help="commands: orders (6 commands) per variant, round")
    add("--realistic-duration", type=float, default=300.0, help="seconds of the gated phase")
    add("--mail-rate", type=float, default=1.0, help="realistic: submits mailed per second")
    add("--page-phases", default=",".join(PHASES), help=f"subset of {','.join(PHASES)}")
    add("--db", type=Path, default=DEFAULT_DB, help="the SQLite file (PostgreSQL: its folder)")
    add("--database-url", default="", help="postgres://…: run in <name>_bench on that server")
    add("--keep-db", action="store_true", help="PostgreSQL: keep <name>_bench (for --reuse)")
    add("--reuse", action="store_true", help="measure the database at --db again if seeded")
    add("--results-dir", type=Path, default=ROOT / "bench" / "results")
    add("--only", default="", help=f"subset of {','.join(SECTIONS)}")
    add("--tiny", action="store_true", help="the seconds-long preset make test runs")
    # The seed: companies, orders through orders.commands; pages: users, think time (s),
    # requests per page single-threaded, seconds per page at capacity.
    parser.set_defaults(companies=10, command_orders=300, seed=2026, clients=20, think_min=1.0,
                        think_max=5.0, single_requests=200, duration_per_page=20.0)  # fmt: skip
    args = parser.parse_args(argv)
    if args.tiny:  # the preset under the options given (parsed again over it); its own file
        parser.set_defaults(companies=2, orders=400, command_orders=30, cycles=6, clients=4,
            realistic_duration=4.0, think_min=0.05, think_max=0.2, single_requests=5,
            duration_per_page=0.5, db=DEFAULT_DB.with_name("bench-tiny.sqlite3"))  # fmt: skip
        args = parser.parse_args(argv)
    args.min_samples = 3 if args.tiny else 100  # the gate fails a page measured less often
    if bad := [n for n in POSITIVE if not 0 < getattr(args, n) < float("inf")]:
        parser.error(", ".join(f"--{n.replace('_', '-')}" for n in bad) + ": must be more than 0")
    args.db, args.results_dir = args.db.resolve(), args.results_dir.resolve()
    try:  # postgres:// only, on a server that answers (psycopg installed): not a traceback later
        args.database = BenchDatabase.from_args(args.db, args.database_url)
        args.database.server()
    except Exception as error:
        parser.error(f"--database-url: {error}")
    args.sections = tuple(s for s in args.only.replace(" ", "").split(",") if s) or SECTIONS
    args.page_phases = tuple(p for p in args.page_phases.replace(" ", "").split(",") if p)
    if set(args.sections) - set(SECTIONS) or set(args.page_phases) - set(PHASES):
        parser.error(f"--only: a subset of {SECTIONS}; --page-phases: of {PHASES}")
    return args


_started = time.perf_counter()


def log(message: str) -> None:
    print(f"[{time.perf_counter() - _started:7.1f}s] {message}", file=sys.stderr, flush=True)


def prepare_dataset(args) -> dict:
    """Seed (or with --reuse, migrate) the database; verify the log's hash chain."""
    from django.core.management import call_command
    from django.db import connections

    from bench.seed import seed
    from events import witness
    from events.models import Event
    from events.verification import verify_log

    database = args.database
    if args.reuse and database.sidecar.exists() and database.exists():
        info = json.loads(database.sidecar.read_text())
        log(f"dataset: reusing {database.label} (seeded {info['seeded_at']})")
        call_command("migrate", verbosity=0, interactive=False)  # the schema may have moved on
    else:
        database.create_empty()
        log(f"dataset: seeding {database.label}")
        params = {k: getattr(args, k) for k in ("companies", "orders", "command_orders", "seed")}
        info = {
            "seeded_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "params": params,
            **seed(**params, log=log),
        }
        database.sidecar.write_text(json.dumps(info, indent=2))
    witness.create_location()  # `migrate` makes it; a database copied in may lack it
    checked = verify_log()
    log(f"dataset: verify_log: {checked.summary}")
    connections.close_all()
    speed = round(checked.events_checked / max(checked.seconds, 1e-9), 1)
    orders = Event.objects.filter(event_type="OrderPlaced").count()
    return {**info, "db": database.label, "orders": orders, "events": Event.objects.count(),
            "verify": {"ok": checked.ok, "events_per_s": speed}}  # fmt: skip


# Runs the command as its child and reports that child's rusage. Why a middleman: a child
# execed by this process (which may hold a gigabyte after seeding) would inherit its high-water
# RSS in ru_maxrss; the middleman is a bare Python of a few MiB, so the figure is the child's.
_MEASURE = """
import json, os, subprocess, sys
child = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(child.pid, 0)
json.dump({"code": os.waitstatus_to_exitcode(status), "maxrss_kib": usage.ru_maxrss,
           "cpu": usage.ru_utime + usage.ru_stime}, open(sys.argv[1], "w"))
"""


def run_measured(command: str, env: dict, output: Path, *options: str) -> dict:
    """`manage.py <command>`: its exit code, peak RSS (MiB), CPU cores used by others, output."""
    report_file = output.with_suffix(".rusage.json")
    started, machine = time.perf_counter(), machine_cpu_seconds()
    child = [sys.executable, "-c", _MEASURE, str(report_file), sys.executable, "manage.py", command]
    with output.open("w") as sink:
        subprocess.run([*child, *options], cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT)
    wall, usage = time.perf_counter() - started, json.loads(report_file.read_text())
    other = max(0.0, (machine_cpu_seconds() - machine - usage["cpu"]) / wall)
    return {"code": usage["code"], "peak_mib": usage["maxrss_kib"] / 1024,
            "other_cpu_cores": other, "output": output.read_text()}  # fmt: skip


def _rebuild(env, output: Path, *options: str) -> dict:
    """`rebuild_projections` measured; peak RSS of all its processes (its own + each worker's as
    it prints them: an upper bound, since wait4's `ru_maxrss` is only the largest one's)."""
    child = run_measured("rebuild_projections", env, output, *options)
    match = re.search(r"([\d,]+) events in ([\d.]+)s.*?(\d+) process", child["output"])
    if child["code"] != 0 or match is None:
        raise RuntimeError(f"rebuild_projections failed:\n{child['output'][-2000:]}")
    events, seconds, processes = int(match[1].replace(",", "")), float(match[2]), int(match[3])
    worker = re.search(r"([\d,]+) MiB per worker", child["output"])
    workers_mib = (processes - 1) * int(worker[1].replace(",", "")) if worker else 0
    return {"events": events, "seconds": seconds, "processes": processes,
            "events_per_s": round(events / seconds, 1) if seconds else 0.0,
            "peak_rss_mib": round(child["peak_mib"] + workers_mib, 1),
            "other_cpu_cores": round(child["other_cpu_cores"], 2)}  # fmt: skip


def measure_rebuild(args, env) -> dict:
    """Rebuild as configured, then in one process, then the bare scan + decode of the log."""
    log("rebuild: rebuild_projections over the whole log (child process)")
    startup = run_measured("check", env, args.db.parent / "startup.log")
    result = _rebuild(env, args.db.parent / "rebuild.log")
    one = _rebuild(env, args.db.parent / "rebuild-1.log", "--processes", "1")
    scan = reference_scan(args.database)
    per_s = scan["scan_events_per_s"]
    result |= {"startup_rss_mib": round(startup["peak_mib"], 1), "reference": scan,
               "vs_scan": round(result["events_per_s"] / per_s, 4),
               "one_process": one | {"vs_scan": round(one["events_per_s"] / per_s, 4)}}  # fmt: skip
    log(f"rebuild: {result['events_per_s']:,.0f} events/s ({result['processes']} processes), "
        f"peak {result['peak_rss_mib']} MiB; one process {one['events_per_s']:,.0f} events/s; "
        f"bare scan {per_s:,.0f} events/s")  # fmt: skip
    return result


def machine(database: BenchDatabase) -> dict:
    version, settings = database.server()
    cpus = [line for line in Path("/proc/cpuinfo").read_text().splitlines() if "model name" in line]
    return {"nproc": len(os.sched_getaffinity(0)),
            "cpu_model": cpus[0].split(":", 1)[1].strip() if cpus else "",
            "python": platform.python_version(), "django": django.get_version(),
            "database": database.vendor, "database_version": version,
            "database_settings": settings}  # fmt: skip


def git(*words: str) -> str:
    return subprocess.run(["git", *words], cwd=ROOT, capture_output=True, text=True).stdout.strip()


def main(argv=None) -> int:
    args = parse_args(argv)
    env = bench_environment(args.db, args.database.url)
    os.environ.update(env)
    django.setup()
    from bench import report
    from bench.commands import measure_commands
    from bench.pages import measure_pages

    results: dict = {
        "started_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "args": {k: str(v) for k, v in vars(args).items() if k != "database"},
        "machine": machine(args.database),
        "code": {"head": git("rev-parse", "--short", "HEAD"),
                 "subject": git("log", "-1", "--format=%s")},
    }  # fmt: skip
    steps = {
        "dataset": lambda: prepare_dataset(args),
        "rebuild": lambda: measure_rebuild(args, env),
        "storage": lambda: storage(args.database, log=log),
        "commands": lambda: measure_commands(args, log=log),
        "pages": lambda: measure_pages(args, env, log=log),
    }
    failures = []
    for name, step in steps.items():
        if name != "dataset" and name not in args.sections:
            continue
        try:
            results[name] = step()
        except Exception:  # one broken section must not hide the others
            failures.append(name)
            results[name] = {"error": traceback.format_exc()}
            log(f"{name}: FAILED\n{results[name]['error']}")
            if name == "dataset":
                break
    if args.database.on_postgres and not args.keep_db:
        log(f"dropping the {args.database.label} (--keep-db keeps it)")
        args.database.remove()
    results["goals"] = report.goals(results)
    results["gate"] = gate_of(results)
    results["seconds"] = round(time.perf_counter() - _started, 1)
    path = write_results(args, results)
    report.print_run(results)
    print(f"JSON: {path}")
    return exit_code(results, failures)


def write_results(args, results: dict) -> Path:
    """<results dir>/<vendor>[-tiny][-partial].json: the latest run of its kind, replaced."""
    args.results_dir.mkdir(parents=True, exist_ok=True)
    partial = set(args.sections) != set(SECTIONS) or set(args.page_phases) != set(PHASES)
    name = f"{args.database.vendor}{'-tiny' if args.tiny else ''}{'-partial' if partial else ''}"
    path = args.results_dir / f"{name}.json"
    path.with_suffix(".tmp").write_text(json.dumps(results, indent=1, default=str))
    os.replace(path.with_suffix(".tmp"), path)
    return path


def gate_of(results: dict) -> dict:
    """The realistic-load gate's verdict, or `passed: None` when that phase did not run."""
    realistic = (results.get("pages") or {}).get("realistic")
    if not realistic:
        return {"passed": None, "measured": False}
    busy = realistic.get("other_cpu_cores", 0) > 0.5
    return {"measured": True, "machine_busy": busy, **realistic["gate"]}


def exit_code(results: dict, failures: list[str]) -> int:
    """1: a section failed; 3: the gate was measured and missed; else 0."""
    if failures:
        print(f"FAILED sections: {', '.join(failures)}")
        return 1
    gate = results["gate"]
    if gate["passed"] is None:
        return 0
    verdicts = {**gate["pages"], "commit-to-mail": gate.get("mail") or {"met": True}}
    missed = ", ".join(name for name, verdict in verdicts.items() if not verdict["met"])
    busy = " (the machine was busy meanwhile: re-run on a quiet one)" * gate["machine_busy"]
    print(f"GATE MISSED (realistic load): {missed}{busy}" if missed else "GATE PASSED (realistic)")
    return GATE_MISSED if missed else 0


if __name__ == "__main__":
    sys.exit(main())
