"""What a bench run prints (`rich`): a line on the run, the pages, and issue #25's goals table,
whose rows `goals` makes (figure | ours | reference | ratio | goal | met) for the results JSON."""

from rich.console import Console
from rich.table import Table

from bench.pages import REALISTIC_NAMES, SINGLE_TARGET_MS

console = Console(width=160)


# (figure, ours, reference, goal): dotted paths into the results (or a function of them); the
# ratio is ours ÷ reference; a goal on the ratio ends in "x", else it is on ours; None: shown,
# not judged. A row is left out when its section (ours or its reference) did not run.
SQLITE_GOALS = [
    ("commands/s vs the peer (eventsourcing, same PRAGMAs)", "commands.ours.per_s",
     "commands.peer.per_s", (">=x", 0.5)),
    ("CPU ms per command vs the peer", "commands.ours.cpu_ms", "commands.peer.cpu_ms", None),
    ("statements per command (peer: get + save)", "commands.ours.statements_per_command",
     "commands.peer.statements_per_command", ("<=", 8)),
    ("WAL pages per commit", "commands.ours.wal_pages_per_commit",
     "commands.peer.wal_pages_per_commit", ("<=", 10)),
    ("commands/s vs bare BEGIN IMMEDIATE; INSERT; COMMIT", "commands.ours.per_s",
     "commands.bare.per_s", None),
]  # fmt: skip
POSTGRES_GOALS = [
    ("PostgreSQL commands/s vs bare psycopg flushed commits", "commands.ours.per_s",
     "commands.bare.per_s", (">=x", 0.25)),
    ("statements per command", "commands.ours.statements_per_command", lambda _: 1, ("<=", 8)),
    ("WAL bytes per commit vs the bare INSERT's", "commands.ours.wal_bytes_per_commit",
     "commands.bare.wal_bytes_per_commit", None),
]  # fmt: skip
COMMON_GOALS = [
    ("{db}rebuild events/s vs bare scan + json decode", "rebuild.events_per_s",
     "rebuild.reference.scan_events_per_s", (">=x", 0.5)),
    ("{db}rebuild in one process vs bare scan + json decode", "rebuild.one_process.events_per_s",
     "rebuild.reference.scan_events_per_s", None),
    ("{db}rebuild peak RSS MiB", "rebuild.peak_rss_mib", "rebuild.startup_rss_mib", ("<=", 300)),
    ("storage B/event vs the raw row", "storage.bytes_per_event", "storage.raw_row_bytes",
     ("<=x", 1.5)),
    ("storage B/event vs the peer", "storage.bytes_per_event", "commands.peer.bytes_per_event",
     None),
    ("dashboard single-thread p50 ms (flat 2k → 100k: compare runs)",
     "pages.single.dashboard.p50_ms", "pages.single.minimal.p50_ms", ("<=", SINGLE_TARGET_MS)),
]  # fmt: skip


def _get(results: dict, dotted):
    if callable(dotted):
        return dotted(results)
    value = results
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _row(figure: str, ours, reference, goal, met=None) -> dict:
    """One goals row; a `met` given is the caller's verdict (the gate's), not the limit's."""
    ratio = round(ours / reference, 4 if ours < reference else 2) if reference else None
    text = "-"
    if goal is not None:
        op, limit = goal
        text = f"{op[:2]} {limit:g}{op[2:]}".replace(">=", "≥").replace("<=", "≤")
        value = ratio if op.endswith("x") else ours
        if met is None and value is not None:
            met = value >= limit if op.startswith(">") else value <= limit
    return {"figure": figure, "ours": ours, "reference": reference, "ratio": ratio,
            "goal": text, "met": met}  # fmt: skip


def goals(results: dict) -> list[dict]:
    """The figures of issue #25's goals table, each beside its same-run reference."""
    postgres = _get(results, "machine.database") == "postgresql"
    rows, table = [], (POSTGRES_GOALS if postgres else SQLITE_GOALS) + COMMON_GOALS
    for figure, ours, reference, goal in table:
        ours, reference = _get(results, ours), _get(results, reference)
        if ours is not None and reference is not None:
            figure = figure.format(db="PostgreSQL " if postgres else "")
            rows.append(_row(figure, ours, reference, goal))
    gate = _get(results, "pages.realistic.gate")
    if gate:
        worst = max((v["p95_ms"] or 0 for v in gate["pages"].values()), default=None)
        rows.append(_row(f"realistic load ({_get(results, 'pages.setup.clients')} users, think): "
                         "worst page p95 ms", worst, None, ("<=", gate["p95_limit_ms"]),
                         met=all(v["met"] for v in gate["pages"].values())))  # fmt: skip
    if gate and gate.get("mail"):
        mail = gate["mail"]
        rows.append(_row("commit-to-mail p95 s under that load (#26)", mail.get("p95_s"), None,
                         ("<=", mail["goal_p95_s"]), met=mail["met"]))  # fmt: skip
    return rows


def _n(value, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and abs(value) < 1:
        return f"{value:.3g}"  # ratios and sub-millisecond CPU: three significant digits
    return f"{value:,.{digits}f}" if isinstance(value, float) else f"{value:,}"


def table(title: str, columns: list[str], rows: list[list]) -> Table:
    out = Table(title=title, title_justify="left")
    for index, column in enumerate(columns):
        out.add_column(column, justify="left" if index == 0 else "right")
    for row in rows:
        out.add_row(*(cell if isinstance(cell, str) else _n(cell) for cell in row))
    return out


PAGE_COLUMNS = {  # the pages table: header -> dotted path, {} the page's name
    "single p50 ms": "pages.single.{}.p50_ms",
    "server CPU ms": "pages.single.{}.server_cpu_ms_per_request",
    "realistic n": "pages.realistic.pages.{}.requests", "p95 ms": "pages.realistic.pages.{}.p95_ms",
    "errors": "pages.realistic.pages.{}.errors", "gate met": "gate.pages.{}.met",
    "capacity req/s": "pages.capacity.{}.rps", "÷ minimal": "pages.capacity.{}.rps_vs_minimal",
}  # fmt: skip


def print_run(results: dict) -> None:
    """A line on the run, the pages (the gate's), and the goals table; the rest is in the JSON."""
    d, m, code = results.get("dataset") or {}, results["machine"], results["code"]
    console.print(
        f"Run {results['started_at']} on {code['head']} ({code['subject']}): "
        f"{_n(d.get('orders'))} orders, {_n(d.get('events'))} events; {m['nproc']} CPUs, "
        f"Python {m['python']}, {m['database']} {m['database_version']} "
        f"{m['database_settings'] or ''}; verify_log "
        f"{'OK' if (d.get('verify') or {}).get('ok') else 'BROKEN'}; seed = commands: "
        f"{(d.get('fast_path_check') or {}).get('differences') == 0}; witness "
        f"{_n(_get(results, 'commands.witness_cost_cpu_us'))} µs CPU"
    )
    pages = results.get("pages") or {}
    if "setup" in pages:
        names = dict.fromkeys([*(pages.get("single") or {}), *REALISTIC_NAMES])
        rows = [[name, *(_get(results, p.format(name)) for p in PAGE_COLUMNS.values())]
                for name in names]  # fmt: skip
        title = f"Pages ({pages['setup']['load_generator']})"
        console.print(table(title, ["page", *PAGE_COLUMNS], rows))
    verdict = {True: "[green]met[/]", False: "[red]missed[/]", None: "-"}
    goals = [[r["figure"], r["ours"], r["reference"], r["ratio"], r["goal"], verdict[r["met"]]]
             for r in results.get("goals", [])]  # fmt: skip
    title = "Goals (issue #25): every reference measured in the same run"
    console.print(table(title, ["figure", "ours", "reference", "ratio", "goal", "met?"], goals))
