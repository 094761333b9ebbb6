"""A company's orders in every situation the dashboard shows (issue #25 §5), written through the
real commands at past moments, and the dashboard's figures computed again without the
dashboard: from the event log (states, since when, sent back, cycle times, activity) and the
write side's `Order` rows (numbers, sequence, totals, approvals), in plain Python.

`shown(client, user)` is what the page's context holds, reduced to comparable values;
`expected(user, now=…)` is the same from the log; the tests compare the two.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import random
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from accounts.locale import user_zone
from accounts.models import Role
from dashboard import queues as dashboard_queues
from events.models import Event
from orders import commands, policy
from orders.events import (
    OrderCancelled,
    OrderDelivered,
    OrderPlaced,
    OrderRejected,
    OrderSubmitted,
    PolicySettings,
    StateChanged,
)
from orders.models import FINAL_STATES, Order, OrderState
from tests import factories

# Orders of three lines (67.94) need two Managers above this; one or two lines (9.99, 31.97) one.
TWO_MANAGER_LIMIT = Decimal("50.00")
SHIP = {"carrier": "DHL", "tracking_number": "TRK1"}
REJECT = {"reason": "Prices need checking"}
CANCEL = {"reason": "Customer withdrew"}
HOLD = {"reason": "Waiting for stock"}
TO_SHIPPED = [
    ("submit", {}),
    ("approve", {}),
    ("start_fulfilment", {}),
    ("ship", SHIP),
]
# Each situation: the steps after placing (transition, data), and the lines (3: two Managers).
SITUATIONS = {
    "draft": ([], 2),
    "submitted": ([("submit", {})], 1),
    "first_of_two_approvals": ([("submit", {}), ("approve", {})], 3),
    "approved": ([("submit", {}), ("approve", {})], 2),
    "in_fulfilment": (TO_SHIPPED[:3], 1),
    "shipped": (TO_SHIPPED, 2),
    "delivered": ([*TO_SHIPPED, ("deliver", {})], 1),
    "delivered_after_a_rejection": (
        [("submit", {}), ("reject", REJECT), ("submit", {}), *TO_SHIPPED[1:], ("deliver", {})],
        2,
    ),
    "on_hold": ([("submit", {}), ("approve", {}), ("hold", HOLD)], 1),
    "cancelled": ([("cancel", CANCEL)], 2),
    "returned": ([("submit", {}), ("reject", REJECT)], 1),
    "returned_then_cancelled": ([("submit", {}), ("reject", REJECT), ("cancel", CANCEL)], 2),
    "resubmitted": ([("submit", {}), ("reject", REJECT), ("submit", {})], 1),
}


@dataclasses.dataclass
class People:
    staff: object
    anna: object  # a Manager: gives the first of two approvals
    ben: object  # another Manager
    auditor: object
    ops: object

    def by_role(self) -> dict[str, object]:
        return {
            "Staff": self.staff,
            "Manager (gave first approvals)": self.anna,
            "Manager": self.ben,
            "Auditor": self.auditor,
            "Ops": self.ops,
        }


def people(company) -> People:
    slug = company.slug
    return People(
        factories.user(Role.STAFF, company, username=f"{slug}.staff"),
        factories.user(Role.MANAGER, company, username=f"{slug}.anna"),
        factories.user(Role.MANAGER, company, username=f"{slug}.ben"),
        factories.user(Role.AUDITOR, company, username=f"{slug}.auditor"),
        factories.user(Role.OPS, company, username=f"{slug}.ops"),
    )


def seed(company, who: People, orders: int, *, now: dt.datetime, seed: int = 25) -> None:
    """`orders` orders of `company`, cycling through every situation, placed over the last 60
    days and moved on at random later moments (so some deliveries fall before the dashboard's
    default 30 days, some in it, and some open orders are stuck)."""
    current = policy.policy_in_force(company.pk)
    commands.change_policy(
        actor=who.ben,
        expected_version=current.version,
        settings=PolicySettings(two_manager_limit=TWO_MANAGER_LIMIT),
        at=now - dt.timedelta(days=61),
    )
    rng = random.Random(f"{seed}:{company.slug}")
    names = list(SITUATIONS)
    for index in range(orders):
        steps, line_count = SITUATIONS[names[index % len(names)]]
        at = now - dt.timedelta(days=rng.uniform(1, 60))
        order = factories.place(who.staff, line_count=line_count, at=at)
        for name, data in steps:
            at = min(at + dt.timedelta(hours=rng.uniform(0.5, 150)), now)
            actor = who.anna if name in ("approve", "reject", "resume") else who.staff
            order = commands.transition(
                order.id, name, actor=actor, expected_version=order.version, at=at, **data
            )


# --- what the page shows ----------------------------------------------------------------------


def figures(context) -> dict:
    """The dashboard's figures from a response's context, as plain comparable values."""
    return {
        "queues": [
            (
                q.state,
                q.returned,
                tuple(str(a) for a in q.actions),
                q.count,
                [(r["number"], r["first_by"], r["rejection_reason"]) for r in q.oldest],
            )
            for q in context["queues"]
        ],
        "second_approvals": (
            context["second_approvals"].count,
            [(r["number"], r["first_by"], r["yours"]) for r in context["second_approvals"].oldest],
        ),
        "cards": [(c.state, c.count, c.total_cents) for c in context["cards"]],
        "cycle": context["cycle"],
        "period_counts": (
            context["chart"]["placed_total"],
            context["chart"]["delivered_total"],
            context["chart"]["cancelled_total"],
        ),
        "stuck": (context["stuck"]["count"], [r["number"] for r in context["stuck"]["rows"]]),
    }


def shown(client, user) -> tuple[dict, object]:
    """The figures the dashboard shows `user`, and its period."""
    factories.log_in(client, user)
    response = client.get("/")
    assert response.status_code == 200
    return figures(response.context), response.context["period"]


# --- the same, computed again from the log ------------------------------------------------------


@dataclasses.dataclass
class Replayed:
    id: object
    number: str
    sequence: int
    total_cents: int
    approvals: list
    state: str = ""
    since: dt.datetime | None = None
    sent_back: bool = False
    submitted_at: dt.datetime | None = None


def replay(company) -> tuple[list[Replayed], list[tuple[str, dt.datetime, int | None]]]:
    """Each order of `company` as its events leave it, and the (kind, when, cycle seconds)
    of each placement, delivery and cancellation."""
    orders = {
        o.id: Replayed(o.id, o.number, o.sequence, o.total_cents, o.approvals)
        for o in Order.objects.filter(company=company)
    }
    activity = []
    for stored in Event.objects.filter(company=company, stream_type="order").order_by("position"):
        order, data, at = orders[stored.stream_id], stored.decoded(), stored.occurred_at
        if isinstance(data, OrderPlaced):
            order.state, order.since = OrderState.DRAFT, at
            activity.append(("placed", at, None))
        if not isinstance(data, StateChanged):
            continue
        order.state, order.since = data.to_state, at
        if isinstance(data, OrderSubmitted):
            order.submitted_at, order.sent_back = at, False
        elif isinstance(data, OrderRejected):
            order.sent_back = bool(data.reason)
        elif isinstance(data, OrderCancelled):
            activity.append(("cancelled", at, None))
        elif isinstance(data, OrderDelivered):
            cycle = None
            if order.submitted_at is not None:
                cycle = int((at - order.submitted_at).total_seconds())
            activity.append(("delivered", at, cycle))
    return list(orders.values()), activity


def expected(user, *, now: dt.datetime, period) -> dict:
    """What the dashboard must show `user` for the `period` (a `dashboard.selectors.Period`)."""
    orders, activity = replay(user.company)
    name = user.get_username()
    mine = {o.id for o in orders if o.state == "submitted" and any(
        a["by"] == name for a in o.approvals
    )}  # fmt: skip
    waiting = dashboard_queues.waiting_states(user)
    returned_only = {state for state, returned in waiting if returned}
    queues = []
    for (state, returned), actions in waiting.items():
        members = sorted(
            (
                o
                for o in orders
                if o.state == state
                and (state not in returned_only or o.sent_back)
                and o.id not in mine
            ),
            key=lambda o: (o.since, o.sequence),
        )
        oldest = [
            (
                o.number,
                o.approvals[0]["by"] if o.state == "submitted" and o.approvals else "",
                _reason(o),
            )
            for o in members[: dashboard_queues.QUEUE_ROWS]
        ]
        queues.append((state, returned, tuple(str(a) for a in actions), len(members), oldest))

    second = sorted(
        (o for o in orders if o.state == "submitted" and o.approvals), key=lambda o: o.sequence
    )
    # A Manager who has not approved it yet may give the second approval (Staff placed them).
    may_approve = user.has_perm("orders.approve_order")
    second_rows = [
        (o.number, o.approvals[0]["by"], may_approve and o.id not in mine)
        for o in second[: dashboard_queues.QUEUE_ROWS]
    ]

    cards = [
        (
            state,
            sum(1 for o in orders if o.state == state),
            sum(o.total_cents for o in orders if o.state == state),
        )
        for state in OrderState.values
    ]

    with timezone.override(user_zone(user)):
        start, end = period.bounds()
    inside = [
        (kind, cycle) for kind, at, cycle in activity if start <= at and (end is None or at < end)
    ]
    cycles = sorted(cycle for kind, cycle in inside if kind == "delivered" and cycle is not None)
    cutoff = now - dt.timedelta(days=settings.STUCK_AFTER_DAYS)
    stuck = sorted(
        (o for o in orders if o.state not in FINAL_STATES and o.since < cutoff),
        key=lambda o: o.since,
    )
    return {
        "queues": queues,
        "second_approvals": (len(second), second_rows),
        "cards": cards,
        "cycle": _cycle_times(cycles),
        "period_counts": tuple(
            sum(1 for k, _ in inside if k == kind) for kind in ("placed", "delivered", "cancelled")
        ),
        "stuck": (len(stuck), [o.number for o in stuck[:10]]),
    }


def _reason(order: Replayed) -> str:
    return REJECT["reason"] if order.sent_back else ""


def _cycle_times(cycles: list[int]):
    from dashboard.selectors import CycleTimes

    n = len(cycles)
    if not n:
        return CycleTimes(0, None, None, None)
    return CycleTimes(
        n,
        dt.timedelta(seconds=sum(cycles) / n),
        dt.timedelta(seconds=(cycles[(n - 1) // 2] + cycles[n // 2]) / 2),
        dt.timedelta(seconds=cycles[math.ceil(0.9 * n) - 1]),
    )
