"""The page phases of `make bench`: single-thread cost, realistic load (the gate), capacity.

Each server under test is `--servers` waitress process(es) (one by default) with production
settings (`bench.settings`), serving one database; the same logged-in Managers (one session
each, logged in through the login form) drive three phases:

1. **single**: one client, one request at a time, `--single-requests` of each page: what a page
   costs with nothing else running (p50 latency, and the server's CPU time per request).
   Reported; target <= 10 ms.
2. **realistic**: `--clients` users (20), each sending its next request after a random think
   time of `--think-min`..`--think-max` s (1-5 s, from its own seeded `random.Random`), each
   request for a page picked at random (dashboard, the three lists, detail, history, or a
   transition: open the detail page, think, POST the forward move as htmx does). **Gated**:
   p95 <= 50 ms for every page, no errors, at least `--min-samples` requests of each page.
3. **capacity**: `--clients` clients with no think time (closed loop), one page at a time for
   `--duration-per-page` s: req/s and p95 at a load 100-200 times what 20 people send, and the
   ratio to the minimal view measured the same way. Reported, not gated.

With `--baseline-ref` (bench/baseline.py) a second server runs another git ref on the same
data, and every phase is measured on both, one after the other (per page for the single and
capacity phases), so each figure has its before and after from the same run.
"""

from __future__ import annotations

import collections
import concurrent.futures
import contextlib
import dataclasses
import random
import re
import socket
import subprocess
import sys
import time
import traceback
import uuid
from pathlib import Path

from bench import load
from bench.database import BenchDatabase

ROOT = Path(__file__).resolve().parent.parent

# The forward move a Manager takes from each open state (commands and the transition POST).
FORWARD = {
    "draft": "submit",
    "submitted": "approve",
    "approved": "start_fulfilment",
    "in_fulfilment": "ship",
    "shipped": "deliver",
    "on_hold": "resume",
}
PREFERRED_ACTIONS = tuple(FORWARD.values())
CARRIERS = ("DHL", "UPS", "FedEx", "PostNL", "DPD")

# (key, label, request as shown in the tables)
PAGES = (
    ("minimal", "minimal view (reference)", "GET /bench/minimal/"),
    ("dashboard", "dashboard", "GET /"),
    ("list", "order list", "GET /orders/"),
    (
        "list_filtered",
        "order list, filtered",
        "GET /orders/?state=shipped&total_min=100&sort=-total",
    ),
    ("list_deep", "order list, page 300", "GET /orders/?page=300"),
    ("detail", "order detail", "GET /orders/<id>/"),
    ("history", "order history", "GET /orders/<id>/history/"),
    ("transition", "transition (htmx POST)", "POST /orders/<id>/transitions/<name>/"),
)
LABELS = {key: label for key, label, _ in PAGES}
REQUESTS = {key: request for key, _, request in PAGES}
# The GET of the detail page a user opens before pressing a transition button.
LABELS["transition_detail_get"] = "order detail, before a transition"
REQUESTS["transition_detail_get"] = "GET /orders/<id>/ (an open order)"
USER_PAGES = tuple(key for key, *_ in PAGES if key != "minimal")
# Every request name the realistic phase records, and so every name the gate judges.
REALISTIC_NAMES = (*USER_PAGES[:-1], "transition_detail_get", "transition")
PHASES = ("single", "realistic", "capacity")

GATE_P95_MS = 50  # realistic load: every page
SINGLE_TARGET_MS = 10  # single-thread cost per page (p50), reported
# Other processes' CPU use (cores) above which the tables warn that the machine was busy.
BUSY_CORES = 0.5


# --- servers -----------------------------------------------------------------------------------


@dataclasses.dataclass
class Server:
    """One code version under test: a source tree, its environment and its database."""

    name: str  # "current" (this tree) or "baseline" (--baseline-ref)
    root: Path
    env: dict
    db: BenchDatabase
    pids: list[int] = dataclasses.field(default_factory=list)
    ports: list[int] = dataclasses.field(default_factory=list)
    sessions: list = dataclasses.field(default_factory=list)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def waitress_server(server: Server, *, processes: int, threads: int, log):
    """collectstatic, then `processes` waitress processes serving `config.wsgi:application`
    from `server.root`, each on a free port; fills `server.pids` and `server.ports`."""
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=server.root,
        env=server.env,
        check=True,
    )
    children = []
    server_log = server.db.folder / (
        "waitress.log" if server.name == "current" else "waitress-baseline.log"
    )
    with server_log.open("w") as sink:
        try:
            for _ in range(max(1, processes)):
                port = free_port()
                children.append(
                    subprocess.Popen(
                        [
                            sys.executable,
                            "-m",
                            "waitress",
                            f"--listen=127.0.0.1:{port}",
                            f"--threads={threads}",
                            "config.wsgi:application",
                        ],
                        cwd=server.root,
                        env=server.env,
                        stdout=sink,
                        stderr=subprocess.STDOUT,
                    )
                )
                server.ports.append(port)
            for child, port in zip(children, server.ports, strict=True):
                load.wait_until_serving("127.0.0.1", port)
                log(f"pages: {server.name}: waitress pid {child.pid} on 127.0.0.1:{port}")
            server.pids = [child.pid for child in children]
            yield server
        finally:
            for child in children:
                child.terminate()
            for child in children:
                try:
                    child.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    child.kill()
                    child.wait()


# --- the users ---------------------------------------------------------------------------------


def page_data(db: BenchDatabase, rng) -> list[dict]:
    """Per company (by slug): its Manager's username, orders to open and open orders to move.

    The bare driver (sqlite3 or psycopg), so it reads a baseline's database as well as this
    tree's. The orders are picked by sequence number with `rng`, so two databases seeded alike
    (same parameters, seed and `now`) give the same orders.
    """
    connection, mark = db.connect(), db.placeholder
    companies = []
    for company_id, slug in connection.execute(
        "SELECT id, slug FROM accounts_company ORDER BY slug"
    ).fetchall():
        ids = [
            str(uuid.UUID(str(row[0])))
            for row in connection.execute(
                "SELECT id FROM projections_ordersummary WHERE company_id = "
                f"{mark} ORDER BY sequence",
                (company_id,),
            ).fetchall()
        ]
        open_ids = [
            str(uuid.UUID(str(row[0])))
            for row in connection.execute(
                f"SELECT id FROM projections_ordersummary WHERE company_id = {mark} AND state IN "
                f"({', '.join([mark] * len(FORWARD))}) ORDER BY sequence",
                (company_id, *FORWARD),
            ).fetchall()
        ]
        rng.shuffle(open_ids)
        companies.append(
            {
                "username": f"{slug}.manager",
                "ids": rng.sample(ids, min(1000, len(ids))),
                "open": open_ids,
            }
        )
    connection.close()
    if not companies:
        raise RuntimeError(f"{db}: no companies (not a seeded benchmark database?)")
    return companies


def log_in_clients(server: Server, companies: list[dict], *, clients: int, password: str):
    """`clients` sessions, client i as the Manager of company i mod n, spread over the ports.

    Each client owns a disjoint share (up to 500) of its company's open orders for the
    transition POSTs, so no two clients move the same order (no version conflicts).
    """
    sessions = []
    for index in range(clients):
        company = companies[index % len(companies)]
        share = [c for c in range(clients) if c % len(companies) == index % len(companies)]
        own = company["open"][share.index(index) :: len(share)]
        session = load.Session("127.0.0.1", server.ports[index % len(server.ports)])
        session.data = {
            "username": company["username"],
            "ids": company["ids"],
            "pool": collections.deque(own[:500]),
        }
        sessions.append(session)
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(sessions)) as pool:
        list(pool.map(lambda s: s.login(s.data["username"], password), sessions))
    server.sessions = sessions


def page_tasks() -> dict:
    """The task a client runs for each page key (see bench.load.run_phase)."""

    def fixed(name: str, path: str):
        def task(session, recorder, rng):
            recorder.timed(session, name, "GET", path)

        return task

    def detail(session, recorder, rng):
        recorder.timed(session, "detail", "GET", f"/orders/{rng.choice(session.data['ids'])}/")

    def history(session, recorder, rng):
        order_id = rng.choice(session.data["ids"])
        recorder.timed(session, "history", "GET", f"/orders/{order_id}/history/")

    def transition(session, recorder, rng):
        """Open an order, read its version and actions, (think,) POST the forward move."""
        pool = session.data["pool"]
        if not pool:
            time.sleep(0.05)  # this client has moved all its orders to the end
            return
        order_id = pool.popleft()
        page = recorder.timed(session, "transition_detail_get", "GET", f"/orders/{order_id}/")
        if page is None or page.status != 200:
            return
        actions = set(re.findall(rf"/orders/{order_id}/transitions/(\w+)/".encode(), page.body))
        name = next((a for a in PREFERRED_ACTIONS if a.encode() in actions), None)
        version = re.search(rb'name="version" value="(\d+)"', page.body)
        if name is None or version is None:
            return  # final now (or nothing a manager may move forward): drop it
        if not session.pause(rng):  # a person reads the page before pressing the button
            pool.appendleft(order_id)
            return
        form = {"csrfmiddlewaretoken": session.csrf_token, "version": version[1].decode()}
        if name == "ship":
            form.update(
                carrier=rng.choice(CARRIERS), tracking_number=f"TRK{rng.randrange(10**9, 10**10)}"
            )
        answer = recorder.timed(
            session,
            "transition",
            "POST",
            f"/orders/{order_id}/transitions/{name}/",
            form=form,
            headers={
                "HX-Request": "true",
                "HX-Current-URL": f"http://127.0.0.1/orders/{order_id}/",
                "X-CSRFToken": session.csrf_token,
            },
        )
        if answer is not None and name != "deliver":
            pool.append(order_id)

    return {
        "minimal": fixed("minimal", "/bench/minimal/"),
        "dashboard": fixed("dashboard", "/"),
        "list": fixed("list", "/orders/"),
        "list_filtered": fixed("list_filtered", "/orders/?state=shipped&total_min=100&sort=-total"),
        "list_deep": fixed("list_deep", "/orders/?page=300"),
        "detail": detail,
        "history": history,
        "transition": transition,
    }


# --- phases ------------------------------------------------------------------------------------


def measure_single(server: Server, task, key: str, *, requests: int, seed: int) -> dict:
    """One client, one request at a time: `requests` of one page (after 3 untimed ones)."""
    session = server.sessions[0]
    rng = random.Random(seed)
    for _ in range(3):
        task(session, load.Recorder(), rng)
    recorder = load.Recorder()
    cpu_before = sum(load.process_cpu_seconds(pid) for pid in server.pids)
    started = time.perf_counter()
    for _ in range(requests):
        task(session, recorder, rng)
    wall = time.perf_counter() - started
    cpu = sum(load.process_cpu_seconds(pid) for pid in server.pids) - cpu_before
    summary = load.summarize(recorder, key, wall)
    sent = sum(len(values) for values in recorder.latencies.values())
    # /proc counts in clock ticks (10 ms): meaningful over the whole loop, not per request.
    summary["server_cpu_ms_per_request"] = round(1000 * cpu / sent, 2) if sent else None
    return summary


def measure_realistic(
    server: Server, tasks: dict, *, duration: float, think: tuple[float, float], seed: int
) -> dict:
    """All clients at once for `duration` s, each picking a random page after each think."""

    choices = [tasks[key] for key in USER_PAGES]

    def user(session, recorder, rng):
        rng.choice(choices)(session, recorder, rng)

    recorder, usage = load.run_phase(
        server.sessions, user, duration=duration, server_pids=server.pids, think=think, seed=seed
    )
    pages = {}
    for name in REALISTIC_NAMES:
        summary = load.summarize(recorder, name, usage["wall_seconds"])
        pages[name] = {"label": LABELS[name], "request": REQUESTS[name], **summary}
    total = sum(p["requests"] for p in pages.values())
    return {
        "pages": pages,
        "requests": total,
        "errors": sum(p["errors"] for p in pages.values()),
        "rps": round(total / usage["wall_seconds"], 2) if usage["wall_seconds"] else 0.0,
        "think_seconds": list(think),
        **usage,
    }


def measure_capacity(server: Server, task, key: str, *, duration: float) -> dict:
    """All clients on one page, no think time, for `duration` s."""

    recorder, usage = load.run_phase(
        server.sessions, task, duration=duration, server_pids=server.pids
    )
    summary = load.summarize(recorder, key, usage["wall_seconds"])
    summary.update(label=LABELS[key], request=REQUESTS[key], **usage)
    if key == "transition":
        summary["detail_get"] = load.summarize(
            recorder, "transition_detail_get", usage["wall_seconds"]
        )
    return summary


def add_capacity_ratios(capacity: dict) -> None:
    """Each page's req/s and p95 against the minimal view's in the same phase set."""
    floor = capacity.get("minimal") or {}
    for key, page in capacity.items():
        if key == "minimal" or not floor.get("rps") or not floor.get("p95_ms"):
            continue
        page["rps_vs_minimal"] = round(page["rps"] / floor["rps"], 3)
        if page.get("p95_ms") is not None:
            page["p95_vs_minimal"] = round(page["p95_ms"] / floor["p95_ms"], 2)


def evaluate_gate(
    realistic_pages: dict, *, p95_limit_ms: float = GATE_P95_MS, min_samples: int = 100
) -> dict:
    """The realistic-load gate: every page p95 <= the limit, no errors, enough samples.

    `realistic_pages`: request name -> {"requests", "errors", "p95_ms", ...} as the realistic
    phase reports them. A page missing from it, or with fewer than `min_samples` requests,
    fails: a p95 over a handful of requests says nothing. Returns {"passed": bool, "pages":
    name -> {"met", "reasons", ...}, and the limits}.
    """
    verdicts = {}
    for name in REALISTIC_NAMES:
        page = realistic_pages.get(name) or {}
        samples, errors, p95 = page.get("requests", 0), page.get("errors", 0), page.get("p95_ms")
        reasons = []
        if samples < min_samples:
            reasons.append(f"{samples} samples < {min_samples}")
        if errors:
            reasons.append(f"{errors} errors")
        if p95 is None or p95 > p95_limit_ms:
            reasons.append(f"p95 {p95} ms > {p95_limit_ms} ms" if p95 is not None else "no p95")
        verdicts[name] = {
            "samples": samples,
            "errors": errors,
            "p95_ms": p95,
            "met": not reasons,
            "reasons": reasons,
        }
    return {
        "passed": all(v["met"] for v in verdicts.values()),
        "p95_limit_ms": p95_limit_ms,
        "max_errors": 0,
        "min_samples": min_samples,
        "pages": verdicts,
    }


def measure_pages(args, env, *, log) -> dict:
    """Every phase in `args.page_phases`, on this tree and (with --baseline-ref) the baseline."""
    from accounts.demo import DEMO_PASSWORD
    from bench import baseline as baselines

    servers = [Server("current", ROOT, env, args.database)]
    baseline_info = baseline_error = None
    with contextlib.ExitStack() as stack:
        if args.baseline_ref:
            try:
                prepared = baselines.prepare(args, env, log=log)
            except Exception:  # still measure (and gate) this tree; the run reports the failure
                baseline_error = traceback.format_exc()
                log(f"pages: baseline {args.baseline_ref} unavailable:\n{baseline_error}")
            else:
                if not args.keep_baseline:
                    stack.callback(baselines.remove, prepared)
                baseline_info = prepared.info
                baseline_db = BenchDatabase.from_args(prepared.db)
                servers.append(Server("baseline", prepared.tree, prepared.env, baseline_db))
        for server in servers:
            stack.enter_context(
                waitress_server(server, processes=args.servers, threads=args.threads, log=log)
            )
            started = time.perf_counter()
            data = page_data(server.db, random.Random(args.seed))
            log_in_clients(server, data, clients=args.clients, password=DEMO_PASSWORD)
            stack.callback(lambda s=server: [session.close() for session in s.sessions])
            log(
                f"pages: {server.name}: {len(server.sessions)} clients logged in "
                f"({time.perf_counter() - started:.1f}s)"
            )
        tasks = page_tasks()
        measured = {server.name: {} for server in servers}
        if args.warmup > 0:
            reads = [tasks[key] for key in USER_PAGES if key != "transition"]

            def warm(session, recorder, rng):
                rng.choice(reads)(session, recorder, rng)

            for server in servers:
                load.run_phase(server.sessions, warm, duration=args.warmup, server_pids=server.pids)
        if "single" in args.page_phases:
            for key, *_ in PAGES:
                for server in servers:
                    page = measure_single(
                        server, tasks[key], key, requests=args.single_requests, seed=args.seed
                    )
                    measured[server.name].setdefault("single", {})[key] = page
                    log(
                        f"pages: {server.name}: single {key:<14} p50 {page['p50_ms']} ms, "
                        f"server CPU {page['server_cpu_ms_per_request']} ms/request"
                    )
        if "realistic" in args.page_phases:
            think = (args.think_min, args.think_max)
            for server in servers:
                log(
                    f"pages: {server.name}: realistic load, {args.clients} users, think "
                    f"{think[0]}-{think[1]} s, {args.realistic_duration:.0f} s"
                )
                realistic = measure_realistic(
                    server, tasks, duration=args.realistic_duration, think=think, seed=args.seed
                )
                realistic["gate"] = evaluate_gate(
                    realistic["pages"], p95_limit_ms=args.gate_p95_ms, min_samples=args.min_samples
                )
                measured[server.name]["realistic"] = realistic
                for name, page in realistic["pages"].items():
                    log(
                        f"pages: {server.name}: realistic {name:<21} n={page['requests']:<5} "
                        f"p50 {page['p50_ms']} p95 {page['p95_ms']} ms, errors {page['errors']}"
                    )
                log(
                    f"pages: {server.name}: realistic gate "
                    f"{'passed' if realistic['gate']['passed'] else 'MISSED'}; CPU cores: "
                    f"server {realistic['server_cpu_cores']}, other {realistic['other_cpu_cores']}"
                )
        if "capacity" in args.page_phases:
            for key, *_ in PAGES:
                for server in servers:
                    summary = measure_capacity(
                        server, tasks[key], key, duration=args.duration_per_page
                    )
                    measured[server.name].setdefault("capacity", {})[key] = summary
                    log(
                        f"pages: {server.name}: capacity {key:<14} {summary['rps']:7.1f} req/s "
                        f"p50 {summary['p50_ms']} p95 {summary['p95_ms']} ms errors "
                        f"{summary['errors']}  CPU cores: server {summary['server_cpu_cores']}, "
                        f"client {summary['client_cpu_cores']}, other {summary['other_cpu_cores']}"
                    )
            for server in servers:
                add_capacity_ratios(measured[server.name]["capacity"])
    results = {
        **measured,
        "setup": {
            "phases": list(args.page_phases),
            "clients": args.clients,
            "waitress_threads": args.threads,
            "waitress_processes": args.servers,
            "think_seconds": [args.think_min, args.think_max],
            "realistic_seconds": args.realistic_duration,
            "capacity_seconds_per_page": args.duration_per_page,
            "single_requests_per_page": args.single_requests,
            "warmup_seconds": args.warmup,
            "seed": args.seed,
            "server_log": str(args.database.folder / "waitress.log"),
        },
    }
    if baseline_info is not None:
        results["baseline_ref"] = baseline_info
    if baseline_error is not None:
        results["baseline_error"] = baseline_error
    return results


# --- report ------------------------------------------------------------------------------------


def _n(value, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def single_checks(single: dict) -> list[dict]:
    """The single-thread target (p50 <= 10 ms) per page: reported, not gated."""
    return [
        {
            "target": f"single-thread {LABELS[key]}: p50 ms",
            "value": page.get("p50_ms"),
            "op": "<=",
            "limit": SINGLE_TARGET_MS,
            "met": page.get("p50_ms") is not None
            and page["p50_ms"] <= SINGLE_TARGET_MS
            and page.get("errors", 1) == 0,
        }
        for key, page in single.items()
        if key != "minimal"
    ]


def render(pages: dict) -> str:
    """Markdown: one table per phase; with a baseline each cell reads `before → after`."""
    current, baseline = pages.get("current") or {}, pages.get("baseline")
    setup = pages.get("setup") or {}
    out: list[str] = []

    def cell(*path, digits: int = 1, bold: bool = False) -> str:
        """The figure at `path` in this tree's results, preceded by the baseline's."""

        def value(tree):
            for part in path:
                tree = tree.get(part) if isinstance(tree, dict) else None
            return _n(tree, digits)

        text = value(current) if baseline is None else f"{value(baseline)} → {value(current)}"
        return f"**{text}**" if bold else text

    def table(columns: list[str], rows: list[list[str]]) -> None:
        out.append("| " + " | ".join(columns) + " |")
        out.append("|" + "---|" * len(columns))
        out.extend("| " + " | ".join(row) + " |" for row in rows)
        out.append("")

    if baseline is not None:
        ref = pages.get("baseline_ref") or {}
        out += [f"Each cell: before (`{ref.get('commit', '?')[:9]}`) → after (this tree).", ""]
    realistic = current.get("realistic")
    if realistic:
        gate = realistic["gate"]
        before = ""
        if baseline and baseline.get("realistic"):
            passed = baseline["realistic"]["gate"]["passed"]
            before = f" (before: {'passed' if passed else 'missed'})"
        think = setup.get("think_seconds") or realistic["think_seconds"]
        out += [
            f"**Realistic load, gated**: {setup.get('clients')} users, think time "
            f"{think[0]:g}-{think[1]:g} s, {realistic['wall_seconds']:.0f} s, "
            f"{realistic['requests']:,} requests ({realistic['rps']} req/s), "
            f"{setup.get('waitress_processes')} waitress process. Gate: every page p95 <= "
            f"{gate['p95_limit_ms']:g} ms, 0 errors, >= {gate['min_samples']} samples: "
            f"**{'PASSED' if gate['passed'] else 'MISSED'}**{before}. CPU cores used by other "
            f"processes meanwhile: {realistic['other_cpu_cores']} of the machine's.",
            "",
        ]
        if realistic["other_cpu_cores"] > BUSY_CORES:
            out += [
                f"> **The machine was busy**: other processes used "
                f"{realistic['other_cpu_cores']} cores while the server needed "
                f"{realistic['server_cpu_cores']}; latencies include waiting for a core. Re-run "
                "on a quiet machine before reading the verdict as the code's.",
                "",
            ]
        rows = []
        for name in REALISTIC_NAMES:
            verdict = gate["pages"][name]
            rows.append(
                [
                    f"{LABELS[name]} `{REQUESTS[name]}`",
                    cell("realistic", "pages", name, "requests", digits=0),
                    cell("realistic", "pages", name, "p50_ms"),
                    cell("realistic", "pages", name, "p95_ms", bold=True),
                    cell("realistic", "pages", name, "p99_ms"),
                    cell("realistic", "pages", name, "errors", digits=0),
                    "met" if verdict["met"] else "**missed**: " + "; ".join(verdict["reasons"]),
                ]
            )
        table(["page", "samples", "p50 ms", "p95 ms", "p99 ms", "errors", "gate"], rows)
    single = current.get("single")
    if single:
        out += [
            f"**Single-thread cost**: one client, one request at a time, "
            f"{setup.get('single_requests_per_page')} requests per page: p50 latency through "
            "waitress, and the server's CPU time per request (from /proc; the transition row "
            f"averages its GET and its POST). Target p50 <= {SINGLE_TARGET_MS} ms, reported.",
            "",
        ]
        rows = []
        for key, *_ in PAGES:
            if key not in single:
                continue
            p50 = single[key]["p50_ms"]
            met = p50 is not None and p50 <= SINGLE_TARGET_MS and not single[key]["errors"]
            rows.append(
                [
                    f"{LABELS[key]} `{REQUESTS[key]}`",
                    cell("single", key, "p50_ms", digits=2, bold=True),
                    cell("single", key, "server_cpu_ms_per_request", digits=2),
                    "reference" if key == "minimal" else ("met" if met else "**missed**"),
                ]
            )
        table(["page", "p50 ms", "server CPU ms/request", "target"], rows)
    capacity = current.get("capacity")
    if capacity:
        out += [
            f"**Capacity, reported (not gated)**: {setup.get('clients')} clients, no think time, "
            f"{setup.get('capacity_seconds_per_page'):g} s per page; ÷ minimal = the page's "
            "req/s over the minimal view's in the same run.",
            "",
        ]
        rows = []
        for key, *_ in PAGES:
            if key not in capacity:
                continue
            rows.append(
                [
                    f"{LABELS[key]} `{REQUESTS[key]}`",
                    cell("capacity", key, "rps", bold=True),
                    cell("capacity", key, "p95_ms"),
                    "1" if key == "minimal" else cell("capacity", key, "rps_vs_minimal", digits=3),
                    cell("capacity", key, "errors", digits=0),
                ]
            )
        table(["page", "req/s", "p95 ms", "req/s ÷ minimal", "errors"], rows)
    return "\n".join(out).rstrip()
