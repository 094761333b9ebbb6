"""The dashboard's queries: a fixed handful, whatever the number of orders, all by company."""

from __future__ import annotations

import dataclasses
import datetime as dt

from django.conf import settings
from django.utils import timezone

from orders.models import FINAL_STATES, OrderState

from .models import DashboardCycle, DashboardDaily, DashboardStateTotal, OrderSummary

CHART_DAYS = 30
CHART_WIDTH, CHART_HEIGHT, CHART_PAD = 600, 180, 24


@dataclasses.dataclass(frozen=True)
class StateCard:
    state: str
    label: str
    count: int
    total_cents: int


@dataclasses.dataclass(frozen=True)
class Bar:
    day: dt.date
    placed: int
    delivered: int
    x: float
    delivered_x: float
    width: float
    placed_y: float
    placed_height: float
    delivered_y: float
    delivered_height: float


def dashboard(user, *, now: dt.datetime | None = None) -> dict:
    now = now or timezone.now()
    company_id = user.company_id
    return {
        "cards": state_cards(company_id),
        "chart": chart(company_id, today=timezone.localdate(now)),
        "average_cycle": average_cycle(company_id),
        "stuck": stuck_orders(company_id, now=now),
        "stuck_after_days": settings.STUCK_AFTER_DAYS,
        "currency": user.company.currency if user.company_id else "",
    }


def state_cards(company_id) -> list[StateCard]:
    """One card per workflow state, in workflow order (zero for a state no order is in)."""
    rows = {
        row["state"]: row
        for row in DashboardStateTotal.objects.filter(company_id=company_id).values(
            "state", "count", "total_cents"
        )
    }
    return [
        StateCard(
            state,
            label,
            rows.get(state, {}).get("count", 0),
            rows.get(state, {}).get("total_cents", 0),
        )
        for state, label in OrderState.choices
    ]


def chart(company_id, *, today: dt.date) -> dict:
    """Placed and delivered per day for the last 30 days, as SVG bar geometry (user units of a
    CHART_WIDTH x CHART_HEIGHT viewBox; the template writes the markup)."""
    start = today - dt.timedelta(days=CHART_DAYS - 1)
    counts = {
        row["day"]: row
        for row in DashboardDaily.objects.filter(
            company_id=company_id, day__range=(start, today)
        ).values("day", "placed", "delivered")
    }
    days = [start + dt.timedelta(days=i) for i in range(CHART_DAYS)]
    peak = max([1] + [max(r["placed"], r["delivered"]) for r in counts.values()])
    slot = (CHART_WIDTH - CHART_PAD) / CHART_DAYS
    bar_width = slot * 0.4
    usable = CHART_HEIGHT - CHART_PAD
    bars = []
    for index, day in enumerate(days):
        row = counts.get(day, {"placed": 0, "delivered": 0})
        placed_h = usable * row["placed"] / peak
        delivered_h = usable * row["delivered"] / peak
        x = CHART_PAD + index * slot
        bars.append(
            Bar(
                day,
                row["placed"],
                row["delivered"],
                round(x, 1),
                round(x + bar_width, 1),
                round(bar_width, 1),
                round(usable - placed_h, 1),
                round(placed_h, 1),
                round(usable - delivered_h, 1),
                round(delivered_h, 1),
            )
        )
    return {
        "bars": bars,
        "peak": peak,
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "baseline": usable,
        "pad": CHART_PAD,
        "label_y": CHART_HEIGHT - 6,
        "placed_total": sum(b.placed for b in bars),
        "delivered_total": sum(b.delivered for b in bars),
    }


def average_cycle(company_id) -> dt.timedelta | None:
    """Mean time from submit to delivery over delivered orders; None before the first one."""
    row = (
        DashboardCycle.objects.filter(company_id=company_id)
        .values("cycle_seconds_total", "delivered_count")
        .first()
    )
    if not row or not row["delivered_count"]:
        return None
    return dt.timedelta(seconds=row["cycle_seconds_total"] / row["delivered_count"])


def stuck_orders(company_id, *, now: dt.datetime, limit: int = 10) -> dict:
    """Orders in the same non-final state for longer than STUCK_AFTER_DAYS, oldest first.

    Returns {"rows": up to `limit` dicts (id, number, state, state_since), "more": bool,
    "count": int}: two queries, whatever the number of stuck orders.
    """
    cutoff = now - dt.timedelta(days=settings.STUCK_AFTER_DAYS)
    open_states = [state for state in OrderState.values if state not in FINAL_STATES]
    stuck = OrderSummary.objects.filter(
        company_id=company_id, state__in=open_states, state_since__lt=cutoff
    )
    rows = list(
        stuck.order_by("state_since").values("id", "number", "state", "state_since")[: limit + 1]
    )
    return {"rows": rows[:limit], "more": len(rows) > limit, "count": stuck.count()}
