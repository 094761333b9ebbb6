"""The dashboard's projection: per company, count and value by state (and how many of each state
were sent back by a rejection: the "Returned drafts" queue), placed/delivered/cancelled
per quarter of an hour (UTC, summed into anybody's local days by the selectors), and each
order's submit→deliver time.

A pure function of the events it is given, in log order, plus the rows it already has: no clock,
no lookups elsewhere, so a rebuild is byte-identical.
"""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from common.money import to_cents
from events.store import RecordedEvent
from orders.events import (
    OrderAmended,
    OrderCancelled,
    OrderChanged,
    OrderDelivered,
    OrderPlaced,
    OrderRejected,
    OrderSubmitted,
    lines_total,
)
from orders.models import OrderState
from orders.projectors import STATE_EVENTS
from projections.models import (
    DashboardActivity,
    DashboardOrder,
    DashboardStateTotal,
    key_uuid,
)
from projections.registry import Projection, continued_streams, register
from projections.rows import rows_for

DRAFT = OrderState.DRAFT.value


@register
class DashboardProjection(Projection):
    """Per company: count and value by state, placed/delivered per day, submit→deliver time."""

    name = "dashboard"
    stream_local = True
    handles = STATE_EVENTS | {"OrderChanged"}
    models = (DashboardOrder, DashboardStateTotal, DashboardActivity)
    stream_rows = (DashboardOrder,)
    sums: ClassVar = {
        DashboardStateTotal: ("count", "total_cents", "returned"),
        DashboardActivity: ("placed", "delivered", "cancelled"),
    }

    def apply(self, events: list[RecordedEvent], using: str) -> None:
        events = self.relevant(events)
        if not events:
            return
        orders = rows_for(DashboardOrder, using).load_ids(continued_streams(events))
        # Per-company counters: only what these events add is written ("add to the stored
        # values"), so they are never read first.
        totals = rows_for(
            DashboardStateTotal, using, _by_company_state, additive=self.sums[DashboardStateTotal]
        )
        activity = rows_for(
            DashboardActivity, using, _by_company_slot, additive=self.sums[DashboardActivity]
        )

        def bucket(company_id, state) -> dict:
            return totals.get_or_add((company_id, state), _new_state_total)

        def slot_row(company_id, slot) -> dict:
            return activity.get_or_add((company_id, slot), _new_activity)

        for event in events:
            data, company_id = event.data, event.company_id
            if isinstance(data, OrderPlaced):
                total = to_cents(lines_total(data.lines))
                orders.put(
                    {
                        "id": event.stream_id,
                        "company_id": company_id,
                        "total_cents": total,
                        "submitted_at": None,
                        "delivered_at": None,
                        "cycle_seconds": None,
                        "returned": False,
                    }
                )
                row = bucket(company_id, DRAFT)
                row["count"] += 1
                row["total_cents"] += total
                slot_row(company_id, _slot(event))["placed"] += 1
                continue
            order = orders.touch(event.stream_id)
            if isinstance(data, (OrderChanged, OrderAmended)):
                total = to_cents(lines_total(data.lines))
                # A draft's change happens in draft only (`orders.models.Order.change`'s one
                # source); an amendment says the state it leaves.
                state = data.from_state if isinstance(data, OrderAmended) else DRAFT
                bucket(company_id, state)["total_cents"] += total - order["total_cents"]
                order["total_cents"] = total
                if isinstance(data, OrderChanged):
                    continue
            old = bucket(company_id, data.from_state)
            old["count"] -= 1
            old["total_cents"] -= order["total_cents"]
            old["returned"] -= order["returned"]
            # As `OrderSummary.rejection_reason`: set by a rejection (with its reason), cleared
            # by the next submit.
            if isinstance(data, OrderSubmitted):
                order["returned"] = False
            elif isinstance(data, OrderRejected):
                order["returned"] = bool(data.reason)
            new = bucket(company_id, data.to_state)
            new["count"] += 1
            new["total_cents"] += order["total_cents"]
            new["returned"] += order["returned"]
            if isinstance(data, OrderSubmitted):
                order["submitted_at"] = event.occurred_at
            elif isinstance(data, OrderCancelled):
                slot_row(company_id, _slot(event))["cancelled"] += 1
            elif isinstance(data, OrderDelivered):
                slot_row(company_id, _slot(event))["delivered"] += 1
                order["delivered_at"] = event.occurred_at
                if order["submitted_at"] is not None:
                    seconds = int((event.occurred_at - order["submitted_at"]).total_seconds())
                    order["cycle_seconds"] = seconds
        for rowset in (orders, totals, activity):
            rowset.save()


def _by_company_state(row: dict):
    return (row["company_id"], row["state"])


def _by_company_slot(row: dict):
    return (row["company_id"], row["slot"])


def _new_state_total(key) -> dict:
    company_id, state = key
    row = {"company_id": company_id, "state": state, "count": 0, "total_cents": 0, "returned": 0}
    return {"id": key_uuid("state", company_id, state), **row}


def _new_activity(key) -> dict:
    company_id, slot = key
    row = {"company_id": company_id, "slot": slot, "quarter": quarter_number(slot)}
    counts = {"placed": 0, "delivered": 0, "cancelled": 0}
    return {"id": key_uuid("slot", company_id, slot.isoformat()), **row, **counts}


def _slot(event: RecordedEvent) -> dt.datetime:
    """The first instant (UTC) of the quarter of an hour the event happened in."""
    return quarter_hour(event.occurred_at)


def quarter_hour(moment: dt.datetime) -> dt.datetime:
    """`moment` (aware) in UTC, down to its quarter of an hour."""
    moment = moment.astimezone(dt.UTC)
    return moment.replace(minute=moment.minute - moment.minute % 15, second=0, microsecond=0)


EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
QUARTER = dt.timedelta(minutes=15)


def quarter_number(moment: dt.datetime) -> int:
    """The number of the quarter of an hour `moment` (aware) falls in, counted from 1970-01-01
    00:00 UTC (negative before): `DashboardActivity.quarter`."""
    return (moment - EPOCH) // QUARTER
