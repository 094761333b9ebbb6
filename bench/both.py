"""SQLite and PostgreSQL side by side: one table from the latest run on each (`make bench-both`).

    python -m bench.both [SQLITE_JSON POSTGRESQL_JSON] [--no-readme]

Without paths, the newest `bench/results/latest[-partial|-tiny].json` and the newest
`latest-postgresql[…].json` (what the two runs of `make bench-both` just wrote). Prints the
table and writes it into bench/README.md between the `bench:both` markers.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bench.pages import LABELS, PAGES, REALISTIC_NAMES

RESULTS = Path(__file__).resolve().parent / "results"
README = Path(__file__).resolve().parent / "README.md"
START, END = "<!-- bench:both:start -->", "<!-- bench:both:end -->"
KINDS = ("", "-partial", "-tiny", "-tiny-partial")  # the latest-*.json names bench.run writes


def newest(*names: str) -> Path | None:
    found = [RESULTS / name for name in names if (RESULTS / name).exists()]
    return max(found, key=lambda p: p.stat().st_mtime) if found else None


def figure(results: dict, dotted: str):
    value = results
    for part in dotted.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _n(value, digits: int = 0, unit: str = "") -> str:
    if value is None or isinstance(value, bool):
        return "-"
    if isinstance(value, str):
        return value
    return f"{value:,.{digits}f}{unit}"


REALISTIC = "pages.current.realistic.pages"
# (area, figure, dotted path, digits, unit)
ROWS: list[tuple[str, str, str, int, str]] = [
    ("commands", "transitions/s, witness on", "commands.per_s", 0, "/s"),
    ("commands", "CPU per transition, witness on", "commands.witness.with.cpu_ms", 3, " ms"),
    ("commands", "CPU per transition, witness off", "commands.witness.without.cpu_ms", 3, " ms"),
    ("commands", "witness cost per transition (CPU)", "commands.witness.cost_cpu_us", 0, " µs"),
    ("commands", "witness cost per transition (wall)", "commands.witness.cost_wall_us", 0, " µs"),
    ("commands", "p95 latency", "commands.p95_ms", 2, " ms"),
    (
        "commands",
        "bare driver: INSERT transactions/s",
        "commands.reference.insert_transactions_per_s",
        0,
        "/s",
    ),
    ("rebuild", "rebuild_projections", "rebuild.events_per_s", 0, " events/s"),
    ("rebuild", "peak memory", "rebuild.peak_rss_mib", 0, " MiB"),
    ("rebuild", "bare driver: scan + json.loads", "rebuild.reference.scan_events_per_s", 0, "/s"),
    ("storage", "bytes per event", "storage.bytes_per_event", 0, " B"),
    *(
        ("pages, realistic (gate)", f"{LABELS[name]}: p95", f"{REALISTIC}.{name}.p95_ms", 1, " ms")
        for name in REALISTIC_NAMES
    ),
    *(
        ("pages, single-thread", f"{label}: p50", f"pages.current.single.{key}.p50_ms", 2, " ms")
        for key, label, _ in PAGES
    ),
    *(
        ("pages, capacity", f"{label}: req/s", f"pages.current.capacity.{key}.rps", 0, "/s")
        for key, label, _ in PAGES
    ),
]


def render(sqlite: dict, postgres: dict) -> str:
    def about(results: dict) -> str:
        machine, dataset = results.get("machine") or {}, results.get("dataset") or {}
        database = (
            f"PostgreSQL {machine.get('database_version', '?')} ("
            + ", ".join(f"{k}={v}" for k, v in (machine.get("database_settings") or {}).items())
            + ")"
            if machine.get("database") == "postgresql"
            else f"SQLite {machine.get('sqlite', '?')}"
        )
        busy = (results.get("commands") or {}).get("other_cpu_cores")
        gate = results.get("gate") or {}
        verdict = {True: "passed", False: "missed", None: "not measured"}[gate.get("passed")]
        return (
            f"{database}: run {results.get('started_at', '?')} on "
            f"`{(results.get('code') or {}).get('head', '?')}`, {_n(dataset.get('orders'))} "
            f"orders, {_n(dataset.get('events'))} events; gate {verdict}; other processes "
            f"used {_n(busy, 2)} cores during the commands"
        )

    lines = [
        f"- {about(sqlite)}",
        f"- {about(postgres)}",
        "",
        "| area | figure | SQLite | PostgreSQL |",
        "|---|---|---|---|",
    ]
    for area, label, dotted, digits, unit in ROWS:
        left, right = figure(sqlite, dotted), figure(postgres, dotted)
        if left is None and right is None:
            continue
        lines.append(f"| {area} | {label} | {_n(left, digits, unit)} | {_n(right, digits, unit)} |")
    return "\n".join(lines)


def refresh_readme(table: str) -> bool:
    text = README.read_text()
    if START not in text or END not in text:
        return False
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    README.write_text(f"{head}{START}\n{table}\n{END}{tail}")
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path, help="SQLite JSON, then PostgreSQL JSON")
    parser.add_argument("--no-readme", action="store_true")
    args = parser.parse_args(argv)
    if args.paths and len(args.paths) != 2:
        parser.error("give both results files, or neither")
    sqlite_path, postgres_path = args.paths or (
        newest(*(f"latest{kind}.json" for kind in KINDS)),
        newest(*(f"latest-postgresql{kind}.json" for kind in KINDS)),
    )
    if sqlite_path is None or postgres_path is None:
        print("bench.both: a SQLite and a PostgreSQL results file are needed", file=sys.stderr)
        return 1
    table = render(json.loads(sqlite_path.read_text()), json.loads(postgres_path.read_text()))
    print(table)
    if not args.no_readme and not refresh_readme(table):
        print("bench.both: README markers not found; table not written", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
