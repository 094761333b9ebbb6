"""Subscribers used by the outbox tests: a recorder (in-process) and a mailer (in the worker
process, through Django's SMTP backend) that puts the item's key in a header."""

from __future__ import annotations

import datetime as dt
import os

from django.core.mail import EmailMessage

from outbox import engine


class Clock:
    """An injected clock the test moves by hand: called, the wall clock (a datetime);
    `monotonic()`, the seconds that have passed (as `time.monotonic`). `advance` moves both;
    `set_wall` moves only the wall clock, as NTP or a resumed VM does."""

    def __init__(self, start: dt.datetime):
        self.at = start
        self.ticks = 1000.0

    def __call__(self) -> dt.datetime:
        return self.at

    def monotonic(self) -> float:
        return self.ticks

    def advance(self, **kwargs) -> None:
        step = dt.timedelta(**kwargs)
        self.at += step
        self.ticks += step.total_seconds()

    def set_wall(self, **kwargs) -> None:
        self.at += dt.timedelta(**kwargs)


class Recorder(engine.Subscriber):
    """Owes one item per wanted event; `deliver` records the key, failing while `failures`
    says so ({key: times to fail}) or when `fail_handle` names the event's type."""

    name = "recorder"
    event_types = None

    def __init__(self, *, order_matters=False, start="beginning", max_attempts=3, types=None):
        self.order_matters, self.start, self.max_attempts = order_matters, start, max_attempts
        self.event_types = types
        self.delivered: list[str] = []
        self.failures: dict[str, int] = {}
        self.fail_handle: set[str] = set()

    def handle(self, event, outbox):
        outbox.add(f"rec:{event.id}", {"type": event.event_type, "position": event.position})
        if event.event_type in self.fail_handle:
            raise RuntimeError(f"cannot handle {event.event_type}")

    def deliver(self, item):
        if self.failures.get(item.key, 0) > 0:
            self.failures[item.key] -= 1
            raise ConnectionError("receiver down")
        self.delivered.append(item.data["type"])


class TestMailer(engine.Subscriber):
    """In the worker process: one mail per event of the log, header X-Ledgerline-Event."""

    name = "test-mailer"
    start = "beginning"
    max_attempts = int(os.environ.get("TEST_MAILER_MAX_ATTEMPTS", "50"))

    def backoff(self, attempts):
        return dt.timedelta(seconds=float(os.environ.get("TEST_MAILER_BACKOFF", "0.2")))

    def handle(self, event, outbox):
        outbox.add(str(event.id), {"type": event.event_type}, summary=f"Mail {event.event_type}")

    def deliver(self, item):
        EmailMessage(
            f"Event {item.data['type']}",
            "body",
            "ledgerline@localhost",
            ["ops@example.com"],
            headers={"X-Ledgerline-Event": item.key},
        ).send()


def run_test_worker() -> None:
    """The worker process of the tests (after django.setup()): the real run_worker command,
    with TestMailer only."""
    from django.core.management import call_command

    engine._subscribers.clear()
    engine.register(TestMailer())
    call_command("run_worker")
