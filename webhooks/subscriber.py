"""The webhooks' subscriber on the outbox engine (outbox/engine.py): `handle` owes each new
event to every endpoint of its company that wants it (committed with the checkpoint: each
matching event owed once per endpoint, none skipped); `deliver` sends an owed item when it
heads its endpoint's queue (webhooks/delivery.py)."""

from __future__ import annotations

import datetime as dt
import random

from django.conf import settings
from django.db.models import Min
from django.utils import timezone

from events.store import event_numbers, head_position
from outbox import engine

from . import delivery, queue
from .models import WebhookEndpoint


class WebhookSender(engine.Subscriber):
    name = queue.SUBSCRIBER
    event_types = None
    # Order is kept per endpoint by the queue, not per company by the engine: one receiver's
    # outage must not hold back another's.
    order_matters = False
    # From the log's beginning: an endpoint registered before the worker first ran is owed
    # everything after its registration (`start_position`); the stretch before the company's
    # first endpoint is passed over in one step (`passes_over`).
    start = "beginning"
    # Never parked by the engine: after WEBHOOK_RETRY_FOR of failures the endpoint is marked
    # failing instead, and its deliveries wait for it to be re-enabled.
    max_attempts = 1_000_000

    def __init__(self, clock=timezone.now):
        self.clock = clock

    def backoff(self, attempts: int) -> dt.timedelta:
        """Exponential with full jitter (AWS Architecture Blog, "Exponential Backoff and
        Jitter"): WEBHOOK_BACKOFF_BASE * 2^(attempts-1), capped at WEBHOOK_BACKOFF_MAX, times a
        random 0.5-1.0 so that many endpoints failing together do not retry together."""
        base = settings.WEBHOOK_BACKOFF_BASE * 2 ** min(attempts - 1, 30)
        return min(base, settings.WEBHOOK_BACKOFF_MAX) * random.uniform(0.5, 1.0)

    def passes_over(self, company_id, position: int) -> int:
        """Nothing at or before the company's earliest endpoint's `start_position` is owed, and
        with no endpoint nothing up to the log's head. The head is read first: an endpoint
        registered after that read starts at or after it (`create_endpoint` takes the head in
        the writers' transaction), so no owed event is passed over."""
        head = head_position()
        first = WebhookEndpoint.objects.filter(company_id=company_id).aggregate(
            p=Min("start_position")
        )["p"]
        return max(position, head if first is None else min(first, head))

    def handle(self, event, outbox) -> None:
        endpoints = [
            endpoint
            for endpoint in WebhookEndpoint.objects.filter(
                company_id=event.company_id, start_position__lt=event.position
            )
            if endpoint.wants(event.event_type)
        ]
        if not endpoints:
            return
        number = event_numbers(event.company_id, [event.position])[event.position]
        for endpoint in endpoints:
            queue.owe(outbox, endpoint, event, number)

    def deliver(self, item) -> None:
        delivery.deliver_item(item, now=self.clock())
