"""The order's projection: `OrderSummary`, the list, the detail header and the order's current
state, which `orders.Order` (the write side's FSM model) reads from the same row.

The order's own fields (state, version, held-from, line count, number, what the controls read)
evolve by the one set of rules in `orders.aggregate.evolve`; the projector adds only what the
pages show besides.

Every projector is a pure function of the events it is given, in log order, plus the rows it
already has: no clock, no lookups elsewhere. That is what makes rebuilds byte-identical. One
exception, by design: an `ErasureRecorded` makes the summary read its orders' latest details
again from the log, now that their keys are destroyed; a rebuild reads them the same way.
"""

from __future__ import annotations

import uuid

from common.money import to_cents
from common.typed_input import search_key
from events.store import RecordedEvent
from projections.models import OrderSummary
from projections.registry import (
    Projection,
    contents_before_erasure,
    continued_streams,
    register,
)
from projections.rows import rows_for

from .aggregate import evolve
from .events import (
    OrderAmended,
    OrderChanged,
    OrderDelivered,
    OrderPlaced,
    OrderRejected,
    OrderShipped,
    OrderSubmitted,
    StateChanged,
    lines_total,
)

ORDER_EVENTS = frozenset(
    {
        "OrderPlaced",
        "OrderChanged",
        "OrderSubmitted",
        "OrderApproved",
        "OrderRejected",
        "OrderFulfilmentStarted",
        "OrderShipped",
        "OrderDelivered",
        "OrderHeld",
        "OrderResumed",
        "OrderCancelled",
        "NoteAdded",
        "OrderApprovalRecorded",
        "OrderSubmittedAutoApproved",
        "OrderAmended",
        "OrderReopened",
    }
)
ERASURE = "ErasureRecorded"  # events.erasure: personal data erased (keys destroyed)
DETAILS_EVENTS = ("OrderPlaced", "OrderChanged", "OrderAmended")
PERSONAL_COLUMNS = ("customer_name", "customer_email", "shipping_address", "notes")
# Events that move an order between states (OrderAmended also replaces its lines).
STATE_EVENTS = ORDER_EVENTS - {"OrderChanged", "NoteAdded", "OrderApprovalRecorded"}


def lines_json(lines) -> list[dict]:
    return [
        {
            "sku": line.sku,
            "description": line.description,
            "quantity": line.quantity,
            "unit_price": str(line.unit_price),
        }
        for line in lines
    ]


@register
class OrderSummaryProjection(Projection):
    """`OrderSummary`: everything the list page shows, filters and sorts by, plus the header; and
    the order's state as the commands load it (`orders.Order` is this row: issue #25)."""

    name = "order_summary"
    # Still stream-local with erasures: an erasure's rows read what the order's own events
    # read after it, whichever of the two streams a rebuild replays first.
    stream_local = True
    handles = ORDER_EVENTS | {ERASURE}
    models = (OrderSummary,)
    stream_rows = (OrderSummary,)

    def apply(self, events: list[RecordedEvent], using: str) -> None:
        events = self.relevant(events)
        rows = rows_for(OrderSummary, using).load_ids(
            continued_streams(e for e in events if e.event_type != ERASURE)
        )
        for event in events:
            if event.event_type == ERASURE:
                _erase_personal_columns(rows, event)
                continue
            actor = event.actor_username
            if event.event_type == "OrderPlaced":
                data = event.data
                row = {"id": event.stream_id, "company_id": event.company_id}
                row = (
                    evolve(row, event)
                    | _details(data)
                    | {
                        "currency": data.currency,
                        "placed_at": event.occurred_at,
                        "placed_by": actor,
                        "last_changed_at": event.occurred_at,
                        "last_actor": actor,
                        "state_since": event.occurred_at,
                        "submitted_at": None,
                        "delivered_at": None,
                        "carrier": "",
                        "tracking_number": "",
                        "note_count": 0,
                        "rejection_reason": "",
                    }
                )
                rows.put(row | {"search_text": search_text(row)})
                continue
            row = evolve(rows.touch(event.stream_id), event)
            row["last_changed_at"], row["last_actor"] = event.occurred_at, actor
            if event.event_type == "NoteAdded":  # counted; its text is not decoded
                row["note_count"] += 1
                continue
            data = event.data
            if isinstance(data, (OrderChanged, OrderAmended)):
                row.update(_details(data))
                row["search_text"] = search_text(row)
            if isinstance(data, StateChanged):
                row["state_since"] = event.occurred_at
                if isinstance(data, OrderSubmitted):
                    row["submitted_at"] = event.occurred_at
                    row["rejection_reason"] = ""
                elif isinstance(data, OrderRejected):
                    row["rejection_reason"] = data.reason
                elif isinstance(data, OrderShipped):
                    row.update(carrier=data.carrier, tracking_number=data.tracking_number)
                elif isinstance(data, OrderDelivered):
                    row["delivered_at"] = event.occurred_at
        rows.save()


def _erase_personal_columns(rows, event: RecordedEvent) -> None:
    """The erased orders' personal columns, read again (`contents_before_erasure`)."""
    for stream_id, data in contents_before_erasure(rows, event, DETAILS_EVENTS):
        details = _details(data)
        row = rows.touch(stream_id)
        row.update({name: details[name] for name in PERSONAL_COLUMNS})
        row["search_text"] = search_text(row)  # it held the erased name and e-mail too


def _details(data: OrderPlaced | OrderChanged | OrderAmended) -> dict:
    details = data.details
    return {
        "customer_name": details.customer_name,
        "customer_reference": details.customer_reference,
        "customer_email": details.customer_email,
        "shipping_address": details.shipping_address,
        "notes": details.notes,
        "customer_id": uuid.UUID(details.customer_id) if details.customer_id else None,
        "lines": lines_json(data.lines),
        "total_cents": to_cents(lines_total(data.lines)),
    }


def search_text(row: dict) -> str:
    """What the list's search box looks in, in `search_key` form (NFC, Unicode case folding):
    the number, the customer's name, reference and e-mail, and each line's SKU and
    description, one per line of text (so a match never spans two fields)."""
    parts = [row["number"], row["customer_name"], row["customer_reference"]]
    parts.append(row["customer_email"])
    for line in row["lines"]:
        parts += [line["sku"], line["description"]]
    return search_key("\n".join(dict.fromkeys(part for part in parts if part)))
