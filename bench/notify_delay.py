"""Commit-to-mail delay (issue #26, gated: p95 ≤ 2 s), measured beside the realistic load: a
company of its own, a real worker (`manage.py run_worker`) and a real SMTP server (aiosmtpd, in
this process); orders submitted at `rate` per second, each submit's commit and each mail's
arrival read on this process's clock."""

from __future__ import annotations

import logging
import random
import signal
import statistics
import subprocess
import threading
import time
from email import message_from_bytes

from bench.server import HOST, free_port, manage, wait_for

GOAL_P95_S = 2.0
COMPANY_SLUG = "notify-delay"  # the probe's own company: the page phases leave it out


class MailProbe:
    """A worker process and an SMTP server (this object is its aiosmtpd handler) on the
    configured database, and submits whose mails are timed, in a thread of its own beside a
    load. Use as a context manager (Django set up, migrated): submits from its start until
    `stop()`; after the block, `figures()`."""

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

    def __enter__(self) -> MailProbe:
        from aiosmtpd.controller import Controller

        from outbox.models import WorkerHeartbeat

        port = free_port()
        self.env.update(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST=HOST,
            EMAIL_PORT=str(port),
            EMAIL_USE_TLS="False",
            EMAIL_USE_SSL="False",
        )
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
        """Place and submit orders at `rate` per second until `stop()`."""
        from django.db import connection

        from events.models import Event
        from orders import commands
        from orders.demo import order_input

        rng, started, index = random.Random(26), time.perf_counter(), 0
        try:
            while not self._stop.is_set():
                self._stop.wait(max(0.0, started + index / self.rate - time.perf_counter()))
                details, lines = order_input(rng)
                try:
                    order = commands.place_order(actor=self.staff, details=details, lines=lines)
                    order = commands.submit(
                        order.id, actor=self.staff, expected_version=order.version
                    )
                except Exception as error:  # a busy database under load: counted, not fatal
                    self.errors.append(repr(error))
                else:
                    committed_at = time.perf_counter()  # submit returned: committed
                    event = Event.objects.get(stream_id=order.id, event_type="OrderSubmitted")
                    self.committed[str(event.id)] = committed_at
                index += 1
        finally:
            connection.close()

    def stop(self) -> None:
        """No more submits (the mails of those made are still awaited at the block's end)."""
        self._stop.set()
        self._thread.join()

    def __exit__(self, *exc) -> None:
        try:
            expected = len(self.committed) * self.managers
            arrived = wait_for(lambda: len(self.arrived) >= expected, 120, 0.05)
            if not arrived and exc[0] is None:  # else the error already on its way says more
                raise SystemExit(f"notify_delay: timed out waiting for {expected} mails")
        finally:
            self.worker.send_signal(signal.SIGTERM)
            try:
                self.worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.worker.kill()
            self.smtp.stop()

    def figures(self, goal: float = GOAL_P95_S) -> dict:
        """p50/p95/max commit-to-mail delay in seconds, mails counted and missing, the goal
        (judged by `bench.pages.evaluate_gate`)."""
        delays = sorted(at - self.committed[e] for e, at in self.arrived if e in self.committed)
        expected = len(self.committed) * self.managers
        figures = {
            "submits": len(self.committed),
            "mails": len(delays),
            "missing": max(0, expected - len(delays)),
            "submit_errors": len(self.errors),
            "goal_p95_s": goal,
        }
        if delays:
            figures.update(
                p50_s=round(statistics.median(delays), 3),
                p95_s=round(delays[max(0, int(len(delays) * 0.95) - 1)], 3),
                max_s=round(delays[-1], 3),
            )
        return figures


def _company_with_people(managers: int):
    """The probe's own company (made once; a reused bench database keeps it), its Staff user."""
    from django.contrib.auth.models import Group

    from accounts.models import Company, Role, User

    company, _ = Company.objects.get_or_create(slug=COMPANY_SLUG, defaults={"name": "Notify"})
    people = [("delay.staff", Role.STAFF, "")]
    people += [
        (f"delay.manager{i}", Role.MANAGER, f"manager{i}@delay.example") for i in range(managers)
    ]
    for username, role, email in people:
        user, made = User.objects.get_or_create(
            username=username, defaults={"company": company, "email": email, "password": "!"}
        )
        if made:
            user.groups.add(Group.objects.get(name=role.value))
    return User.objects.select_related("company").get(username="delay.staff")


def _subscribers_at_head() -> None:
    """Every subscriber starts at the log's head, nothing owed from before: the probe measures
    the worker in its steady state. (A bench database holds ~1M events the worker has never
    seen; the webhook sender starts at the beginning and would first walk all of them, 100
    per company per round, which delays every mail by minutes: a one-time catch-up, not the
    delay a user feels day to day.)"""
    from django.db.models import Max
    from django.utils import timezone

    from events.models import Event
    from events.store import head_position
    from outbox import engine
    from outbox.models import OutboxItem, SubscriberCheckpoint, Subscription

    now = timezone.now()
    last = Event.objects.order_by().values_list("company_id").annotate(p=Max("position"))
    for sub in engine.subscribers():
        # A company with no events yet (the probe's own, on a new database) gets its checkpoint
        # when the worker first reaches it: from this head on, not from the head of that moment
        # (which may already hold the probe's first submits).
        if sub.start == "head":
            Subscription.objects.update_or_create(
                name=sub.name, defaults={"head_at_start": head_position(), "created_at": now}
            )
        for company_id, position in last:
            SubscriberCheckpoint.objects.update_or_create(
                subscriber=sub.name,
                company_id=company_id,
                defaults={
                    "position": position,
                    "attempts": 0,
                    "next_attempt_at": None,
                    "last_error": "",
                    "updated_at": now,
                },
            )
    OutboxItem.objects.filter(status=OutboxItem.Status.PENDING).delete()
