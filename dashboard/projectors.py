"""The dashboard's projection: per company, count and value by state, placed/delivered/cancelled
per day, and each order's submit→deliver time.

A pure function of the events it is given, in log order, plus the rows it already has: no clock,
no lookups elsewhere, so a rebuild is byte-identical.
"""

from __future__ import annotations

from django.utils import timezone

from events.store import RecordedEvent
from orders.events import (
    OrderCancelled,
    OrderChanged,
    OrderDelivered,
    OrderPlaced,
    OrderSubmitted,
    StateChanged,
    lines_total,
)
from orders.models import OrderState
from orders.projectors import STATE_EVENTS, cents
from projections.models import (
    DashboardCycle,
    DashboardDaily,
    DashboardOrder,
    DashboardStateTotal,
    key_uuid,
)
from projections.registry import Projection, register
from projections.rows import rows_for


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
            if isinstance(data, OrderChanged):
                total = cents(lines_total(data.lines))
                bucket(company_id, order["state"])["total_cents"] += total - order["total_cents"]
                order["total_cents"] = total
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
