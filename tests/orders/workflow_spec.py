"""The workflow table from the product spec, as test data, and how to perform each action.

Written by hand from the spec, deliberately NOT derived from the FSM in `orders/models.py`:
the tests compare the two, so a wrong `@transition` (or a wrong grant) makes them fail.
"""

from __future__ import annotations

import pytest

from accounts.models import Role
from events.models import Event
from orders import commands
from orders.models import Order
from tests import factories

# In the spec's order, which is also the order of the dashboard's state cards.
STATES = (
    "draft",
    "submitted",
    "approved",
    "in_fulfilment",
    "shipped",
    "delivered",
    "on_hold",
    "cancelled",
)
FINAL_STATES = frozenset({"delivered", "cancelled"})
TRANSITIONS = (
    "submit",
    "approve",
    "reject",
    "start_fulfilment",
    "ship",
    "deliver",
    "hold",
    "resume",
    "cancel",
    "reopen",
)
ROLES = (Role.STAFF, Role.MANAGER, Role.AUDITOR, Role.OPS)
STAFF_AND_MANAGER = frozenset({Role.STAFF, Role.MANAGER})
MANAGER_ONLY = frozenset({Role.MANAGER})
HELD_FROM = "the state it was held from"

# (transition, from state) -> (to state, roles that may do it). Everything else is refused.
MOVES = {
    ("submit", "draft"): ("submitted", STAFF_AND_MANAGER),
    ("approve", "submitted"): ("approved", MANAGER_ONLY),
    ("reject", "submitted"): ("draft", MANAGER_ONLY),
    ("start_fulfilment", "approved"): ("in_fulfilment", STAFF_AND_MANAGER),
    ("ship", "in_fulfilment"): ("shipped", STAFF_AND_MANAGER),
    ("deliver", "shipped"): ("delivered", STAFF_AND_MANAGER),
    ("hold", "approved"): ("on_hold", STAFF_AND_MANAGER),
    ("hold", "in_fulfilment"): ("on_hold", STAFF_AND_MANAGER),
    ("resume", "on_hold"): (HELD_FROM, MANAGER_ONLY),
    ("cancel", "draft"): ("cancelled", STAFF_AND_MANAGER),
    ("cancel", "submitted"): ("cancelled", STAFF_AND_MANAGER),
    ("cancel", "approved"): ("cancelled", MANAGER_ONLY),
    ("cancel", "on_hold"): ("cancelled", MANAGER_ONLY),
    # A correction (issue #28): a delivery marked by mistake, within the company's window.
    ("reopen", "delivered"): ("shipped", MANAGER_ONLY),
}
# What the company's controls add to the drawn workflow (issue #28): a submit approves at once
# when the company auto-approves within its Staff limit, a two-Manager order's first approval
# keeps it submitted, and an approved order may be amended back to submitted. Staff approve only
# within the Staff limit (when the company sets one), but the diagram draws who may, at all.
POLICY_EDGES = {
    ("draft", "approved", "submit", STAFF_AND_MANAGER),
    ("submitted", "submitted", "approve", STAFF_AND_MANAGER),
    ("approved", "submitted", "amend", STAFF_AND_MANAGER),
}
DRAWN_ROLES = {"approve": STAFF_AND_MANAGER}
# Changes that keep the state: `None` means any state.
KEEPERS = {
    "change": (frozenset({"draft"}), STAFF_AND_MANAGER),
    "add_note": (None, STAFF_AND_MANAGER),
}
HOLDABLE = ("approved", "in_fulfilment")
ALLOWED_PAIRS = frozenset(
    (source, target)
    for (name, source), (to_state, _) in MOVES.items()
    for target in (HOLDABLE if to_state == HELD_FROM else (to_state,))
)
EVENT_TYPES = {
    "submit": "OrderSubmitted",
    "approve": "OrderApproved",
    "reject": "OrderRejected",
    "start_fulfilment": "OrderFulfilmentStarted",
    "ship": "OrderShipped",
    "deliver": "OrderDelivered",
    "hold": "OrderHeld",
    "resume": "OrderResumed",
    "cancel": "OrderCancelled",
    "reopen": "OrderReopened",
    "change": "OrderChanged",
    "add_note": "NoteAdded",
}
# The extra data each transition needs (and records in its event).
DATA = {
    "reject": {"reason": "Prices need to be checked"},
    "ship": {"carrier": "DHL", "tracking_number": "TRK123456"},
    "hold": {"reason": "Waiting for stock"},
    "cancel": {"reason": "Customer withdrew"},
    "reopen": {"reason": "Marked delivered by mistake"},
}
# What an event records besides the move and DATA, under the default policy (version 0): an
# approval records the policy and the rule it satisfied.
RECORDED = {
    "approve": {
        "policy_version": 0,
        "rule": "manager",
        "rule_text": "any amount: one Manager",
        "earlier_approvals": [],
    },
}
# factories.PATHS holds orders from approved, so resume there leads back to approved.
PATH_HELD_FROM = "approved"


def may(role: Role, action: str, state: str) -> bool:
    """Whether the spec lets `role` do `action` to an order in `state` (preconditions aside)."""
    if action in KEEPERS:
        states, roles = KEEPERS[action]
        return (states is None or state in states) and role in roles
    move = MOVES.get((action, state))
    return move is not None and role in move[1]


def perform(action: str, order_id, actor, *, expected_version: int, line_count: int = 2):
    """Do `action` (a transition name, 'change' or 'add_note') through the commands."""
    if action == "change":
        return commands.change_order(
            order_id,
            actor=actor,
            expected_version=expected_version,
            details=factories.details("Hooli Hardware"),
            lines=factories.lines(line_count),
        )
    if action == "add_note":
        return commands.add_note(
            order_id, actor=actor, expected_version=expected_version, text="Call before noon."
        )
    return commands.transition(
        order_id, action, actor=actor, expected_version=expected_version, **DATA.get(action, {})
    )


# One state in which each action is possible, for the tests that need "a state where it could".
POSSIBLE_IN = [(name, source) for name, source in MOVES] + [
    ("change", "draft"),
    ("add_note", "draft"),
    ("add_note", "delivered"),
]
POSSIBLE_IN_PARAMS = [
    pytest.param(action, state, id=f"{action}-from-{state}") for action, state in POSSIBLE_IN
]


def assert_nothing_recorded(order, state: str, events_before: int) -> None:
    """A refused command wrote no event and left the order in `state` at its version."""
    assert Event.objects.count() == events_before
    stored = Order.objects.get(pk=order.id)
    assert (stored.state, stored.version) == (state, order.version)
