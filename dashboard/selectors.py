"""The dashboard's queries: a fixed handful, whatever the number of orders, all by company."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math

from django.conf import settings
from django.utils import timezone

from orders.models import FINAL_STATES, OrderState
from projections.models import (
    DashboardDaily,
    DashboardOrder,
    DashboardStateTotal,
    OrderSummary,
)

from .forms import DEFAULT_PERIOD

CHART_WIDTH, CHART_HEIGHT, CHART_PAD = 600, 180, 24


@dataclasses.dataclass(frozen=True)
class StateCard:
    state: str
    label: str
    count: int
    total_cents: int


def dashboard(user, *, data: dict | None = None, now: dt.datetime | None = None) -> dict:
    """Everything the dashboard shows: state cards and stuck orders "now"; the chart, counts
    and cycle times over the period a valid `PeriodForm`'s `data` names (default 30 days)."""
    now = now or timezone.now()
    company_id = user.company_id
    shown = period(company_id, data or {}, today=timezone.localdate(now))
    return {
        "cards": state_cards(company_id),
        "period": shown,
        "chart": chart(company_id, shown),
        "cycle": cycle_times(company_id, shown),
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


@dataclasses.dataclass(frozen=True)
class Period:
    """The dashboard's period: `start`..`end`, whole days in TIME_ZONE, both inclusive;
    `bucket` is the chart's bar ("day" up to 62 days, "week" up to 366, else "month")."""

    start: dt.date
    end: dt.date
    key: str = ""  # the `period` choice ("7", "all", …), "" for explicit dates

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def bucket(self) -> str:
        return "day" if self.days <= 62 else "week" if self.days <= 366 else "month"

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """[first moment, moment after the last day) as aware datetimes in TIME_ZONE."""
        return _midnight(self.start), _midnight(self.end + dt.timedelta(days=1))


def _midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def period(company_id, data: dict, *, today: dt.date) -> Period:
    """The period a valid `PeriodForm`'s `data` names: explicit dates first (a missing `from`
    is the company's first day with orders, a missing `to` is today), else `period` days up to
    today, else "all" from that first day, else the last 30 days."""
    start, end = data.get("from"), data.get("to")
    key = "" if start or end else data.get("period") or DEFAULT_PERIOD
    if not start and not end and key != "all":
        return Period(today - dt.timedelta(days=int(key) - 1), today, key)
    if not start:
        start = min(first_day(company_id) or today, end or today)
    end = end or max(today, start)
    return Period(start, end, key)


def first_day(company_id) -> dt.date | None:
    """The first day an order of the company was placed, delivered or cancelled."""
    return (
        DashboardDaily.objects.filter(company_id=company_id)
        .order_by("day")
        .values_list("day", flat=True)
        .first()
    )


@dataclasses.dataclass(frozen=True)
class Bar:
    start: dt.date
    end: dt.date
    placed: int
    delivered: int
    show_label: bool
    x: float
    delivered_x: float
    width: float
    placed_y: float
    placed_height: float
    delivered_y: float
    delivered_height: float


MAX_LABELS = 8


def _bucket_start(day: dt.date, bucket: str) -> dt.date:
    if bucket == "week":
        return day - dt.timedelta(days=day.weekday())  # ISO weeks start on Monday
    if bucket == "month":
        return day.replace(day=1)
    return day


def _next_bucket(day: dt.date, bucket: str) -> dt.date:
    if bucket == "week":
        return day + dt.timedelta(days=7)
    if bucket == "month":
        return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return day + dt.timedelta(days=1)


def chart(company_id, period: Period) -> dict:
    """Placed and delivered per bar (day, week or month: `period.bucket`) over `period`, as SVG
    bar geometry (user units of a CHART_WIDTH x CHART_HEIGHT viewBox; the template writes the
    markup), and the period's totals placed, delivered and cancelled (TIME_ZONE days). A week
    or month bar counts only its days inside the period. One query: the days' rows, summed
    here (a row per day with activity: at most a few thousand)."""
    starts = []
    start = _bucket_start(period.start, period.bucket)
    while start <= period.end:
        starts.append(start)
        start = _next_bucket(start, period.bucket)
    sums = {start: [0, 0] for start in starts}
    cancelled = 0
    for day, placed, delivered, cancelled_that_day in DashboardDaily.objects.filter(
        company_id=company_id, day__range=(period.start, period.end)
    ).values_list("day", "placed", "delivered", "cancelled"):
        bar = sums[_bucket_start(day, period.bucket)]
        bar[0] += placed
        bar[1] += delivered
        cancelled += cancelled_that_day
    peak = max([1] + [max(pair) for pair in sums.values()])
    slot = (CHART_WIDTH - CHART_PAD) / len(starts)
    bar_width = slot * 0.4
    usable = CHART_HEIGHT - CHART_PAD
    label_every = -(-len(starts) // MAX_LABELS)  # ceil: at most MAX_LABELS labels
    bars = []
    for index, start in enumerate(starts):
        placed, delivered = sums[start]
        placed_h = usable * placed / peak
        delivered_h = usable * delivered / peak
        x = CHART_PAD + index * slot
        end = min(_next_bucket(start, period.bucket) - dt.timedelta(days=1), period.end)
        bars.append(
            Bar(
                max(start, period.start),
                end,
                placed,
                delivered,
                index % label_every == 0,
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
        "bucket": period.bucket,
        "label_format": "Y-m" if period.bucket == "month" else "m-d",
        "peak": peak,
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "baseline": usable,
        "pad": CHART_PAD,
        "label_y": CHART_HEIGHT - 6,
        "placed_total": sum(b.placed for b in bars),
        "delivered_total": sum(b.delivered for b in bars),
        "cancelled_total": cancelled,
    }


@dataclasses.dataclass(frozen=True)
class CycleTimes:
    """Submit-to-delivery times of the orders delivered in a period: how many, and the mean,
    median (the middle value; the mean of the two middle ones for an even count) and 90th
    percentile (nearest rank: the ceil(0.9 n)-th shortest). None when nothing was delivered."""

    count: int
    mean: dt.timedelta | None
    median: dt.timedelta | None
    p90: dt.timedelta | None


def cycle_times(company_id, period: Period) -> CycleTimes:
    """Cycle times (last submit to delivery) of the company's orders delivered within `period`,
    from the dashboard projection's per-order rows (an order delivered without a submit has
    none). One query."""
    start, end = period.bounds()
    seconds = list(
        DashboardOrder.objects.filter(
            company_id=company_id,
            delivered_at__gte=start,
            delivered_at__lt=end,
            cycle_seconds__isnull=False,
        )
        .order_by("cycle_seconds")
        .values_list("cycle_seconds", flat=True)
    )
    if not seconds:
        return CycleTimes(0, None, None, None)
    n = len(seconds)
    middle = (seconds[(n - 1) // 2] + seconds[n // 2]) / 2
    return CycleTimes(
        n,
        dt.timedelta(seconds=sum(seconds) / n),
        dt.timedelta(seconds=middle),
        dt.timedelta(seconds=seconds[math.ceil(0.9 * n) - 1]),
    )


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
