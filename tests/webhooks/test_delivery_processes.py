"""Webhooks end to end with real processes: the worker (`manage.py run_worker`) delivering to a
receiver process that verifies every request with the Standard Webhooks library. The receiver
down for a while, the worker SIGKILLed mid-delivery, a replay from event N."""

from __future__ import annotations

import collections
import signal

import pytest

from events.models import Event
from tests import factories
from tests.outbox.processes import start_worker, stop, wait_for
from webhooks import commands
from webhooks.models import DeliveryAttempt

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("committed_db"),
    pytest.mark.slow,
]
FAST_RETRIES = {"WEBHOOK_BACKOFF_SECONDS": "0.2", "WEBHOOK_BACKOFF_MAX_MINUTES": "0.02"}


def register(manager, receiver, event_types=()):
    created = commands.create_endpoint(
        actor=manager, url=receiver.url, event_types=list(event_types)
    )
    receiver.secret = created.secret
    return created.endpoint


def order_events_after(endpoint) -> list[tuple[str, int]]:
    """(event id, company number) of the order events the endpoint is owed, in order."""
    rows = Event.objects.filter(
        company_id=endpoint.company_id, position__gt=endpoint.start_position
    ).order_by("position")
    return [(str(e.id), e.number) for e in rows if endpoint.wants(e.event_type)]


def make_orders(staff, manager, count: int) -> None:
    for _ in range(count):
        order = factories.place(staff)
        factories.advance(order, "approved", staff=staff, manager=manager)


def test_every_event_arrives_signed_in_company_order(acme, staff, manager, receiver):
    endpoint = register(manager, receiver)
    receiver.start()
    make_orders(staff, manager, 4)
    expected = order_events_after(endpoint)
    worker = start_worker(FAST_RETRIES)
    try:
        receiver.wait_for_ids({event_id for event_id, _ in expected})
    finally:
        stop(worker)
    entries = receiver.entries()
    assert all(entry["verified"] for entry in entries)
    assert [(e["id"], e["number"]) for e in entries] == expected  # once each, in order
    numbers = [number for _, number in expected]
    assert numbers == list(range(numbers[0], numbers[0] + len(numbers)))  # no gaps


def test_receiver_down_for_a_while_loses_nothing_and_keeps_order(acme, staff, manager, receiver):
    endpoint = register(manager, receiver, ["OrderPlaced", "OrderApproved"])
    worker = start_worker(FAST_RETRIES)  # the receiver is not running: connection refused
    try:
        make_orders(staff, manager, 3)
        wait_for(
            lambda: Event.objects.filter(event_type="OrderApproved").count() == 3,
            what="the orders",
        )
        wait_for(
            lambda: DeliveryAttempt.objects.filter(status_code__isnull=True).count() >= 3,
            what="several refused attempts",
        )
        receiver.start()
        make_orders(staff, manager, 2)
        expected = order_events_after(endpoint)
        receiver.wait_for_ids({event_id for event_id, _ in expected})
    finally:
        stop(worker)
    entries = receiver.entries()
    assert [(e["id"], e["number"]) for e in entries] == expected
    assert {e["type"] for e in entries} == {"OrderPlaced", "OrderApproved"}


def test_worker_killed_mid_delivery_repeats_only_with_the_same_webhook_id(
    acme, staff, manager, receiver
):
    endpoint = register(manager, receiver)
    receiver.start()
    make_orders(staff, manager, 3)
    expected = order_events_after(endpoint)
    worker = start_worker(FAST_RETRIES)
    receiver.kill_on(4, worker.pid)  # the 4th request: the worker dies waiting for the answer
    wait_for(lambda: worker.poll() is not None, what="the SIGKILL")
    assert worker.returncode == -signal.SIGKILL
    again = start_worker({**FAST_RETRIES, "WORKER_LEASE_SECONDS": "1"})
    try:
        receiver.wait_for_ids({event_id for event_id, _ in expected})
    finally:
        stop(again)
    entries = receiver.entries()
    assert {e["id"] for e in entries} == {event_id for event_id, _ in expected}
    bodies = collections.defaultdict(set)
    for entry in entries:
        bodies[entry["id"]].add(entry["body"])
    assert all(len(body) == 1 for body in bodies.values())  # a repeat is the same delivery
    first_seen = list(dict.fromkeys(e["id"] for e in entries))
    assert first_seen == [event_id for event_id, _ in expected]  # order kept


def test_replay_from_n_resends_exactly_n_to_head(acme, staff, manager, receiver):
    # Order events only: the replay's own access event is not part of what is compared.
    endpoint = register(manager, receiver, ["OrderPlaced", "OrderSubmitted", "OrderApproved"])
    receiver.start()
    make_orders(staff, manager, 3)
    expected = order_events_after(endpoint)
    worker = start_worker(FAST_RETRIES)
    try:
        receiver.wait_for_ids({event_id for event_id, _ in expected})
        delivered = len(receiver.entries())
        n = expected[3][1]
        replayed = [(i, number) for i, number in expected if number >= n]
        count = commands.replay(actor=manager, endpoint_id=endpoint.pk, from_number=n)
        assert count == len(replayed)
        wait_for(lambda: len(receiver.entries()) >= delivered + count, what="the replay")
    finally:
        stop(worker)
    again = [(e["id"], e["number"]) for e in receiver.entries()[delivered:]]
    assert again == replayed
