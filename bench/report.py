"""What a bench run prints: its figures, the pages, and the goals table of issue #25 (`rich`).

`goals` turns a run's results into rows (figure | ours | reference | ratio | goal | met), kept
in the results JSON; `print_run` prints a run; `compare` prints the latest SQLite and
PostgreSQL runs side by side (`make bench-both`).
"""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench.pages import REALISTIC_NAMES, SINGLE_TARGET_MS

console = Console(width=160)


def _get(results: dict, dotted: str):
    value = results
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _goal(figure, ours, reference, ratio, op, limit) -> dict:
    """One row; `op` is ">=" or "<=" on `ours`, or ">=x" / "<=x" on the ratio."""
    value = ratio if op.endswith("x") else ours
    met = None
    if value is not None and limit is not None:
        met = value >= limit if op.startswith(">") else value <= limit
    goal = "-" if limit is None else f"{op[:2]} {limit:g}{op[2:]}"
    return {"figure": figure, "ours": ours, "reference": reference, "ratio": ratio,
            "goal": goal.replace(">=", "≥").replace("<=", "≤"), "met": met}  # fmt: skip


def _ratio(a, b, digits=3):
    return round(a / b, digits) if a is not None and b else None


def goals(results: dict) -> list[dict]:
    """The figures of issue #25's goals table, each beside its same-run reference."""
    g = lambda dotted: _get(results, dotted)  # noqa: E731
    postgres = g("machine.database") == "postgresql"
    rows = []
    ours, peer, bare = g("commands.ours") or {}, g("commands.peer") or {}, g("commands.bare") or {}
    if ours and not postgres:
        rows += [
            _goal("commands/s vs the peer (eventsourcing, same PRAGMAs)", ours.get("per_s"),
                  peer.get("per_s"), g("commands.vs_peer"), ">=x", 0.5),
            _goal("CPU ms per command vs the peer", ours.get("cpu_ms"), peer.get("cpu_ms"),
                  _ratio(ours.get("cpu_ms"), peer.get("cpu_ms"), 2), "<=x", None),
            _goal("statements per command (peer: get + save)", ours.get("statements_per_command"),
                  peer.get("statements_per_command"), None, "<=", 8),
            _goal("WAL pages per commit", ours.get("wal_pages_per_commit"),
                  peer.get("wal_pages_per_commit"),
                  _ratio(ours.get("wal_pages_per_commit"), peer.get("wal_pages_per_commit"), 1),
                  "<=", 10),
            _goal("commands/s vs bare BEGIN IMMEDIATE; INSERT; COMMIT", ours.get("per_s"),
                  bare.get("per_s"), g("commands.vs_bare"), ">=x", None),
        ]  # fmt: skip
    elif ours:
        rows += [
            _goal("PostgreSQL commands/s vs bare psycopg flushed commits", ours.get("per_s"),
                  bare.get("per_s"), g("commands.vs_bare"), ">=x", 0.25),
            _goal("statements per command", ours.get("statements_per_command"), 1, None, "<=", 8),
            _goal("WAL bytes per commit vs the bare INSERT's", ours.get("wal_bytes_per_commit"),
                  bare.get("wal_bytes_per_commit"), _ratio(ours.get("wal_bytes_per_commit"),
                  bare.get("wal_bytes_per_commit"), 1), "<=x", None),
        ]  # fmt: skip
    if g("rebuild.events_per_s"):
        label = "PostgreSQL rebuild" if postgres else "rebuild"
        rows += [
            _goal(f"{label} events/s vs bare scan + json decode", g("rebuild.events_per_s"),
                  g("rebuild.reference.scan_events_per_s"), g("rebuild.vs_scan"), ">=x", 0.5),
            _goal(f"{label} peak RSS MiB", g("rebuild.peak_rss_mib"),
                  g("rebuild.startup_rss_mib"), None, "<=", 300),
        ]  # fmt: skip
    if g("storage.bytes_per_event"):
        per_event = g("storage.bytes_per_event")
        rows.append(
            _goal("storage B/event vs the raw row", per_event, g("storage.raw_row_bytes"),
                  _ratio(per_event, g("storage.raw_row_bytes"), 2), "<=x", 1.5)
        )  # fmt: skip
        if peer.get("events"):
            peer_bytes = round(peer["file_bytes"] / peer["events"], 1)
            rows.append(
                _goal("storage B/event vs the peer", per_event, peer_bytes,
                      _ratio(per_event, peer_bytes, 2), "<=x", None)
            )  # fmt: skip
    single = g("pages.single") or {}
    if single.get("dashboard"):
        rows.append(
            _goal("dashboard single-thread p50 ms (flat 2k → 100k: compare runs)",
                  single["dashboard"]["p50_ms"], single["minimal"]["p50_ms"], None, "<=",
                  SINGLE_TARGET_MS)
        )  # fmt: skip
    gate = g("pages.realistic.gate")
    if gate:
        worst = max((v["p95_ms"] or 0 for v in gate["pages"].values()), default=None)
        row = _goal("realistic load (20 users, think): worst page p95 ms", worst, None, None,
                    "<=", gate["p95_limit_ms"])  # fmt: skip
        row["met"] = all(v["met"] for v in gate["pages"].values())
        rows.append(row)
    mail = gate and gate.get("mail")
    if mail:
        row = _goal("commit-to-mail p95 s under that load (#26)", mail.get("p95_s"), None, None,
                    "<=", mail["goal_p95_s"])  # fmt: skip
        row["met"] = mail["met"]
        rows.append(row)
    return rows


def _n(value, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and abs(value) < 1:
        return f"{value:.3g}"  # ratios and sub-millisecond CPU: three significant digits
    return f"{value:,.{digits}f}" if isinstance(value, float) else f"{value:,}"


def _verdict(met) -> str:
    return {True: "[green]met[/]", False: "[red]missed[/]", None: "-"}[met]


def table(title: str, columns: list[str], rows: list[list]) -> Table:
    out = Table(title=title, title_justify="left")
    for index, column in enumerate(columns):
        out.add_column(column, justify="left" if index == 0 else "right")
    for row in rows:
        out.add_row(*(cell if isinstance(cell, str) else _n(cell) for cell in row))
    return out


def print_run(results: dict) -> None:
    d, m, code = results.get("dataset") or {}, results["machine"], results["code"]
    console.print(
        f"Run {results['started_at']} on {code['head']} ({code['subject']}): "
        f"{_n(d.get('orders'))} orders, {_n(d.get('events'))} events; {m['nproc']} CPUs, "
        f"Python {m['python']}, {m['database']} {m['database_version']} "
        f"{m['database_settings'] or ''}; verify_log "
        f"{'OK' if (d.get('verify') or {}).get('ok') else 'BROKEN'}; fast path = commands: "
        f"{(d.get('fast_path_check') or {}).get('differences') == 0}"
    )
    commands = results.get("commands") or {}
    variants = [k for k in ("ours", "ours_no_witness", "peer", "bare") if k in commands]
    if variants:
        rows = [
            [name, v["per_s"], v["cpu_ms"], v["p50_ms"], v["p95_ms"],
             v.get("statements_per_command"),
             v.get("wal_pages_per_commit", v.get("wal_bytes_per_commit")),
             " / ".join(_n(x, 0) for x in v["per_s_rounds"])]
            for name in variants
            if "per_s" in (v := commands[name])
        ]  # fmt: skip
        console.print(
            table(
                f"Commands: place + 5 moves per order, {commands['setup']['rounds']} alternating "
                f"rounds (witness cost {commands['witness_cost_cpu_us']} µs CPU per command; "
                f"ours ÷ peer per round {commands.get('vs_peer_rounds', '-')})",
                ["variant", "commands/s", "CPU ms", "p50 ms", "p95 ms", "statements",
                 "WAL pages (PG: bytes)", "per round"],
                rows,
            )
        )  # fmt: skip
    pages = results.get("pages") or {}
    single, real, capacity = (pages.get(k) or {} for k in ("single", "realistic", "capacity"))
    if pages.get("setup"):
        gate = (real.get("gate") or {}).get("pages", {})
        names = list(dict.fromkeys([*single, *REALISTIC_NAMES, *capacity]))
        rows = []
        for name in names:
            s, r, c = (
                single.get(name, {}),
                (real.get("pages") or {}).get(name, {}),
                capacity.get(name, {}),
            )
            rows.append([
                name, s.get("p50_ms"), s.get("server_cpu_ms_per_request"), r.get("requests"),
                r.get("p50_ms"), r.get("p95_ms"),
                _verdict(gate[name]["met"]) if name in gate else "-",
                c.get("rps"), c.get("p95_ms"), c.get("rps_vs_minimal"),
                (c.get("errors") or 0) + (r.get("errors") or 0),
            ])  # fmt: skip
        setup = pages["setup"]
        console.print(
            table(
                f"Pages ({setup['load_generator']}): single = 1 user; realistic = "
                f"{setup['clients']} users thinking {setup['think_seconds']} s for "
                f"{setup['realistic_seconds']:g} s (other CPU: {real.get('other_cpu_cores')} "
                "cores); "
                f"capacity = {setup['clients']} users, no think, "
                f"{setup['capacity_seconds_per_page']:g} s per page",
                ["page", "single p50", "server CPU ms", "realistic n", "p50", "p95", "gate",
                 "capacity req/s", "p95", "÷ minimal", "errors"],
                rows,
            )
        )  # fmt: skip
    console.print(
        table(
            "Goals (issue #25): every reference measured in the same run",
            ["figure", "ours", "reference", "ratio", "goal", "met?"],
            [[r["figure"], r["ours"], r["reference"], "-" if r["ratio"] is None
              else f"{r['ratio']:.3g}", r["goal"], _verdict(r["met"])]
             for r in results.get("goals", [])],
        )
    )  # fmt: skip


def compare(results_dir: Path) -> int:
    """The latest SQLite and PostgreSQL runs side by side; 1 when one of them is missing."""
    runs = {}
    for vendor in ("sqlite", "postgresql"):
        found = sorted(results_dir.glob(f"{vendor}*.json"), key=lambda p: p.stat().st_mtime)
        if found:
            runs[vendor] = json.loads(found[-1].read_text())
    figures = [
        ("orders", "dataset.orders"),
        ("events", "dataset.events"),
        ("commands/s (ours)", "commands.ours.per_s"),
        ("CPU ms per command", "commands.ours.cpu_ms"),
        ("statements per command", "commands.ours.statements_per_command"),
        ("bare driver commits/s", "commands.bare.per_s"),
        ("ours ÷ bare", "commands.vs_bare"),
        ("ours ÷ peer (SQLite)", "commands.vs_peer"),
        ("rebuild events/s", "rebuild.events_per_s"),
        ("rebuild ÷ bare scan", "rebuild.vs_scan"),
        ("rebuild peak RSS MiB", "rebuild.peak_rss_mib"),
        ("storage B/event", "storage.bytes_per_event"),
        *((f"realistic p95 ms: {name}", f"pages.realistic.pages.{name}.p95_ms")
          for name in REALISTIC_NAMES),
        ("commit-to-mail p95 s (realistic)", "pages.realistic.mail.p95_s"),
        ("realistic gate passed", "gate.passed"),
    ]  # fmt: skip
    rows = [[label, *(str(_n(_get(run, key))) for run in runs.values())] for label, key in figures]
    console.print(table("SQLite and PostgreSQL side by side", ["figure", *runs], rows))
    return 0 if len(runs) == 2 else 1
