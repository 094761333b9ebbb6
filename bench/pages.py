"""The page phases of `make bench` (bench/README.md, "Pages"): one waitress process, then one
headless locust run (bench/locustfile.py) per phase: `single`, `realistic` (the gate; a real
worker mails submits meanwhile, `bench.notify_delay`) and `capacity`."""

from __future__ import annotations

import functools
import json
import random
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

from bench.notify_delay import COMPANY_SLUG as MAIL_COMPANY
from bench.notify_delay import MailProbe
from bench.server import ROOT, Server, finish, manage

PAGES = {  # key -> path of the GET (detail, history and transition pick an order)
    "minimal": "/bench/minimal/",
    "dashboard": "/",
    "list": "/orders/",
    "list_filtered": "/orders/?state=shipped&total_min=100&sort=-total",
    "list_deep": "/orders/?page=300",
    "detail": "/orders/{id}/",
    "history": "/orders/{id}/history/",
    "transition": "/orders/{id}/transitions/{name}/",
}
USER_PAGES = tuple(key for key in PAGES if key != "minimal")
# The forward move a Manager takes from each open state.
FORWARD = {"draft": "submit", "submitted": "approve", "approved": "start_fulfilment",
           "in_fulfilment": "ship", "shipped": "deliver", "on_hold": "resume"}  # fmt: skip
# The requests the realistic phase records, and so the ones the gate judges.
REALISTIC_NAMES = (*USER_PAGES[:-1], "transition_detail_get", "transition")
PHASES = ("single", "realistic", "capacity")
GATE_P95_MS = 50
SINGLE_TARGET_MS = 10
NO_REQUESTS = {"requests": 0, "errors": 0}


def page_users(rng: random.Random, clients: int) -> list[dict]:
    """Per user: its company's Manager, up to 1,000 orders to open and a disjoint share (≤ 500)
    of the company's open orders to move, so no two users move the same order."""
    from accounts.models import Company
    from orders.models import Order

    companies = list(Company.objects.exclude(slug=MAIL_COMPANY).order_by("slug"))
    if not companies:
        raise RuntimeError("no companies: not a seeded benchmark database?")
    users = []
    for index in range(clients):
        company = companies[index % len(companies)]
        orders = Order.objects.filter(company=company).order_by("sequence")
        ids = [str(i) for i in orders.values_list("id", flat=True)]
        open_ids = [str(i) for i in orders.filter(state__in=FORWARD).values_list("id", flat=True)]
        random.Random(company.slug).shuffle(open_ids)
        share = [c for c in range(clients) if c % len(companies) == index % len(companies)]
        pool = open_ids[share.index(index) :: len(share)][:500]
        ids = rng.sample(ids, min(1000, len(ids)))
        users.append({"username": f"{company.slug}.manager", "ids": ids, "pool": pool})
    return users


def run_locust(server: Server, folder: Path, phase: str, *, clients: int, user_class="Manager",
               meanwhile=None, **config) -> dict:  # fmt: skip
    """One headless locust run of bench/locustfile.py with `config` (the phase's settings and
    users); `meanwhile(out)` runs while it does. Returns the figures it wrote. The locustfile
    ends the run itself; `--run-time` is only the backstop of a user that hangs."""
    out, data = folder / f"locust-{phase}.json", folder / f"locust-{phase}.data.json"
    out.unlink(missing_ok=True)
    config.update(phase=phase, out=str(out), server_pid=server.process.pid, pages=list(PAGES))
    data.write_text(json.dumps(config))
    command = [sys.executable, "-m", "locust", "-f", "bench/locustfile.py", "--headless",
               "-u", str(clients), "-r", str(clients), "--host", server.url, "--only-summary",
               "--bench-data", str(data), "--run-time", "3h", user_class]  # fmt: skip
    with (folder / f"locust-{phase}.log").open("w") as sink:
        child = subprocess.Popen(command, cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT)
        try:
            if meanwhile is not None:
                meanwhile(out)
            child.wait(timeout=4 * 3600)
        finally:
            if child.poll() is None:
                child.kill()
    if not out.exists():
        raise RuntimeError(f"locust wrote no figures; see {folder}/locust-{phase}.log")
    return json.loads(out.read_text())


def measure_pages(args, env: dict, *, log) -> dict:
    """Every phase in `args.page_phases` on one server; figures per phase and page."""
    from django.db import connections

    from accounts.demo import DEMO_PASSWORD

    folder, results = args.db.parent, {}
    users = page_users(random.Random(args.seed), args.clients)
    connections.close_all()
    finish(manage(env, "collectstatic", "--noinput", "--verbosity", "0"), "collectstatic")
    with Server(env, folder / "server.log") as server:
        log(f"pages: waitress on {server.url} (pid {server.process.pid})")
        run = functools.partial(
            run_locust, server, folder, seed=args.seed, password=DEMO_PASSWORD, users=users,
            think=[args.think_min, args.think_max],
        )  # fmt: skip
        if "single" in args.page_phases:
            figures = run("single", clients=1, single_requests=args.single_requests)
            results["single"] = single_figures(figures)
            log("pages: single " + _brief(results["single"], "p50_ms"))
        if "realistic" in args.page_phases:
            log(f"pages: realistic load, {args.clients} users, {args.realistic_duration:g} s")
            with MailProbe(env, rate=args.mail_rate) as mail:  # submits mailed meanwhile
                figures = run("realistic", clients=args.clients, seconds=args.realistic_duration)
                mail.stop()
            results["realistic"] = realistic = realistic_figures(figures, args, mail.figures())
            log("pages: realistic p95 " + _brief(realistic["pages"], "p95_ms"))
            log("pages: commit-to-mail " + _brief({"delay": realistic["mail"]}, "p95_s"))
        if "capacity" in args.page_phases:
            figures = run("capacity", clients=args.clients, seconds=args.duration_per_page)
            results["capacity"] = capacity_figures(figures)
            log("pages: capacity req/s " + _brief(results["capacity"], "rps"))
    results["setup"] = {
        "clients": args.clients,
        "waitress_threads": Server.THREADS,
        "think_seconds": [args.think_min, args.think_max],
        "realistic_seconds": args.realistic_duration,
        "capacity_seconds_per_page": args.duration_per_page,
        "single_requests_per_page": args.single_requests,
        "load_generator": "locust " + version("locust"),
    }
    return results


def single_figures(run: dict) -> dict:
    figures = {}
    for key in PAGES:
        page, window = run["pages"].get(key, NO_REQUESTS), run["windows"][key]
        sent = page["requests"]
        if key == "transition":  # its server CPU went to opening the order too
            sent += run["pages"].get("transition_detail_get", NO_REQUESTS)["requests"]
        cpu = window["server_cpu_cores"] * window["seconds"]
        figures[key] = {**page, "server_cpu_ms_per_request": _ratio(1000 * cpu, sent, 2)}
    return figures


def realistic_figures(run: dict, args, mail: dict | None = None) -> dict:
    pages = {name: run["pages"].get(name, NO_REQUESTS) for name in REALISTIC_NAMES}
    window = run["windows"]["realistic"]
    total = sum(p["requests"] for p in pages.values())
    return {
        "pages": pages,
        "requests": total,
        "errors": sum(p["errors"] for p in pages.values()),
        "rps": _ratio(total, window["seconds"], 2),
        "logins_failed": run["pages"].get("login", {}).get("errors", 0),
        **window,
        "mail": mail,
        "gate": evaluate_gate(pages, min_samples=args.min_samples, mail=mail),
    }


def capacity_figures(run: dict) -> dict:
    figures = {}
    for key in PAGES:
        page, window = run["pages"].get(key, NO_REQUESTS), run["windows"][key]
        figures[key] = {**page, **window, "rps": _ratio(page["requests"], window["seconds"], 1)}
    for key, page in figures.items():
        if key != "minimal":
            page["rps_vs_minimal"] = _ratio(page["rps"], figures["minimal"]["rps"], 3)
    return figures


def evaluate_gate(
    pages: dict, *, p95_limit_ms: float = GATE_P95_MS, min_samples: int = 100, mail=None
):
    """The realistic-load gate: every page p95 ≤ the limit, no errors, at least `min_samples`
    requests (a p95 over a handful says nothing), and, when measured (`mail`: `MailProbe`'s
    figures), the commit-to-mail delay's p95 within its goal with no mail missing. `pages`:
    name -> {"requests", "errors", "p95_ms"}; a missing page fails. Returns {"passed",
    "pages": name -> verdict, "mail", limits}."""
    verdicts = {}
    for name in REALISTIC_NAMES:
        page = pages.get(name) or {}
        samples, errors, p95 = page.get("requests", 0), page.get("errors", 0), page.get("p95_ms")
        reasons = [f"{samples} samples < {min_samples}"] if samples < min_samples else []
        reasons += [f"{errors} errors"] if errors else []
        if p95 is None or p95 > p95_limit_ms:
            reasons.append(f"p95 {p95} ms > {p95_limit_ms} ms" if p95 is not None else "no p95")
        verdicts[name] = {"samples": samples, "errors": errors, "p95_ms": p95,
                          "met": not reasons, "reasons": reasons}  # fmt: skip
    if mail is not None:
        p95, goal = mail.get("p95_s"), mail["goal_p95_s"]
        reasons = [f"{mail['missing']} mails missing"] if mail["missing"] else []
        if p95 is None or p95 > goal:
            reasons.append(f"p95 {p95} s > {goal} s" if p95 is not None else "no mail")
        mail = {**mail, "met": not reasons, "reasons": reasons}
    return {
        "passed": all(v["met"] for v in verdicts.values()) and (mail is None or mail["met"]),
        "mail": mail,
        "p95_limit_ms": p95_limit_ms,
        "min_samples": min_samples,
        "pages": verdicts,
    }


def _ratio(a, b, digits: int):
    return round(a / b, digits) if a is not None and b else None


def _brief(pages: dict, figure: str) -> str:
    return ", ".join(f"{key} {page.get(figure)}" for key, page in pages.items())
