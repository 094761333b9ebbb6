"""The role queues on the dashboard: the orders waiting for the user's actions, from the FSM."""

from __future__ import annotations

import dataclasses
import datetime as dt

from django.db.models import Count, F, Q, Window
from django.db.models.functions import RowNumber
from django.utils.translation import gettext_lazy as _

from orders import policy
from orders.models import Order, OrderState
from orders.selectors import STATE_LABELS
from projections.models import OrderSummary

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


def role_queues(user, *, rows: int = QUEUE_ROWS) -> list[Queue]:
    """The queues waiting for `user` in their company (see `waiting_states`), each with its
    count and up to `rows` oldest orders: one query, whatever the number of queues or orders
    (window functions: the rank and the count per state, the rank filtered afterwards; it reads
    the waiting states' rows only, through the (company, state, state_since) index), plus one
    for the submitted orders that already have an approval (#28): those `user` approved wait
    for someone else and leave their queue; the others say whose second approval they wait for
    (`first_by` on the row)."""
    waiting = waiting_states(user)
    if not waiting:
        return []
    first_by, approved_by_me = (
        _first_approvals(user) if (OrderState.SUBMITTED, False) in waiting else ({}, [])
    )

    # A state waits once per user today (wholly, or only its drafts sent back); the filter is
    # written as one `state IN (…)` so SQLite reads only those states' index ranges.
    in_a_queue = Q(state__in=[state for state, _ in waiting]) & ~Q(
        state__in=[state for state, returned in waiting if returned], rejection_reason=""
    )
    by_state = {"partition_by": [F("state")]}
    if approved_by_me:
        in_a_queue &= ~Q(pk__in=approved_by_me)
    found = (
        OrderSummary.objects.filter(in_a_queue, company_id=user.company_id)
        .annotate(
            rank=Window(RowNumber(), order_by=[F("state_since"), F("sequence")], **by_state),
            waiting=Window(Count("pk"), **by_state),
        )
        .filter(rank__lte=rows)
        .order_by("state", "rank")
        .values("id", "number", "state", "customer_name", "state_since", "rejection_reason",
                "waiting")
    )  # fmt: skip
    per_state: dict[str, list[dict]] = {}
    for row in found:
        row["first_by"] = first_by.get(row["id"], "")
        per_state.setdefault(row["state"], []).append(row)
    return [
        Queue(
            state,
            returned,
            actions,
            per_state[state][0]["waiting"] if state in per_state else 0,
            per_state.get(state, []),
        )
        for (state, returned), actions in waiting.items()
    ]


def _first_approvals(user) -> tuple[dict, list]:
    """Submitted orders of `user`'s company that have approvals already (those waiting for a
    second Manager): {order id: who approved first} for the ones `user` did not approve, and
    the ids of the ones `user` approved (they cannot approve twice)."""
    username = user.get_username()
    first_by, mine = {}, []
    rows = Order.objects.filter(company_id=user.company_id, state=OrderState.SUBMITTED).exclude(
        approvals=[]
    )
    for order_id, approvals in rows.values_list("id", "approvals"):
        if any(approval["by"] == username for approval in approvals):
            mine.append(order_id)
        else:
            first_by[order_id] = approvals[0]["by"]
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


def second_approvals(user, *, rows: int = QUEUE_ROWS) -> SecondApprovals:
    """The dashboard tile "waiting for a second approval" for `user`'s company (two queries: the
    count and the oldest rows; the policy is the user's, read once per request)."""
    waiting = Order.objects.filter(company_id=user.company_id, state=OrderState.SUBMITTED).exclude(
        approvals=[]
    )
    count = waiting.count()
    oldest = []
    if count:
        company_policy = policy.users_policy(user)
        for order in waiting.order_by("sequence")[:rows]:
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
    return SecondApprovals(count, oldest)
