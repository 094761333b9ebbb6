"""Every query the order pages make. All of them are scoped to the user's company."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid

from django.shortcuts import get_object_or_404
from django.utils import timezone

from common.request_context import recorded_request_id
from events import registry, store
from events.models import Event
from events.registry import deserialize
from events.store import RecordedEvent
from projections.models import OrderSummary
from projections.numbering import event_numbers

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
    "version",
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
    number: int | None = None  # in the company's log (`EventNumber`); shown instead of position

    @property
    def label(self) -> str:
        return registry.label_of(self.event_type)

    @property
    def from_label(self) -> str:
        return STATE_LABELS.get(self.from_state, self.from_state)

    @property
    def to_label(self) -> str:
        return STATE_LABELS.get(self.to_state, self.to_state)


def history(user, order_id: uuid.UUID) -> list[HistoryEntry]:
    """The order's timeline, oldest first, read from the log itself (see systemPatterns.md);
    empty for another company's order (pages load `order_summary` first, which is their 404)."""
    entries = [describe(event) for event in order_events(user, order_id)]
    numbers = event_numbers(user.company_id, [e.position for e in entries])
    return [dataclasses.replace(e, number=numbers.get(e.position)) for e in entries]


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


def snapshot_after(user, order_id: uuid.UUID, version: int) -> aggregate.OrderSnapshot:
    """The order as it stood right after its event `version` (1 = placed), folded from the log
    up to that event; empty for another company's order, as above."""
    if user.company_id is None:
        return aggregate.OrderSnapshot()
    events = store.read_stream(order_id, up_to_version=version, company=user.company_id)
    return aggregate.fold(events)


def snapshot_at(
    user, order_id: uuid.UUID, *, moment: dt.datetime | None = None, version: int | None = None
) -> aggregate.OrderSnapshot | None:
    """The order at `moment`, or right after its event `version`; None when neither is given."""
    if moment:
        return snapshot_as_of(user, order_id, moment)
    if version:
        return snapshot_after(user, order_id, version)
    return None


HISTORY_CSV_HEADER = [
    "number",
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
            e.number,
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


# --- bulk actions (list) --------------------------------------------------------------------

BULK_FIELDS = frozenset({"reason"})


def bulk_actions(user) -> list[tuple[str, str]]:
    """(name, label) of the workflow actions the list offers for ticked orders: those whose only
    data is a reason and whose permission `user` holds from some state; in workflow order."""
    probe = Order()
    actions = {
        t.name: t.custom["label"]
        for t in probe.get_all_state_transitions()
        if t.custom.get("workflow")
        and BULK_FIELDS.issuperset(t.custom["fields"])
        and t.has_perm(probe, user)
    }
    return list(actions.items())


def with_row_actions(rows, user, names: list[str]) -> list[dict]:
    """`rows` (the list's dicts: state, line_count, ...), each with `actions` added: the
    space-separated `names` the FSM allows `user` on that row now (state, permission,
    conditions): the list's script offers the actions every ticked row allows."""
    by_name = {}
    for t in Order().get_all_state_transitions():
        if t.name in names:
            by_name.setdefault((t.name, t.source), t)
    result = []
    for row in rows:
        probe = Order(state=row["state"], line_count=row["line_count"])
        allowed = [
            name
            for name in names
            if (t := by_name.get((name, row["state"])))
            and t.has_perm(probe, user)
            and all(condition(probe) for condition in t.conditions)
        ]
        result.append({**row, "actions": " ".join(allowed)})
    return result


def order_numbers(user, order_ids) -> dict[uuid.UUID, str]:
    """order id -> number, for the user's company's orders among `order_ids`."""
    return dict(
        OrderSummary.objects.filter(company_id=user.company_id, pk__in=list(order_ids)).values_list(
            "id", "number"
        )
    )


# --- the list as CSV ------------------------------------------------------------------------

ORDER_CSV_HEADER = [
    "number",
    "customer",
    "state",
    "lines",
    "total",
    "currency",
    "placed_at",
    "last_changed_at",
    "last_actor",
    "state_since",
    "customer_reference",
    "customer_email",
]
_CSV_COLUMNS = (
    "number",
    "customer_name",
    "state",
    "line_count",
    "total_cents",
    "currency",
    "placed_at",
    "last_changed_at",
    "last_actor",
    "state_since",
    "customer_reference",
    "customer_email",
)


def order_csv_rows(summaries, *, chunk_size: int = 2000):
    """The rows of the filtered, sorted list `summaries` (an `order_summaries` queryset after
    the filters), all pages; cells as in ORDER_CSV_HEADER: total in major units with two
    decimals, times ISO 8601 (UTC), state as its label.

    The ids are read first, in the list's order (one query: the set and order are the list's
    at that moment), then the rows by id in chunks: no cursor stays open between chunks, so an
    abandoned download holds nothing."""
    ids = list(summaries.values_list("id", flat=True))
    for start in range(0, len(ids), chunk_size):
        chunk = ids[start : start + chunk_size]
        found = {
            row["id"]: row
            for row in OrderSummary.objects.filter(pk__in=chunk).values("id", *_CSV_COLUMNS)
        }
        for order_id in chunk:
            if order_id in found:
                yield _csv_cells(found[order_id])


def _csv_cells(row: dict) -> list:
    units, cents = divmod(row["total_cents"], 100)
    return [
        row["number"],
        row["customer_name"],
        STATE_LABELS.get(row["state"], row["state"]),
        row["line_count"],
        f"{units}.{cents:02d}",
        row["currency"],
        row["placed_at"].isoformat(),
        row["last_changed_at"].isoformat(),
        row["last_actor"],
        row["state_since"].isoformat(),
        row["customer_reference"],
        row["customer_email"],
    ]
