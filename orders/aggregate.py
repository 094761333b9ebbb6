"""How an order's state evolves from its events: the rules, written once.

`evolve` is the one place that says what each event does to an order's fields (state, version,
held-from state, line count, number). Everything that folds order events uses it: the
`order_summary` projector (inline and in rebuilds; its row is `orders.Order` too), the
history page's `as_of` snapshot (`fold`, the log read directly, so an auditor sees what the log
says), and the benchmark seed. What may happen next (the workflow) is the FSM on `orders.Order`;
this module only records what did happen.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import Any, NamedTuple

from common.money import to_cents
from events.registry import DomainEvent
from events.store import RecordedEvent

from .events import (
    Line,
    NoteAdded,
    OrderAmended,
    OrderApprovalRecorded,
    OrderApproved,
    OrderChanged,
    OrderDelivered,
    OrderDetails,
    OrderHeld,
    OrderPlaced,
    OrderReopened,
    OrderShipped,
    OrderSubmitted,
    StateChanged,
    lines_total,
)
from .models import OrderState


class Pending(NamedTuple):
    """An event about to be recorded as version `version` of its stream: what `evolve` reads
    of a RecordedEvent (the seed evolves its orders before any row exists)."""

    version: int
    data: DomainEvent

    @property
    def event_type(self) -> str:
        return self.data.event_type


def evolve(order: dict[str, Any], event: RecordedEvent | Pending) -> dict[str, Any]:
    """Apply one event to `order` in place and return it.

    `order` holds the `orders.Order` fields by name (`number`, `sequence`, `state`, `version`,
    `held_from`, `line_count`, and what the company's controls read: `total_cents`, `authors`,
    `approvals`, `delivered_at`; a projection's row may hold more, which are left alone). An
    `OrderPlaced` sets them all; a later event sets only what it changes. A `NoteAdded` only
    moves the version, and its text is not even decoded (replays skip most payloads).

    Four eyes reads `authors`: who placed the order and who last changed its contents (a draft
    change or an amendment). `approvals` are those given since the order was last submitted
    (a submit, a rejection or an amendment starts a new round).
    """
    actor = getattr(event, "actor_username", "")  # a seed's `Pending` has no actor
    if event.event_type == "OrderPlaced":
        data: OrderPlaced = event.data
        order.update(
            number=data.number,
            sequence=data.sequence,
            state=OrderState.DRAFT.value,
            version=event.version,
            held_from="",
            line_count=len(data.lines),
            total_cents=to_cents(lines_total(data.lines)),
            authors=[actor] if actor else [],
            approvals=[],
            delivered_at=None,
        )
        return order
    order["version"] = event.version
    if event.event_type == "NoteAdded":
        return order
    data = event.data
    if isinstance(data, (OrderChanged, OrderAmended)):
        order["line_count"] = len(data.lines)
        order["total_cents"] = to_cents(lines_total(data.lines))
        placed_by = order.get("authors", [])[:1]
        order["authors"] = list(dict.fromkeys([*placed_by, actor])) if actor else placed_by
    if isinstance(data, StateChanged):
        order["state"] = data.to_state
        # Resuming goes back to this state (the FSM's RETURN_VALUE target on `Order.resume`).
        order["held_from"] = data.from_state if isinstance(data, OrderHeld) else ""
        if isinstance(data, OrderApproved):
            order["approvals"] = [*order.get("approvals", []), _approval(event, actor)]
        elif isinstance(data, (OrderSubmitted, OrderAmended)) or data.to_state == "draft":
            order["approvals"] = []
        if isinstance(data, OrderDelivered):
            order["delivered_at"] = getattr(event, "occurred_at", None)
        elif isinstance(data, OrderReopened):
            order["delivered_at"] = None
    elif isinstance(data, OrderApprovalRecorded):
        order["approvals"] = [*order.get("approvals", []), _approval(event, actor)]
    return order


def _approval(event, actor: str) -> dict:
    at = getattr(event, "occurred_at", None)  # in UTC: the live write and a replay agree
    return {"by": actor, "at": at.astimezone(dt.UTC).isoformat() if at else ""}


@dataclasses.dataclass
class OrderSnapshot:
    """An order as it stood at some moment. The `Order` fields are evolved by `evolve` (on
    `vars(snapshot)`); the rest is what the history page shows besides."""

    id: object = None
    number: str = ""
    sequence: int = 0
    currency: str = ""
    state: str = ""
    version: int = 0
    held_from: str = ""
    line_count: int = 0
    total_cents: int = 0
    authors: list[str] = dataclasses.field(default_factory=list)
    approvals: list[dict] = dataclasses.field(default_factory=list)
    delivered_at: dt.datetime | None = None
    details: OrderDetails | None = None
    lines: tuple[Line, ...] = ()
    notes: list[str] = dataclasses.field(default_factory=list)
    carrier: str = ""
    tracking_number: str = ""
    placed_at: dt.datetime | None = None
    last_changed_at: dt.datetime | None = None

    @property
    def exists(self) -> bool:
        return self.version > 0

    @property
    def total(self) -> Decimal:
        return lines_total(self.lines)


def fold(events: list[RecordedEvent]) -> OrderSnapshot:
    """The snapshot after `events` (one stream's, in version order); empty for no events."""
    snapshot = OrderSnapshot()
    for event in events:
        apply(snapshot, event)
    return snapshot


def apply(snapshot: OrderSnapshot, event: RecordedEvent) -> None:
    """Apply one event to `snapshot` in place."""
    evolve(vars(snapshot), event)
    snapshot.last_changed_at = event.occurred_at
    data = event.data
    if isinstance(data, OrderPlaced):
        snapshot.id, snapshot.currency, snapshot.placed_at = (
            event.stream_id,
            data.currency,
            event.occurred_at,
        )
        snapshot.details, snapshot.lines = data.details, data.lines
    elif isinstance(data, (OrderChanged, OrderAmended)):
        snapshot.details, snapshot.lines = data.details, data.lines
    elif isinstance(data, NoteAdded):
        snapshot.notes.append(data.text)
    elif isinstance(data, OrderShipped):
        snapshot.carrier, snapshot.tracking_number = data.carrier, data.tracking_number
