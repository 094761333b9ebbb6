"""A company's events in its own numbering (1, 2, 3… without gaps): the API's event feed and
the webhooks' bodies give each event in the same shape (`event_document`), so a consumer that
pulls and one that is pushed to read the same thing and can detect a gap by its number.

The numbers are the event rows' own (`Event.number`, given by the append): writers are
serialised (events.store), so number N+1 never commits before N and a reader that pages with
`after=` misses nothing.
"""

from __future__ import annotations

import uuid

from events import keystore, registry, store
from events.models import Event

MAX_BATCH = 500


def company_events(company_id: uuid.UUID, *, after: int = 0, limit: int = 100) -> list[dict]:
    """The company's events numbered after `after`, in number order, at most `limit` (≤
    MAX_BATCH), each as `event_document`. One indexed query whatever the log's size."""
    limit = max(1, min(limit, MAX_BATCH))
    rows = list(
        Event.objects.filter(company_id=company_id, number__gt=after).order_by("number")[:limit]
    )
    with keystore.keys_cached():  # an order's events share its key: read it once
        return [event_document(row, row.number) for row in rows]


def head_number(company_id: uuid.UUID) -> int:
    """The company's last event number (0 without events)."""
    return store.head_number(company_id)


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
