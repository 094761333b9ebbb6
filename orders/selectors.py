"""Every query the order pages make. All of them are scoped to the user's company."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid

from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.request_context import recorded_request_id
from events import store
from events.models import Event
from events.registry import deserialize
from events.store import RecordedEvent
from projections.models import OrderSummary

from . import aggregate
from .events import (
    NoteAdded,
    OrderCancelled,
    OrderChanged,
    OrderDetails,
    OrderHeld,
    OrderPlaced,
    OrderRejected,
    OrderShipped,
    StateChanged,
)
from .exceptions import OrderValidationError
from .models import Order, OrderState
from .validation import clean_order

LIST_COLUMNS = (
    "id",
    "number",
    "state",
    "customer_name",
    "line_count",
    "total_cents",
    "currency",
    "placed_at",
    "last_changed_at",
    "last_actor",
    "state_since",
)
STATE_LABELS = dict(OrderState.choices)


def order_summaries(user):
    """The company's order summaries, as the dicts the list's rows show (no model instances)."""
    return OrderSummary.objects.filter(company_id=user.company_id).values(*LIST_COLUMNS)


def order_summary(user, order_id: uuid.UUID) -> OrderSummary:
    """One order's summary (header, lines, totals); Http404 when it is not the user's company's."""
    return get_object_or_404(OrderSummary.objects.filter(company_id=user.company_id), pk=order_id)


def order_state(user, order_id: uuid.UUID) -> Order:
    """The order-state row the FSM works on (for the available actions); Http404 as above."""
    return get_object_or_404(Order.objects.filter(company_id=user.company_id), pk=order_id)


def available_actions(order: Order, user) -> list:
    """The workflow transitions this user may take now, straight from the FSM."""
    return [t for t in order.get_available_user_state_transitions(user) if t.custom.get("workflow")]


def order_events(user, order_id: uuid.UUID, *, until: dt.datetime | None = None):
    """The order's events if it is the user's company's, else none."""
    if user.company_id is None:  # read_stream without a company reads any company's stream
        return []
    return store.read_stream(order_id, until=until, company=user.company_id)


@dataclasses.dataclass(frozen=True)
class HistoryEntry:
    position: int
    version: int
    occurred_at: dt.datetime
    actor: str
    event_type: str
    summary: str
    from_state: str = ""
    to_state: str = ""
    reason: str = ""
    carrier: str = ""
    tracking_number: str = ""
    request_id: str = ""

    @property
    def from_label(self) -> str:
        return STATE_LABELS.get(self.from_state, self.from_state)

    @property
    def to_label(self) -> str:
        return STATE_LABELS.get(self.to_state, self.to_state)


def history(user, order_id: uuid.UUID) -> list[HistoryEntry]:
    """The order's timeline, oldest first, read from the log itself (see systemPatterns.md);
    empty for another company's order (pages load `order_summary` first, which is their 404)."""
    return [describe(event) for event in order_events(user, order_id)]


def recent_identical_order(
    user, details: OrderDetails, lines, *, within: dt.timedelta
) -> OrderSummary | None:
    """The newest order `user` placed in the last `within` with exactly these details and lines
    (compared as the command stores them, after `validation.clean_order`), else None. None too
    when the data is invalid: the command then says what is wrong."""
    try:
        details, lines = clean_order(details, lines)
    except OrderValidationError:
        return None
    placed = Event.objects.filter(
        company_id=user.company_id,
        stream_type="order",
        event_type="OrderPlaced",
        metadata__actor_id=str(user.pk),
        recorded_at__gte=timezone.now() - within,
    ).order_by("-position")
    for event in placed.only("stream_id", "schema_version", "payload")[:20]:
        data = deserialize("OrderPlaced", event.schema_version, event.payload)
        if data.details == details and tuple(data.lines) == lines:
            return OrderSummary.objects.filter(pk=event.stream_id).first()
    return None


def last_change(user, order_id: uuid.UUID) -> HistoryEntry | None:
    """The order's newest event, described (who, when, what): what a stale page did not see.
    None for another company's order (as `history`)."""
    entries = history(user, order_id)
    return entries[-1] if entries else None


def describe(event: RecordedEvent) -> HistoryEntry:
    data = event.data
    common = {
        "position": event.position,
        "version": event.version,
        "occurred_at": event.occurred_at,
        "actor": event.actor_username,
        "event_type": event.event_type,
        "request_id": recorded_request_id(event.metadata),
    }
    if isinstance(data, OrderPlaced):
        return HistoryEntry(
            **common,
            to_state="draft",
            summary=(
                f"Placed {data.number} for {data.details.customer_name} "
                f"with {len(data.lines)} line(s)"
            ),
        )
    if isinstance(data, OrderChanged):
        return HistoryEntry(
            **common, summary=f"Changed details and lines ({len(data.lines)} line(s))"
        )
    if isinstance(data, NoteAdded):
        return HistoryEntry(**common, summary=f"Note: {data.text}")
    assert isinstance(data, StateChanged)
    extra = {}
    summary = f"{STATE_LABELS[data.from_state]} → {STATE_LABELS[data.to_state]}"
    if isinstance(data, (OrderRejected, OrderHeld, OrderCancelled)):
        extra["reason"] = data.reason
        summary += f" (reason: {data.reason})"
    if isinstance(data, OrderShipped):
        extra.update(carrier=data.carrier, tracking_number=data.tracking_number)
        summary += f" via {data.carrier}, tracking {data.tracking_number}"
    return HistoryEntry(
        **common, from_state=data.from_state, to_state=data.to_state, summary=summary, **extra
    )


def snapshot_as_of(user, order_id: uuid.UUID, moment: dt.datetime) -> aggregate.OrderSnapshot:
    """The order as it stood at `moment`, folded from the log (empty if it did not exist yet, or
    is another company's: `order_events` is scoped; the page has already answered 404 for it)."""
    return aggregate.fold(order_events(user, order_id, until=moment))


HISTORY_CSV_HEADER = [
    "position",
    "version",
    "occurred_at",
    "actor",
    "event_type",
    "from_state",
    "to_state",
    "reason",
    "carrier",
    "tracking_number",
    "summary",
    "request_id",
]


def history_csv_rows(entries: list[HistoryEntry]):
    """One row per entry, cells as in HISTORY_CSV_HEADER."""
    for e in entries:
        yield [
            e.position,
            e.version,
            e.occurred_at.isoformat(),
            e.actor,
            e.event_type,
            e.from_state,
            e.to_state,
            e.reason,
            e.carrier,
            e.tracking_number,
            e.summary,
            e.request_id,
        ]
