"""Random order histories, made through `orders.commands` like real ones.

A history is a list of steps; each step picks a company, one of its open orders, an action and
a role, and moves the injected clock forward. Steps the workflow refuses (wrong state, wrong
role) raise a domain error and write nothing, as in production, and the history goes on; so any
list of steps is a valid history.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from hypothesis import strategies as st

from accounts.models import Company, Role
from orders import commands
from orders.exceptions import OrderError
from orders.models import Order
from tests import factories
from tests.orders.workflow_spec import TRANSITIONS

START = dt.datetime(2025, 3, 1, 8, 0, tzinfo=dt.UTC)
TRANSITION_DATA = {
    "reject": {"reason": "Wrong prices"},
    "hold": {"reason": "Stock check"},
    "cancel": {"reason": "Customer withdrew"},
    "ship": {"carrier": "DHL", "tracking_number": "TRK-42"},
}
FORWARD = ("submit", "approve", "start_fulfilment", "ship", "deliver", "resume")
# "advance" takes a move the order's state allows, mostly the forward one, so that histories
# reach every state; the other actions are tried whatever the state. "advance" comes first
# because Hypothesis leans towards (and shrinks to) the first choice.
ACTIONS = (
    *["advance"] * 8,
    "place",
    "place",
    "change",
    "add_note",
    *TRANSITIONS,
)
# Mostly the roles that may act; auditors and ops may do none of this, so they are refused.
ROLES = (Role.STAFF, Role.STAFF, Role.MANAGER, Role.MANAGER, Role.AUDITOR, Role.OPS)


@dataclasses.dataclass(frozen=True)
class Step:
    company: int  # index into the history's companies
    order: int  # which of that company's open orders (modulo how many there are)
    action: str
    role: Role
    pick: int  # which allowed move "advance" takes: the forward one unless pick >= 8
    line_count: int  # for place and change
    minutes_later: int  # how far the injected clock moves before this step


steps = st.builds(
    Step,
    company=st.integers(0, 1),
    order=st.integers(0, 2),
    action=st.sampled_from(ACTIONS),
    role=st.sampled_from(ROLES),
    pick=st.integers(0, 9),
    line_count=st.integers(0, 3),
    minutes_later=st.integers(0, 60 * 30),
)
histories = st.lists(steps, min_size=10, max_size=40)


@dataclasses.dataclass
class Outcome:
    """What a history did: the orders placed per company, and how many commands succeeded."""

    orders: dict[Company, list] = dataclasses.field(default_factory=dict)
    events: int = 0


def play(history: list[Step], companies: list[Company], *, start: dt.datetime = START) -> Outcome:
    outcome = Outcome(orders={company: [] for company in companies})
    clock = start
    for step in history:
        clock += dt.timedelta(minutes=step.minutes_later)
        company = companies[step.company]
        actor = factories.user(step.role, company)
        open_orders = list(
            Order.objects.filter(pk__in=outcome.orders[company])
            .exclude(state__in=["delivered", "cancelled"])
            .order_by("sequence")
        )
        try:
            if step.action == "place" or not open_orders:
                order = commands.place_order(
                    actor=actor,
                    details=factories.details(),
                    lines=factories.lines(step.line_count or 1),  # `change` makes empty ones
                    at=clock,
                )
                outcome.orders[company].append(order.id)
            else:
                _act(open_orders[step.order % len(open_orders)], step, actor, clock)
        except OrderError:
            continue
        outcome.events += 1
    return outcome


def _act(order: Order, step: Step, actor, at: dt.datetime) -> None:
    action, version = step.action, order.version
    if action == "advance":
        allowed = sorted(
            (t.name for t in order.get_available_state_transitions()),
            key=lambda name: (name not in FORWARD, name),
        )
        allowed = [name for name in allowed if name in commands.workflow_transitions()]
        action = allowed[0] if step.pick < 8 else allowed[step.pick % len(allowed)]
    if action == "change":
        commands.change_order(
            order.id,
            actor=actor,
            expected_version=version,
            details=factories.details(f"Customer {step.line_count}"),
            lines=factories.lines(step.line_count),
            at=at,
        )
    elif action == "add_note":
        commands.add_note(order.id, actor=actor, expected_version=version, text="Call", at=at)
    else:
        commands.transition(
            order.id,
            action,
            actor=actor,
            expected_version=version,
            at=at,
            **TRANSITION_DATA.get(action, {}),
        )


def _tour() -> list[Step]:
    def step(company, action, role, *, line_count=2, minutes_later=240):
        return Step(company, 0, action, role, 0, line_count, minutes_later)

    staff, manager, auditor = Role.STAFF, Role.MANAGER, Role.AUDITOR
    return [
        step(0, "place", staff),
        step(0, "change", staff, line_count=3),
        step(0, "add_note", manager),
        step(0, "submit", staff),
        step(0, "reject", manager),
        step(0, "submit", staff, minutes_later=60 * 24),
        step(0, "approve", auditor),  # refused: auditors may not approve
        step(0, "approve", manager),
        step(0, "hold", staff),
        step(0, "resume", manager),
        step(0, "start_fulfilment", staff),
        step(0, "hold", staff),
        step(0, "resume", manager, minutes_later=60 * 30),
        step(0, "ship", staff),
        step(0, "deliver", staff, minutes_later=60 * 50),
        step(1, "place", manager),
        step(1, "change", staff, line_count=0),
        step(1, "submit", staff),  # refused: no lines
        step(1, "cancel", staff),
        step(1, "place", staff),
        step(1, "submit", staff),
        step(1, "approve", manager),
        step(1, "cancel", staff),  # refused: only a manager may cancel approved work
        step(1, "cancel", manager),
    ]


# Every kind of event, both companies, refusals, a resubmission and days apart.
TOUR = _tour()
