"""The page phases of `make bench` (bench/README.md, "Pages"): one waitress process, one headless
locust run (bench/locustfile.py) per phase. Imported once Django is set up."""

import collections
import itertools
import json
import logging
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from contextlib import nullcontext
from email import message_from_bytes
from importlib.metadata import version
from pathlib import Path

from aiosmtpd.controller import Controller
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection, connections
from django.utils import timezone

from accounts.demo import DEMO_PASSWORD
from accounts.models import Company, Role, User
from bench.server import HOST, ROOT, Server, free_port, manage, stop_process, wait_for
from events.models import Event
from events.store import head_position
from orders import commands
from orders.demo import order_input
from orders.models import Order
from outbox import engine
from outbox.models import OutboxItem, SubscriberCheckpoint, Subscription, WorkerHeartbeat

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
GATE_P95_MS = 50
SINGLE_TARGET_MS = 10
NO_REQUESTS = {"requests": 0, "errors": 0}
MAIL_COMPANY = "notify-delay"  # the mail probe's own company: the page phases leave it out


def page_users(rng: random.Random, clients: int, roles=("manager",)) -> list[dict]:
    """Per user (in turn over the companies, then `roles`): its username, ≤ 1,000 orders to open
    and a share (≤ 500) of its company's open orders to move, disjoint from every other's."""
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
        role = roles[index // len(companies) % len(roles)]
        users.append({"username": f"{company.slug}.{role}", "ids": ids, "pool": pool})
    return users


def run_locust(server: Server, folder: Path, phase: str, *, clients: int, user_class="Manager",
               meanwhile=None, **config) -> dict:  # fmt: skip
    """One headless locust run of bench/locustfile.py with `config` (the phase's settings and
    users), `meanwhile(out)` running beside it; the figures it wrote."""
    out, data = folder / f"locust-{phase}.json", folder / f"locust-{phase}.data.json"
    out.unlink(missing_ok=True)
    config.update(phase=phase, out=str(out), server_pid=server.process.pid, pages=PAGES,
                  user_pages=USER_PAGES, forward=list(FORWARD.values()))  # fmt: skip
    data.write_text(json.dumps(config))
    command = [sys.executable, "-m", "locust", "-f", "bench/locustfile.py", "--headless",
               "-u", str(clients), "-r", str(clients), "--host", server.url, "--only-summary",
               "--run-time", "3h", user_class]  # fmt: skip
    env = {**os.environ, "BENCH_LOCUST_DATA": str(data)}
    with (folder / f"locust-{phase}.log").open("w") as sink:
        child = subprocess.Popen(command, cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT)
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
    folder, results = args.db.parent, {}
    users = page_users(random.Random(args.seed), args.clients)
    connections.close_all()
    call_command("collectstatic", interactive=False, verbosity=0)
    phases = {  # in this order: the users and settings of each
        "single": {"clients": 1, "single_requests": args.single_requests},
        "realistic": {"clients": args.clients, "seconds": args.realistic_duration},
        "capacity": {"clients": args.clients, "seconds": args.duration_per_page},
    }
    with Server(env, folder / "server.log") as server:
        log(f"pages: waitress on {server.url} (pid {server.process.pid})")
        for phase in (p for p in phases if p in args.page_phases):
            log(f"pages: {phase}, {phases[phase]}")
            realistic = phase == "realistic"  # the gate: submits mailed meanwhile
            with MailProbe(env, rate=args.mail_rate) if realistic else nullcontext() as mail:
                figures = run_locust(server, folder, phase, seed=args.seed, password=DEMO_PASSWORD,
                                     users=users, think=[args.think_min, args.think_max],
                                     **phases[phase])  # fmt: skip
            if realistic:
                results[phase] = realistic_figures(figures, args, mail.figures())
            else:
                results[phase] = page_figures(figures, phase)
    results["setup"] = {
        "clients": args.clients, "waitress_threads": Server.THREADS,
        "think_seconds": [args.think_min, args.think_max],
        "realistic_seconds": args.realistic_duration,
        "capacity_seconds_per_page": args.duration_per_page,
        "single_requests_per_page": args.single_requests,
        "load_generator": "locust " + version("locust"),
    }  # fmt: skip
    return results


def page_figures(run: dict, phase: str) -> dict:
    """Per page, locust's figures and: single, the server's CPU ms per request (a transition's
    includes opening the order); capacity, its window's, req/s and req/s ÷ the minimal view's."""
    figures, pages = {}, collections.defaultdict(lambda: NO_REQUESTS, run["pages"])
    opened = pages["transition_detail_get"]["requests"]
    for key in PAGES:
        page, window = pages[key], run["windows"][key]
        if phase == "single":
            sent = page["requests"] + (opened if key == "transition" else 0)
            cpu = 1000 * window["server_cpu_cores"] * window["seconds"]
            figures[key] = {**page, **window, "server_cpu_ms_per_request": _ratio(cpu, sent, 2)}
            continue
        figures[key] = {**page, **window, "rps": _ratio(page["requests"], window["seconds"], 1)}
        if key != "minimal":
            rps = figures[key]["rps"], figures["minimal"]["rps"]
            figures[key]["rps_vs_minimal"] = _ratio(*rps, 3)
    return figures


def realistic_figures(run: dict, args, mail: dict | None = None) -> dict:
    """Locust's figures of the pages the gate judges, totals, the window, the mail, the gate."""
    pages = {name: run["pages"].get(name, NO_REQUESTS) for name in REALISTIC_NAMES}
    window, total = run["windows"]["realistic"], sum(p["requests"] for p in pages.values())
    return {
        "pages": pages, "requests": total, "errors": sum(p["errors"] for p in pages.values()),
        "rps": _ratio(total, window["seconds"], 2),
        "logins_failed": run["pages"].get("login", {}).get("errors", 0), **window, "mail": mail,
        "gate": evaluate_gate(pages, min_samples=args.min_samples, mail=mail),
    }  # fmt: skip


def evaluate_gate(pages: dict, *, p95_limit_ms=GATE_P95_MS, min_samples=100, mail=None) -> dict:
    """The realistic-load gate: each page (missing: failed) p95 ≤ the limit, no errors, at least
    `min_samples` requests; with `mail` (`MailProbe.figures`), its p95 ≤ the goal, none missing."""
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
    passed = all(v["met"] for v in verdicts.values()) and (mail is None or mail["met"])
    return {"passed": passed, "mail": mail, "p95_limit_ms": p95_limit_ms,
            "min_samples": min_samples, "pages": verdicts}  # fmt: skip


def _ratio(a, b, digits: int):
    return round(a / b, digits) if a is not None and b else None


class MailProbe:
    """Commit-to-mail delay (#26) during its `with` block: a company of its own, a real worker and
    SMTP server (aiosmtpd; this is its handler), `rate` submits per second, one clock."""

    def __init__(self, env: dict, *, rate: float = 2.0, managers: int = 2):
        self.env, self.rate, self.managers = dict(env), rate, managers
        self.committed: dict[str, float] = {}  # submit event id -> its commit (perf_counter)
        self.arrived: list[tuple[str, float]] = []  # (X-Ledgerline-Event, arrival) per mail
        self.errors: list[str] = []
        self._stop = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        event = message_from_bytes(envelope.original_content)["X-Ledgerline-Event"]
        self.arrived.append((event, time.perf_counter()))  # list.append: thread-safe
        return "250 Message accepted for delivery"

    def __enter__(self) -> "MailProbe":
        port = free_port()
        self.env.update(EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
                        EMAIL_HOST=HOST, EMAIL_PORT=str(port), EMAIL_USE_TLS="False",
                        EMAIL_USE_SSL="False")  # fmt: skip
        logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's per-command log
        self.staff = _company_with_people(self.managers)
        _subscribers_at_head()
        self.smtp = Controller(self, hostname=HOST, port=port)
        self.smtp.start()
        heartbeats = WorkerHeartbeat.objects.count()
        self.worker = manage(self.env, "run_worker", stdout=subprocess.DEVNULL)
        if not wait_for(lambda: WorkerHeartbeat.objects.count() > heartbeats, 60, 0.05):
            raise SystemExit("notify_delay: timed out waiting for the worker's check-in")
        self._thread = threading.Thread(target=self.submit, name="mail-probe", daemon=True)
        self._thread.start()
        return self

    def submit(self) -> None:
        """Place and submit orders at `rate` per second until the block ends."""
        rng, started = random.Random(26), time.perf_counter()
        try:
            for index in itertools.count():
                if self._stop.wait(max(0.0, started + index / self.rate - time.perf_counter())):
                    return  # the block has ended
                details, lines = order_input(rng)
                try:
                    order = commands.place_order(actor=self.staff, details=details, lines=lines)
                    order = commands.submit(order.id, actor=self.staff, expected_version=1)
                except Exception as error:  # a busy database under load: counted, not fatal
                    self.errors.append(repr(error))
                    continue
                committed_at = time.perf_counter()  # submit returned: committed
                event = Event.objects.get(stream_id=order.id, event_type="OrderSubmitted")
                self.committed[str(event.id)] = committed_at
        finally:
            connection.close()

    def __exit__(self, *exc) -> None:
        """No more submits; wait for the mails of those made, stop the worker and SMTP server."""
        self._stop.set()
        self._thread.join()
        try:
            expected = len(self.committed) * self.managers
            arrived = wait_for(lambda: len(self.arrived) >= expected, 120, 0.05)
            if not arrived and exc[0] is None:  # else the error already on its way says more
                raise SystemExit(f"notify_delay: timed out waiting for {expected} mails")
        finally:
            stop_process(self.worker, 30)
            self.smtp.stop()

    def figures(self, goal: float = 2.0) -> dict:
        """Delays (s), mails counted and missing, the goal (judged by `evaluate_gate`)."""
        delays = sorted(at - self.committed[e] for e, at in self.arrived if e in self.committed)
        expected = len(self.committed) * self.managers
        figures = {"submits": len(self.committed), "mails": len(delays),
                   "missing": max(0, expected - len(delays)), "submit_errors": len(self.errors),
                   "goal_p95_s": goal}  # fmt: skip
        if delays:
            figures.update(p50_s=round(statistics.median(delays), 3), max_s=round(delays[-1], 3),
                           p95_s=round(delays[max(0, int(len(delays) * 0.95) - 1)], 3))  # fmt: skip
        return figures


def _company_with_people(managers: int):
    """The probe's own company (made once; a reused bench database keeps it), its Staff user."""
    company, _ = Company.objects.get_or_create(slug=MAIL_COMPANY, defaults={"name": "Notify"})
    people = [("delay.staff", Role.STAFF, "")]
    people += [(f"delay.manager{i}", Role.MANAGER, f"m{i}@delay.example") for i in range(managers)]
    for username, role, email in people:
        user, made = User.objects.get_or_create(
            username=username, defaults={"company": company, "email": email, "password": "!"}
        )
        if made:
            user.groups.add(Group.objects.get(name=role.value))
    return User.objects.select_related("company").get(username="delay.staff")


def _subscribers_at_head() -> None:
    """Every subscriber starts again at the log's head (as of now: before the probe's submits):
    the worker's steady state, not a catch-up over ~1M events (`outbox.engine.start_position`)."""
    for sub in engine.subscribers():
        Subscription.objects.update_or_create(
            name=sub.name, defaults={"head_at_start": head_position(), "created_at": timezone.now()}
        )
    SubscriberCheckpoint.objects.all().delete()
    OutboxItem.objects.filter(status=OutboxItem.Status.PENDING).delete()
