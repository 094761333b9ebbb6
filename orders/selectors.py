"""The order list's and the detail page's queries (the history's: `orders/history.py`; the
exports' rows: `orders/exports.py`). All of them are scoped to the user's company."""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.db.models import Count, Window
from django.shortcuts import get_object_or_404
from django.utils import timezone

from events.models import Event
from projections.models import OrderSummary

from .events import (
    OrderDetails,
)
from .exceptions import OrderValidationError
from .models import FINAL_STATES, Order, OrderState
from .validation import clean_order

LIST_COLUMNS = (
    "id",
    "number",
    "version",
    "state",
    "customer_name",
    "customer_id",
    "line_count",
    "total_cents",
    "currency",
    "placed_at",
    "last_changed_at",
    "last_actor",
    "state_since",
)
STATE_LABELS = dict(OrderState.choices)


def order_summaries(user):
    """The company's order summaries, as the dicts the list's rows show (no model instances)."""
    return OrderSummary.objects.filter(company_id=user.company_id).values(*LIST_COLUMNS)


def order_summary(user, order_id: uuid.UUID) -> OrderSummary:
    """One order's summary (header, lines, totals); Http404 when it is not the user's company's."""
    return get_object_or_404(OrderSummary.objects.filter(company_id=user.company_id), pk=order_id)


def order_with_state(user, order_id: uuid.UUID) -> tuple[OrderSummary, Order]:
    """One order's summary and the order-state row the FSM works on, in one read: `Order` is the
    summary row's workflow columns (one row per order, #25), so the second is made from the
    first as a query would (`Model.from_db`). Http404 when it is not the user's company's."""
    summary = order_summary(user, order_id)
    names = [field.attname for field in Order._meta.concrete_fields]
    order = Order.from_db(summary._state.db, names, [getattr(summary, name) for name in names])
    return summary, order


def order_state(user, order_id: uuid.UUID) -> Order:
    """The order-state row the FSM works on (for the available actions); Http404 as above."""
    return get_object_or_404(Order.objects.filter(company_id=user.company_id), pk=order_id)


def available_actions(order: Order, user) -> list:
    """The workflow transitions this user may take now, straight from the FSM."""
    return [t for t in order.get_available_user_state_transitions(user) if t.custom.get("workflow")]


def recent_identical_order(
    user, details: OrderDetails, lines, *, within: dt.timedelta
) -> OrderSummary | None:
    """The newest order `user` placed in the last `within` with exactly these details and lines
    (compared as the command stores them, after `validation.clean_order`), else None. None too
    when the data is invalid: the command then says what is wrong."""
    try:
        details, lines = clean_order(details, lines)
    except OrderValidationError:
        return None
    placed = Event.objects.filter(
        company_id=user.company_id,
        stream_type="order",
        event_type="OrderPlaced",
        metadata__actor_id=str(user.pk),
        recorded_at__gte=timezone.now() - within,
    ).order_by("-position")
    for event in placed.only("stream_id", "event_type", "schema_version", "payload", "company_id")[
        :20
    ]:
        data = event.decoded()
        if data.details == details and tuple(data.lines) == lines:
            return OrderSummary.objects.filter(pk=event.stream_id).first()
    return None


# --- bulk actions (list) --------------------------------------------------------------------

BULK_FIELDS = frozenset({"reason"})


def bulk_actions(user) -> list[tuple[str, str]]:
    """(name, label) of the workflow actions the list offers for ticked orders: those whose only
    data is a reason and whose permission `user` holds from some state; in workflow order."""
    probe = Order()
    actions = {
        t.name: t.custom["label"]
        for t in probe.get_all_state_transitions()
        if t.custom.get("workflow")
        and t.custom["bulk"]
        and BULK_FIELDS.issuperset(t.custom["fields"])
        and t.has_perm(probe, user)
    }
    return list(actions.items())


def with_row_actions(rows, user, names: list[str]) -> list[dict]:
    """`rows` (the list's dicts: state, line_count, ...), each with `actions` added: the
    space-separated `names` the FSM allows `user` on that row now (state, permission,
    conditions): the list's script offers the actions every ticked row allows."""
    by_name = {}
    for t in Order().get_all_state_transitions():
        if t.name in names:
            by_name.setdefault((t.name, t.source), t)
    result = []
    for row in rows:
        probe = Order(state=row["state"], line_count=row["line_count"])
        allowed = [
            name
            for name in names
            if (t := by_name.get((name, row["state"])))
            and t.has_perm(probe, user)
            and all(condition(probe) for condition in t.conditions)
        ]
        result.append({**row, "actions": " ".join(allowed)})
    return result


def order_numbers(user, order_ids) -> dict[uuid.UUID, str]:
    """order id -> number, for the user's company's orders among `order_ids`."""
    return dict(
        OrderSummary.objects.filter(company_id=user.company_id, pk__in=list(order_ids)).values_list(
            "id", "number"
        )
    )


def stuck_orders(company_id, *, now: dt.datetime, limit: int = 10) -> dict:
    """Orders in the same non-final state for longer than STUCK_AFTER_DAYS, oldest first (the
    dashboard's card and the notifications' daily digest).

    Returns {"rows": up to `limit` dicts (id, number, state, state_since), "more": bool,
    "count": int}: one query, whatever the number of stuck orders. The count is a window over
    the same rows: the database then reads the stuck orders alone, state by state, from the
    (company, state, state_since) index and sorts them, where a plain ORDER BY … LIMIT walked
    the (company, state_since) index through every delivered and cancelled order before the
    cutoff to find the open ones (1.1 ms against 0.03 ms at 2,000 orders a company).
    """
    cutoff = now - dt.timedelta(days=settings.STUCK_AFTER_DAYS)
    open_states = [state for state in OrderState.values if state not in FINAL_STATES]
    stuck = OrderSummary.objects.filter(
        company_id=company_id, state__in=open_states, state_since__lt=cutoff
    )
    rows = list(
        stuck.annotate(stuck_count=Window(Count("pk")))
        .order_by("state_since")
        .values("id", "number", "state", "state_since", "stuck_count")[: limit + 1]
    )
    count = rows[0]["stuck_count"] if rows else 0
    for row in rows:
        del row["stuck_count"]
    return {"rows": rows[:limit], "more": len(rows) > limit, "count": count}
