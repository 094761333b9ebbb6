"""A company's events in its own numbering (1, 2, 3… without gaps): the API's event feed and
the webhooks' bodies give each event in the same shape (`event_document`), so a consumer that
pulls and one that is pushed to read the same thing and can detect a gap by its number.

The numbers come from the `event_number` projection, written inline with each event: writers
are serialised (events.store), so number N+1 never commits before N and a reader that pages
with `after=` misses nothing.
"""

from __future__ import annotations

import uuid

from events import keystore, registry
from events.models import Event

from .models import EventNumber

MAX_BATCH = 500


def company_events(company_id: uuid.UUID, *, after: int = 0, limit: int = 100) -> list[dict]:
    """The company's events numbered after `after`, in number order, at most `limit` (≤
    MAX_BATCH), each as `event_document`. Two indexed queries whatever the log's size."""
    limit = max(1, min(limit, MAX_BATCH))
    numbers = list(
        EventNumber.objects.filter(company_id=company_id, number__gt=after)
        .order_by("number")
        .values_list("position", "number")[:limit]
    )
    if not numbers:
        return []
    rows = {e.position: e for e in Event.objects.filter(position__in=[p for p, _ in numbers])}
    with keystore.keys_cached():  # an order's events share its key: read it once
        return [event_document(rows[position], number) for position, number in numbers]


def head_number(company_id: uuid.UUID) -> int:
    """The company's last event number (0 without events)."""
    last = (
        EventNumber.objects.filter(company_id=company_id)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    return last or 0


def event_document(event: Event, number: int) -> dict:
    """One event as integrations see it: its id, company number, type and label, the stream it
    belongs to (`order_id` for an order's events), the stream version, when, who and its data.
    Only the event's own company's data: the payload and metadata are that event's."""
    return {
        "id": str(event.id),
        "number": number,
        "type": event.event_type,
        "label": registry.label_of(event.event_type),
        "stream_type": event.stream_type,
        "stream_id": str(event.stream_id),
        "order_id": str(event.stream_id) if event.stream_type == "order" else None,
        "version": event.version,
        "occurred_at": event.occurred_at.isoformat(),
        "actor": event.metadata.get("actor_username") or "system",
        "data": event.opened_payload(),
    }
