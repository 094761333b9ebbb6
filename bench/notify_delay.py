"""Commit-to-mail delay: from a submit's commit to each manager's mail at a real SMTP server.

    python -m bench.notify_delay [--orders 60] [--rate 2] [--managers 2] [--database-url URL]

A throw-away SQLite file (or a database made on the PostgreSQL server of `--database-url`), the
production settings of the bench (`bench.run.bench_environment`), one company with a Staff user
and `--managers` Managers; a real worker (`manage.py run_worker`, its own process) and a real
SMTP server (aiosmtpd, in this process, on a free port). Orders are placed and submitted at
`--rate` per second; each submit's commit time and each mail's arrival are read on this
process's clock. Prints p50/p95/max of the delays in seconds and exits 3 when p95 exceeds
`--goal` (2 s, issue #26). Run it beside the realistic load to measure the delay under load.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from email import message_from_bytes
from pathlib import Path

from bench.run import bench_environment

ROOT = Path(__file__).resolve().parents[1]


class Arrivals:
    """aiosmtpd handler: the arrival time (perf_counter) of each mail, by X-Ledgerline-Event."""

    def __init__(self):
        self.times: dict[str, list[float]] = {}
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        arrived = time.perf_counter()
        event = message_from_bytes(envelope.original_content)["X-Ledgerline-Event"]
        with self.lock:
            self.times.setdefault(event, []).append(arrived)
        return "250 Message accepted for delivery"

    def count(self) -> int:
        with self.lock:
            return sum(len(times) for times in self.times.values())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=60)
    parser.add_argument("--rate", type=float, default=2.0, help="submits per second")
    parser.add_argument("--managers", type=int, default=2)
    parser.add_argument("--goal", type=float, default=2.0, help="p95 goal in seconds")
    parser.add_argument("--database-url", default="")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="notify-delay-") as folder:
        database_url = args.database_url
        if database_url:
            database_url = _fresh_postgres_database(database_url)
        os.environ.update(bench_environment(Path(folder) / "notify.sqlite3", database_url))
        os.environ["WITNESS_DIR"] = str(Path(folder) / "witness")
        return measure(args)


def _fresh_postgres_database(url: str) -> str:
    """A new empty database `<name>_notify_<random>` on the server of `url` (left behind: a
    bench's throw-away server is removed whole, .ci/with-postgres)."""
    import psycopg

    base, _, name = url.rpartition("/")
    name, _, query = name.partition("?")
    fresh = f"{name or 'ledgerline'}_notify_{secrets.token_hex(4)}"
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{fresh}"')
    return f"{base}/{fresh}" + (f"?{query}" if query else "")


def measure(args) -> int:
    from aiosmtpd.controller import Controller

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    os.environ.update(
        {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(port),
            "EMAIL_USE_TLS": "False",
            "EMAIL_USE_SSL": "False",
        }
    )
    import logging

    import django

    django.setup()
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's per-command log
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.utils import timezone

    from accounts.models import Company, Role, User
    from events.models import Event
    from events.store import head_position
    from orders import commands
    from orders.demo import order_input
    from outbox.models import Subscription, WorkerHeartbeat

    call_command("migrate", interactive=False, verbosity=0)
    company = Company.objects.create(name="Notify Delay", slug="notify-delay")
    staff = User.objects.create(username="delay.staff", company=company, password="!")
    staff.groups.add(Group.objects.get(name=Role.STAFF.value))
    for index in range(args.managers):
        manager = User.objects.create(
            username=f"delay.manager{index}",
            email=f"manager{index}@delay.example",
            company=company,
            password="!",
        )
        manager.groups.add(Group.objects.get(name=Role.MANAGER.value))
    Subscription.objects.get_or_create(
        name="notifier", defaults={"head_at_start": head_position(), "created_at": timezone.now()}
    )

    arrivals = Arrivals()
    smtp = Controller(arrivals, hostname="127.0.0.1", port=port)
    smtp.start()
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "run_worker"],
        cwd=ROOT,
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait(lambda: WorkerHeartbeat.objects.exists(), 60, "the worker's first check-in")
        import random

        rng = random.Random(26)
        committed: dict[str, float] = {}
        started = time.perf_counter()
        for index in range(args.orders):
            time.sleep(max(0.0, started + index / args.rate - time.perf_counter()))
            details, lines = order_input(rng)
            order = commands.place_order(actor=staff, details=details, lines=lines)
            order = commands.submit(order.id, actor=staff, expected_version=order.version)
            committed_at = time.perf_counter()  # submit returned: its transaction committed
            event = Event.objects.get(stream_id=order.id, event_type="OrderSubmitted")
            committed[str(event.id)] = committed_at
        expected = args.orders * args.managers
        _wait(lambda: arrivals.count() >= expected, 120, f"{expected} mails")
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
        smtp.stop()

    delays = sorted(
        arrived - committed[event]
        for event, times in arrivals.times.items()
        if event in committed
        for arrived in times
    )
    figures = {
        "mails": len(delays),
        "p50_s": round(statistics.median(delays), 3),
        "p95_s": round(delays[max(0, int(len(delays) * 0.95) - 1)], 3),
        "max_s": round(delays[-1], 3),
        "goal_p95_s": args.goal,
        "database": os.environ["DATABASE_URL"].split(":", 1)[0],
    }
    print(
        f"commit-to-mail delay over {figures['mails']} mails ({figures['database']}): "
        f"p50 {figures['p50_s']} s, p95 {figures['p95_s']} s, max {figures['max_s']} s "
        f"(goal p95 <= {args.goal} s)"
    )
    if args.json:
        print(json.dumps(figures))
    return 3 if figures["p95_s"] > args.goal else 0


def _wait(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"notify_delay: timed out waiting for {what}")
        time.sleep(0.05)


if __name__ == "__main__":
    sys.exit(main())
