"""The projections: how each read model folds events into rows.

The order's own fields (state, version, held-from, line count, number) evolve by the one set of
rules in `orders.aggregate.evolve`; each projector adds only what its read model shows besides.

Every projector is a pure function of the events it is given, in log order, plus the rows it
already has: no clock, no lookups elsewhere. That is what makes rebuilds byte-identical.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone

from events.store import RecordedEvent
from orders.aggregate import evolve
from orders.events import (
    OrderAmended,
    OrderCancelled,
    OrderChanged,
    OrderDelivered,
    OrderPlaced,
    OrderRejected,
    OrderShipped,
    OrderSubmitted,
    StateChanged,
    lines_total,
)
from orders.models import Order, OrderState

from .models import (
    CompanyEventCount,
    DashboardCycle,
    DashboardDaily,
    DashboardOrder,
    DashboardStateTotal,
    EventNumber,
    OrderSummary,
    key_uuid,
)
from .registry import Projection, register
from .rows import rows_for

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
# Events that move an order between states (OrderAmended also replaces its lines).
STATE_EVENTS = ORDER_EVENTS - {"OrderChanged", "NoteAdded", "OrderApprovalRecorded"}


def cents(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())


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
class OrderStateProjection(Projection):
    """`orders.Order`: state, version and what the FSM needs. The write side reads it."""

    name = "order_state"
    stream_local = True
    handles = ORDER_EVENTS
    models = (Order,)

    def apply(self, events: list[RecordedEvent], using: str) -> None:
        events = self.relevant(events)
        rows = rows_for(Order, using).load_ids(e.stream_id for e in events)
        for event in events:
            if event.event_type == "OrderPlaced":
                rows.put(evolve({"id": event.stream_id, "company_id": event.company_id}, event))
            else:
                evolve(rows.touch(event.stream_id), event)
        rows.save()


@register
class OrderSummaryProjection(Projection):
    """`OrderSummary`: everything the list page shows, filters and sorts by, plus the header."""

    name = "order_summary"
    stream_local = True
    handles = ORDER_EVENTS
    models = (OrderSummary,)

    def apply(self, events: list[RecordedEvent], using: str) -> None:
        events = self.relevant(events)
        rows = rows_for(OrderSummary, using).load_ids(e.stream_id for e in events)
        for event in events:
            actor = event.actor_username
            if event.event_type == "OrderPlaced":
                data = event.data
                row = {"id": event.stream_id, "company_id": event.company_id}
                rows.put(
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
                continue
            row = evolve(rows.touch(event.stream_id), event)
            row["last_changed_at"], row["last_actor"] = event.occurred_at, actor
            if event.event_type == "NoteAdded":  # counted; its text is not decoded
                row["note_count"] += 1
                continue
            data = event.data
            if isinstance(data, (OrderChanged, OrderAmended)):
                row.update(_details(data))
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


def _details(data: OrderPlaced | OrderChanged | OrderAmended) -> dict:
    details = data.details
    return {
        "customer_name": details.customer_name,
        "customer_reference": details.customer_reference,
        "customer_email": details.customer_email,
        "shipping_address": details.shipping_address,
        "notes": details.notes,
        "lines": lines_json(data.lines),
        "skus": "\n".join(dict.fromkeys(line.sku for line in data.lines)),
        "total_cents": cents(lines_total(data.lines)),
    }


@register
class DashboardProjection(Projection):
    """Per company: count and value by state, placed/delivered per day, submit→deliver time."""

    name = "dashboard"
    stream_local = True
    handles = STATE_EVENTS | {"OrderChanged"}
    models = (DashboardOrder, DashboardStateTotal, DashboardDaily, DashboardCycle)

    def apply(self, events: list[RecordedEvent], using: str) -> None:
        events = self.relevant(events)
        if not events:
            return
        companies = {e.company_id for e in events}
        orders = rows_for(DashboardOrder, using).load_ids(e.stream_id for e in events)
        totals = rows_for(DashboardStateTotal, using, key=_by_company_state)
        # Only the buckets these events move: the states they leave and enter, and the current
        # state of the orders they change (a transition reads 2 of a company's ~9 rows).
        states = set()
        for event in events:
            if (order := orders.rows.get(event.stream_id)) is not None:
                states.add(order["state"])
            if event.event_type == "OrderPlaced":
                states.add(OrderState.DRAFT.value)
            elif isinstance(data := event.data, StateChanged):
                states.update((data.from_state, data.to_state))
        totals.load(company_id=companies, state=states)
        # Only placing, delivering and cancelling count per day; delivering adds a cycle time.
        daily = rows_for(DashboardDaily, using, key=_by_company_day)
        daily.load(company_id=companies, day={_day(e) for e in events if e.event_type in _DAILY})
        cycles = rows_for(DashboardCycle, using, key=_by_company)
        if any(e.event_type == "OrderDelivered" for e in events):
            cycles.load(company_id=companies)

        def bucket(company_id, state) -> dict:
            return totals.get_or_add((company_id, state), _new_state_total)

        def day_row(company_id, day) -> dict:
            return daily.get_or_add((company_id, day), _new_daily)

        for event in events:
            data, company_id = event.data, event.company_id
            if isinstance(data, OrderPlaced):
                total = cents(lines_total(data.lines))
                orders.put(
                    {
                        "id": event.stream_id,
                        "company_id": company_id,
                        "state": OrderState.DRAFT.value,
                        "total_cents": total,
                        "submitted_at": None,
                        "delivered_at": None,
                        "cycle_seconds": None,
                    }
                )
                row = bucket(company_id, OrderState.DRAFT.value)
                row["count"] += 1
                row["total_cents"] += total
                day_row(company_id, _day(event))["placed"] += 1
                continue
            order = orders.touch(event.stream_id)
            if isinstance(data, (OrderChanged, OrderAmended)):
                total = cents(lines_total(data.lines))
                bucket(company_id, order["state"])["total_cents"] += total - order["total_cents"]
                order["total_cents"] = total
                if isinstance(data, OrderChanged):
                    continue
            old = bucket(company_id, data.from_state)
            old["count"] -= 1
            old["total_cents"] -= order["total_cents"]
            new = bucket(company_id, data.to_state)
            new["count"] += 1
            new["total_cents"] += order["total_cents"]
            order["state"] = data.to_state
            if isinstance(data, OrderSubmitted):
                order["submitted_at"] = event.occurred_at
            elif isinstance(data, OrderCancelled):
                day_row(company_id, _day(event))["cancelled"] += 1
            elif isinstance(data, OrderDelivered):
                day_row(company_id, _day(event))["delivered"] += 1
                order["delivered_at"] = event.occurred_at
                if order["submitted_at"] is not None:
                    seconds = int((event.occurred_at - order["submitted_at"]).total_seconds())
                    order["cycle_seconds"] = seconds
                    cycle = cycles.get_or_add(company_id, _new_cycle)
                    cycle["delivered_count"] += 1
                    cycle["cycle_seconds_total"] += seconds
        for rowset in (orders, totals, daily, cycles):
            rowset.save()


_DAILY = frozenset({"OrderPlaced", "OrderDelivered", "OrderCancelled"})


def _by_company_state(row: dict):
    return (row["company_id"], row["state"])


def _by_company_day(row: dict):
    return (row["company_id"], row["day"])


def _by_company(row: dict):
    return row["company_id"]


def _new_state_total(key) -> dict:
    company_id, state = key
    row = {"company_id": company_id, "state": state, "count": 0, "total_cents": 0}
    return {"id": key_uuid("state", company_id, state), **row}


def _new_daily(key) -> dict:
    company_id, day = key
    row = {"company_id": company_id, "day": day, "placed": 0, "delivered": 0, "cancelled": 0}
    return {"id": key_uuid("day", company_id, day), **row}


def _new_cycle(company_id) -> dict:
    row = {"company_id": company_id, "delivered_count": 0, "cycle_seconds_total": 0}
    return {"id": key_uuid("cycle", company_id), **row}


def _day(event: RecordedEvent):
    return timezone.localtime(event.occurred_at, timezone.get_default_timezone()).date()


@register
class EventNumberProjection(Projection):
    """`EventNumber`: every event of every type gets the next number of its company's log.

    Not stream-local: a number depends on how the company's streams interleave, so a rebuild
    replays this one in log order (`engine.build_aside`)."""

    name = "event_number"
    stream_local = False
    models = (EventNumber, CompanyEventCount)

    def relevant(self, events):
        return events  # every type, including ones registered after this projection

    def apply(self, events: list[RecordedEvent], using: str) -> None:
        if not events:
            return
        counts = rows_for(CompanyEventCount, using, key=_by_company)
        counts.load(company_id={e.company_id for e in events})
        numbers = rows_for(EventNumber, using, key=_by_position)
        for event in events:
            count = counts.get_or_add(event.company_id, _new_count)
            count["count"] += 1
            numbers.put(
                {
                    "position": event.position,
                    "company_id": event.company_id,
                    "number": count["count"],
                }
            )
        counts.save()
        numbers.save()


def _by_position(row: dict):
    return row["position"]


def _new_count(company_id) -> dict:
    return {"id": key_uuid("event-count", company_id), "company_id": company_id, "count": 0}
