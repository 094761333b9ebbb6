"""The role queues on the dashboard: the orders waiting for the user's actions, from the FSM."""

from __future__ import annotations

import dataclasses
import datetime as dt

from django.utils.translation import gettext_lazy as _

from orders import policy
from orders.models import Order, OrderState
from orders.selectors import STATE_LABELS
from projections.models import DashboardStateTotal, OrderSummary

QUEUE_ROWS = 5


@dataclasses.dataclass(frozen=True)
class Queue:
    """Orders waiting for the user: `state` (and `returned`: only drafts sent back by a
    rejection), the actions they wait for, how many, the `oldest` rows (dicts: id, number,
    customer_name, state_since, rejection_reason; longest in the state first) and the list's
    query string showing all of them."""

    state: str
    returned: bool
    actions: tuple[str, ...]
    count: int
    oldest: list[dict]

    @property
    def label(self) -> str:
        return _("Returned drafts") if self.returned else STATE_LABELS[self.state]

    @property
    def query(self) -> str:
        extra = "&returned=true" if self.returned else ""
        return f"state={self.state}{extra}&sort=since"


def waiting_states(user) -> dict[tuple[str, bool], tuple[str, ...]]:
    """(state, returned-only) -> the labels of the actions orders in that state wait for, from
    the FSM: each workflow transition with a `queue` whose permission `user` holds makes its
    source states wait for them. In workflow order; {} for a read-only role."""
    waiting: dict[tuple[str, bool], list[str]] = {}
    probe = Order()
    for t in probe.get_all_state_transitions():
        queue = t.custom.get("queue")
        if not queue or not t.has_perm(probe, user):
            continue
        waiting.setdefault((t.source, queue == "returned"), []).append(t.custom["label"])
    order = {state: index for index, state in enumerate(OrderState.values)}
    return {
        key: tuple(dict.fromkeys(labels))
        for key, labels in sorted(waiting.items(), key=lambda item: order[item[0][0]])
    }


QUEUE_FIELDS = ("id", "number", "state", "customer_name", "state_since", "rejection_reason")


def role_queues(user, *, rows: int = QUEUE_ROWS, waiting_second=None) -> list[Queue]:
    """The queues waiting for `user` in their company (see `waiting_states`), each with its
    count and up to `rows` oldest orders, in a fixed number of queries whatever the number of
    orders, each reading about as many rows as it returns (issue #25 §5): the counts are the
    dashboard projection's per-state totals (a row per state); the oldest rows one query per
    state, `rows` read in order from an index ((company, state, state_since, sequence); the
    returned drafts from the partial index of the orders sent back). Submitted orders that
    already have an approval (#28) are read through their own partial index: those `user`
    approved wait for someone else and leave their queue and its count; the others say whose
    second approval they wait for (`first_by` on the row); `waiting_second`: those orders if
    the caller read them already (`waiting_for_second_approval`)."""
    waiting = waiting_states(user)
    if not waiting:
        return []
    company_id = user.company_id
    first_by, approved_by_me = (
        _first_approvals(user, waiting_second)
        if (OrderState.SUBMITTED, False) in waiting
        else ({}, [])
    )
    states = list(dict.fromkeys(state for state, _ in waiting))
    # A state waits once per user today (wholly, or only its drafts sent back).
    returned_only = {state for state, returned in waiting if returned}
    totals = {
        state: returned if state in returned_only else count
        for state, count, returned in DashboardStateTotal.objects.filter(
            company_id=company_id, state__in=states
        ).values_list("state", "count", "returned")
    }
    if approved_by_me and OrderState.SUBMITTED in totals:
        totals[OrderState.SUBMITTED] -= len(approved_by_me)
    # One LIMITed query per state (each stops after its `rows`): cheaper to build and run than
    # their UNION, which Django also refuses to make of sliced querysets on SQLite.
    per_state: dict[str, list[dict]] = {}
    # Built once, each state's query a clone with its state: a third of the ORM's work per query.
    company_rows = (
        OrderSummary.objects.filter(company_id=company_id)
        .order_by("state_since", "sequence")
        .values(*QUEUE_FIELDS)
    )
    for state in states:
        in_queue = company_rows.filter(state=state)
        if state in returned_only:
            in_queue = in_queue.exclude(rejection_reason="")
        if approved_by_me and state == OrderState.SUBMITTED:
            in_queue = in_queue.exclude(pk__in=approved_by_me)
        oldest = list(in_queue[:rows])
        for row in oldest:
            row["first_by"] = first_by.get(row["id"], "")
        per_state[state] = oldest
    return [
        Queue(state, returned, actions, totals.get(state, 0), per_state.get(state, []))
        for (state, returned), actions in waiting.items()
    ]


def waiting_for_second_approval(company_id) -> list[Order]:
    """The company's submitted orders that have an approval already (they wait for a second
    Manager), in order: read through their partial index (`order_co_second_approval`), so
    the cost follows how many wait, never the company's other orders. The dashboard reads
    them once for its queues and its tile."""
    return list(
        Order.objects.filter(company_id=company_id, state=OrderState.SUBMITTED)
        .exclude(approvals=[])
        .order_by("sequence")
    )


def _first_approvals(user, waiting=None) -> tuple[dict, list]:
    """Submitted orders of `user`'s company that have approvals already (those waiting for a
    second Manager): {order id: who approved first} for the ones `user` did not approve, and
    the ids of the ones `user` approved (they cannot approve twice)."""
    username = user.get_username()
    first_by, mine = {}, []
    if waiting is None:
        waiting = waiting_for_second_approval(user.company_id)
    for order in waiting:
        if any(approval["by"] == username for approval in order.approvals):
            mine.append(order.id)
        else:
            first_by[order.id] = order.approvals[0]["by"]
    return first_by, mine


# --- waiting for a second approval (issue #28) -------------------------------------------------


@dataclasses.dataclass(frozen=True)
class SecondApprovals:
    """Submitted orders with one approval of the two they need: how many in the company, and
    the oldest `rows` (dicts: id, number, first_by, first_at, yours: whether `user` may give the
    second approval under the company's policy)."""

    count: int
    oldest: list[dict]

    @property
    def yours(self) -> int:
        return sum(row["yours"] for row in self.oldest)


def second_approvals(user, *, rows: int = QUEUE_ROWS, waiting=None) -> SecondApprovals:
    """The dashboard tile "waiting for a second approval" for `user`'s company: one query over
    the orders that wait (`waiting_for_second_approval`), whatever the company's other orders;
    the policy is the user's, read once per request. `waiting`: those orders if the caller
    read them already."""
    if waiting is None:
        waiting = waiting_for_second_approval(user.company_id)
    oldest = []
    if waiting:
        company_policy = policy.users_policy(user)
        for order in waiting[:rows]:
            order.policy = company_policy
            first = order.approvals[0]
            oldest.append(
                {
                    "id": order.id,
                    "number": order.number,
                    "first_by": first["by"],
                    "first_at": dt.datetime.fromisoformat(first["at"]),
                    "yours": policy.may_approve(order, user),
                }
            )
    return SecondApprovals(len(waiting), oldest)
