"""Fold an order's events into its state at any point: the history page's `as_of` view.

This is the log read directly, with no read model in between, so an auditor sees what the log
says. It understands every order event type.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

from events.store import RecordedEvent

from .events import (
    Line,
    NoteAdded,
    OrderChanged,
    OrderDetails,
    OrderPlaced,
    OrderShipped,
    StateChanged,
    lines_total,
)


@dataclasses.dataclass
class OrderSnapshot:
    id: object = None
    number: str = ""
    currency: str = ""
    state: str = ""
    version: int = 0
    details: OrderDetails | None = None
    lines: tuple[Line, ...] = ()
    notes: list[str] = dataclasses.field(default_factory=list)
    carrier: str = ""
    tracking_number: str = ""
    held_from: str = ""
    placed_at: dt.datetime | None = None
    last_changed_at: dt.datetime | None = None

    @property
    def exists(self) -> bool:
        return self.version > 0

    @property
    def total(self) -> Decimal:
        return lines_total(self.lines)


def fold(events: list[RecordedEvent]) -> OrderSnapshot:
    snapshot = OrderSnapshot()
    for event in events:
        apply(snapshot, event)
    return snapshot


def apply(snapshot: OrderSnapshot, event: RecordedEvent) -> None:
    data = event.data
    snapshot.version = event.version
    snapshot.last_changed_at = event.occurred_at
    if isinstance(data, OrderPlaced):
        snapshot.id, snapshot.number, snapshot.currency = (
            event.stream_id,
            data.number,
            data.currency,
        )
        snapshot.state, snapshot.placed_at = "draft", event.occurred_at
        snapshot.details, snapshot.lines = data.details, data.lines
    elif isinstance(data, OrderChanged):
        snapshot.details, snapshot.lines = data.details, data.lines
    elif isinstance(data, NoteAdded):
        snapshot.notes.append(data.text)
    elif isinstance(data, StateChanged):
        snapshot.held_from = data.from_state if data.to_state == "on_hold" else ""
        snapshot.state = data.to_state
        if isinstance(data, OrderShipped):
            snapshot.carrier, snapshot.tracking_number = data.carrier, data.tracking_number
