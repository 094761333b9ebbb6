"""Each endpoint's queue: the outbox items of subscriber "webhooks" whose `data["endpoint"]` is
the endpoint, oldest event first (position, then when owed). Only the head of an endpoint's
queue is ever sent; the rest wait (webhooks/delivery.py), so an endpoint sees its events in
company order, and one endpoint's outage holds back nobody else's."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone

from events.models import Event
from events.store import recorded_event, stream_version
from outbox import engine
from outbox.models import OutboxItem

SUBSCRIBER = "webhooks"
PENDING = OutboxItem.Status.PENDING


def owed(endpoint) -> QuerySet[OutboxItem]:
    """The endpoint's undelivered items, in the order they are sent."""
    return OutboxItem.objects.filter(
        subscriber=SUBSCRIBER,
        company_id=endpoint.company_id,
        status=PENDING,
        data__endpoint=str(endpoint.pk),
    ).order_by("position", "created_at")


def head(endpoint) -> OutboxItem | None:
    return owed(endpoint).first()


def owe(outbox: engine.Outbox, endpoint, event, number: int, *, key_suffix: str = "") -> bool:
    """Owe `event` (company number `number`) to `endpoint`; False if it was owed already."""
    item = outbox.add(
        f"{endpoint.pk}:{event.id}{key_suffix}",
        {"endpoint": str(endpoint.pk), "number": number},
        summary=f"POST {event.event_type} (event {number}) to webhook endpoint",
    )
    return item is not None


def release(endpoint, now, *, after_position: int | None = None) -> int:
    """Make the endpoint's owed items due now, attempts from zero (re-enabled, retry now, or the
    head was delivered: `after_position`). Returns how many."""
    items = owed(endpoint)
    if after_position is not None:
        items = items.filter(position__gte=after_position)
    return OutboxItem.objects.filter(pk__in=list(items.values_list("pk", flat=True))).update(
        next_attempt_at=now, attempts=0
    )


def owe_replay(endpoint, from_number: int) -> int:
    """Owe the company's matching events numbered `from_number`..head to `endpoint` again (keys
    made unique by the replay's version on the endpoint's stream). Returns how many."""
    rows = Event.objects.filter(company_id=endpoint.company_id, number__gte=from_number)
    suffix = f":replay{stream_version(endpoint.pk) + 1}"
    count, now = 0, timezone.now()
    for row in rows.order_by("number").iterator():
        if not endpoint.wants(row.event_type):
            continue
        event = recorded_event(row)
        outbox = engine.Outbox(SUBSCRIBER, endpoint.company_id, row.position, now, event)
        count += owe(outbox, endpoint, event, row.number, key_suffix=suffix)
    return count
