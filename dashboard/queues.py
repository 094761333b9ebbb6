"""The role queues on the dashboard: the orders waiting for the user's actions, from the FSM."""

from __future__ import annotations

import dataclasses
import datetime as dt

from django.db import connections
from django.db.models import CharField, Count, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.fields.json import KT
from django.utils.translation import gettext_lazy as _

from orders import policy
from orders.models import Order, OrderState
from orders.selectors import STATE_LABELS
from projections.models import OrderSummary

from .selectors import state_totals

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


def role_queues(
    user,
    *,
    rows: int = QUEUE_ROWS,
    second: SecondCounts | None = None,
    totals: dict[str, dict] | None = None,
) -> list[Queue]:
    """The queues waiting for `user` in their company (see `waiting_states`), each with its
    count and up to `rows` oldest orders, in a fixed number of queries whatever the number of
    orders, each reading about as many rows as it returns (issue #25 §5): the counts are the
    dashboard projection's per-state totals (`state_totals`: a row per state; `totals` if the
    caller read them already); the oldest rows a LIMITed read per state, `rows` read in order
    from an index ((company, state, state_since, sequence); the returned drafts from the
    partial index of the orders sent back), all in one query where the database takes a
    UNION ALL of LIMITed parts (PostgreSQL), else one query each (SQLite). Submitted orders
    that already have an approval (#28): those `user` approved wait for someone else and leave
    their queue and its count (a subquery over their partial index); the others say whose
    second approval they wait for (`first_by` on the row, read for the shown rows only).
    `second`: `second_approval_counts(user)` if the caller read it already."""
    waiting = waiting_states(user)
    if not waiting:
        return []
    company_id = user.company_id
    if (OrderState.SUBMITTED, False) in waiting and second is None:
        second = second_approval_counts(user)
    states = list(dict.fromkeys(state for state, _ in waiting))
    # A state waits once per user today (wholly, or only its drafts sent back).
    returned_only = {state for state, returned in waiting if returned}
    if totals is None:
        totals = state_totals(company_id)
    counts = {
        state: row["returned"] if state in returned_only else row["count"]
        for state, row in totals.items()
        if state in states
    }
    if second and second.approved_by_user and OrderState.SUBMITTED in counts:
        counts[OrderState.SUBMITTED] -= second.approved_by_user
    per_state = _oldest_per_state(user, states, returned_only, second, rows)
    return [
        Queue(state, returned, actions, counts.get(state, 0), per_state.get(state, []))
        for (state, returned), actions in waiting.items()
    ]


def _oldest_per_state(
    user, states: list[str], returned_only: set[str], second: SecondCounts | None, rows: int
) -> dict[str, list[dict]]:
    """state -> its `rows` oldest rows (dicts of QUEUE_FIELDS and `first_by`), for `states`.
    Each state's part is LIMITed (it stops after its `rows`, read in the index's order); the
    parts are one UNION ALL where the database allows LIMIT in a compound statement (Django's
    `supports_slicing_ordering_in_compound`: PostgreSQL, not SQLite), else a query each. The
    submitted part carries who approved first (`_with_first_approval`), the others None."""
    # Built once, each state's query a clone with its state: a third of the ORM's work per query.
    company_rows = OrderSummary.objects.filter(company_id=user.company_id).order_by(
        "state_since", "sequence"
    )
    parts = []
    for state in states:
        in_queue = company_rows.filter(state=state)
        if state in returned_only:
            in_queue = in_queue.exclude(rejection_reason="")
        if second and second.count and state == OrderState.SUBMITTED:
            in_queue = _with_first_approval(in_queue, user, second)
        else:
            in_queue = in_queue.annotate(first_by=Value(None, output_field=CharField()))
        parts.append(in_queue.values(*QUEUE_FIELDS, "sequence", "first_by")[:rows])
    if len(parts) > 1 and connections[parts[0].db].features.supports_slicing_ordering_in_compound:
        # The parts' rows in their queue order again: a UNION ALL does not promise any.
        read = [parts[0].union(*parts[1:], all=True).order_by("state_since", "sequence")]
    else:
        read = parts
    per_state: dict[str, list[dict]] = {state: [] for state in states}
    for found in read:
        for row in found:
            del row["sequence"]
            row["first_by"] = row["first_by"] or ""
            per_state[row["state"]].append(row)
    return per_state


def waiting_for_second_approval(company_id) -> QuerySet[Order]:
    """The company's submitted orders that have an approval already (they wait for a second
    Manager), in order, unevaluated: read through their partial index
    (`order_co_second_approval`), so the cost follows how many wait, never the company's other
    orders. Callers count them or slice them (invariant 6: a page reads a bounded number)."""
    return (
        Order.objects.filter(company_id=company_id, state=OrderState.SUBMITTED)
        .exclude(approvals=[])
        .order_by("sequence")
    )


def _approved_by(user) -> Q:
    """The waiting orders `user` approved. A waiting order holds one approval of the two the
    strictest rule needs (`orders.policy.approval_rule`: the second completes it), so its
    first approval is the only one to look at."""
    return Q(approvals__0__by=user.get_username())


@dataclasses.dataclass(frozen=True)
class SecondCounts:
    """How many of the company's orders wait for a second approval, how many of them `user`
    approved (they wait for someone else), and the oldest (`Order`s, in order, as many as
    the tile shows)."""

    count: int
    approved_by_user: int
    oldest: list[Order]


def second_approval_counts(user, *, rows: int = QUEUE_ROWS) -> SecondCounts:
    """`SecondCounts` for `user`'s company in two queries whatever the number of waiting
    orders, both over their partial index: the two counts (one aggregate), and the oldest
    `rows`, read in the index's order and stopping after them. (One query with the counts as
    windows would sort every waiting order to return five.)"""
    waiting = waiting_for_second_approval(user.company_id)
    figures = waiting.aggregate(count=Count("pk"), mine=Count("pk", filter=_approved_by(user)))
    if not figures["count"]:
        return SecondCounts(0, 0, [])
    return SecondCounts(figures["count"], figures["mine"] or 0, list(waiting[:rows]))


def _with_first_approval(in_queue: QuerySet, user, second: SecondCounts) -> QuerySet:
    """The submitted queue's rows without the orders `user` approved (they cannot approve
    twice), each with `first_by`: who approved it first ("" or None when nobody has), read
    for the returned rows only (a key lookup per row)."""
    waiting = waiting_for_second_approval(user.company_id)
    if second.approved_by_user:
        in_queue = in_queue.exclude(pk__in=waiting.filter(_approved_by(user)).values("pk"))
    first = waiting.filter(pk=OuterRef("pk")).order_by().values(by=KT("approvals__0__by"))
    return in_queue.annotate(first_by=Subquery(first[:1], output_field=CharField()))


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


def second_approvals(
    user, *, rows: int = QUEUE_ROWS, second: SecondCounts | None = None
) -> SecondApprovals:
    """The dashboard tile "waiting for a second approval" for `user`'s company: how many wait
    and the oldest `rows` of them (`second`: `second_approval_counts(user, rows=rows)` if the
    caller read it already); the policy is the user's, read once per request."""
    if second is None:
        second = second_approval_counts(user, rows=rows)
    oldest = []
    if second.count:
        company_policy = policy.users_policy(user)
        for order in second.oldest[:rows]:
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
    return SecondApprovals(second.count, oldest)
