"""The dashboard's projection: per company, count and value by state, placed/delivered/cancelled
per day, and each order's submit→deliver time.

A pure function of the events it is given, in log order, plus the rows it already has: no clock,
no lookups elsewhere, so a rebuild is byte-identical.
"""

from __future__ import annotations

from django.utils import timezone

from common.money import to_cents
from events.store import RecordedEvent
from orders.events import (
    OrderAmended,
    OrderCancelled,
    OrderChanged,
    OrderDelivered,
    OrderPlaced,
    OrderSubmitted,
    lines_total,
)
from orders.models import OrderState
from orders.projectors import STATE_EVENTS
from projections.models import (
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
    models = (DashboardOrder, DashboardStateTotal, DashboardDaily)
    stream_rows = (DashboardOrder,)

    def apply(self, events: list[RecordedEvent], using: str) -> None:
        events = self.relevant(events)
        if not events:
            return
        orders = rows_for(DashboardOrder, using).load_ids(e.stream_id for e in events)
        # Per-company counters: only what these events add is written ("add to the stored
        # values"), so they are never read first.
        totals = rows_for(
            DashboardStateTotal, using, _by_company_state, additive=("count", "total_cents")
        )
        daily = rows_for(
            DashboardDaily, using, _by_company_day, additive=("placed", "delivered", "cancelled")
        )

        def bucket(company_id, state) -> dict:
            return totals.get_or_add((company_id, state), _new_state_total)

        def day_row(company_id, day) -> dict:
            return daily.get_or_add((company_id, day), _new_daily)

        for event in events:
            data, company_id = event.data, event.company_id
            if isinstance(data, OrderPlaced):
                total = to_cents(lines_total(data.lines))
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
                total = to_cents(lines_total(data.lines))
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
        for rowset in (orders, totals, daily):
            rowset.save()


_DAILY = frozenset({"OrderPlaced", "OrderDelivered", "OrderCancelled"})


def _by_company_state(row: dict):
    return (row["company_id"], row["state"])


def _by_company_day(row: dict):
    return (row["company_id"], row["day"])


def _new_state_total(key) -> dict:
    company_id, state = key
    row = {"company_id": company_id, "state": state, "count": 0, "total_cents": 0}
    return {"id": key_uuid("state", company_id, state), **row}


def _new_daily(key) -> dict:
    company_id, day = key
    row = {"company_id": company_id, "day": day, "placed": 0, "delivered": 0, "cancelled": 0}
    return {"id": key_uuid("day", company_id, day), **row}


def _day(event: RecordedEvent):
    return timezone.localtime(event.occurred_at, timezone.get_default_timezone()).date()
