"""The dashboard's queries: a fixed handful, whatever the number of orders, all by company."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math

from django.conf import settings
from django.db.models import Avg, Case, Count, F, IntegerField, Sum, Value, When, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from accounts.locale import user_zone
from orders.models import OrderState
from orders.selectors import stuck_orders
from projections.models import (
    DashboardActivity,
    DashboardOrder,
    DashboardStateTotal,
)

from .forms import DEFAULT_PERIOD
from .projectors import EPOCH, QUARTER

CHART_WIDTH, CHART_HEIGHT, CHART_PAD = 600, 180, 24


@dataclasses.dataclass(frozen=True)
class StateCard:
    state: str
    label: str
    count: int
    total_cents: int


def dashboard(
    user,
    *,
    data: dict | None = None,
    now: dt.datetime | None = None,
    totals: dict[str, dict] | None = None,
) -> dict:
    """Everything the dashboard shows: state cards and stuck orders "now"; the chart, counts
    and cycle times over the period a valid `PeriodForm`'s `data` names (default 30 days), in
    days of the user's time zone (`accounts.locale.user_zone`). `totals`: `state_totals` of the
    user's company if the caller read them already (the role queues count from them too)."""
    now = now or timezone.now()
    company_id = user.company_id
    with timezone.override(user_zone(user)):
        shown = period(company_id, data or {}, today=timezone.localdate(now))
        figures = {"chart": chart(company_id, shown), "cycle": cycle_times(company_id, shown)}
    return {
        "cards": state_cards(company_id, totals=totals),
        "period": shown,
        **figures,
        "stuck": stuck_orders(company_id, now=now),
        "stuck_after_days": settings.STUCK_AFTER_DAYS,
        "currency": user.company.currency if user.company_id else "",
    }


def state_totals(company_id) -> dict[str, dict]:
    """The company's per-state totals of the dashboard projection: state -> {"count",
    "total_cents", "returned" (drafts sent back by a rejection)}, a row per state that ever
    had an order. One query, read once per page by the cards and the role queues."""
    return {
        row["state"]: row
        for row in DashboardStateTotal.objects.filter(company_id=company_id).values(
            "state", "count", "total_cents", "returned"
        )
    }


def state_cards(company_id, *, totals: dict[str, dict] | None = None) -> list[StateCard]:
    """One card per workflow state, in workflow order (zero for a state no order is in).
    `totals`: `state_totals(company_id)` if the caller read them already."""
    rows = state_totals(company_id) if totals is None else totals
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
    """The dashboard's period: `start`..`end`, whole days in the current time zone, both
    inclusive; `bucket` is the chart's bar, chosen from the span (`bucket_for`)."""

    start: dt.date
    end: dt.date
    key: str = ""  # the `period` choice ("7", "all", …), "" for explicit dates

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def bucket(self) -> Bucket:
        return bucket_for(self.start, self.end)

    def bounds(self) -> tuple[dt.datetime, dt.datetime | None]:
        """[first moment, moment after the last day) as aware datetimes (the current zone's
        midnights); None for the end when the last day is the calendar's last."""
        after = _day_after(self.end)
        return _midnight(self.start), _midnight(after) if after else None


def _midnight(day: dt.date) -> dt.datetime:
    """The instant (UTC) the current zone's `day` begins: a local day is 23 or 25 hours long
    when the clocks change in it. Clamped to the first instant Python can hold (year 1 in a
    zone east of UTC begins before it)."""
    local = dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_current_timezone())
    try:
        return local.astimezone(dt.UTC)
    except OverflowError:
        return dt.datetime.min.replace(tzinfo=dt.UTC)


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
    """The first (local) day an order of the company was placed, delivered or cancelled."""
    slot = (
        DashboardActivity.objects.filter(company_id=company_id)
        .order_by("slot")
        .values_list("slot", flat=True)
        .first()
    )
    if slot is None:
        return None
    try:
        return timezone.localtime(slot).date()
    except OverflowError:
        return dt.date.min


MAX_LABELS = 8
# The most bars a chart draws, whatever the span: a bar per day of a month, per week of a year,
# then per month, quarter, … up to per century for year 1 to 9999 (100 bars).
MAX_BARS = 100


@dataclasses.dataclass(frozen=True)
class Bucket:
    """A chart bar's size: a day, a week (ISO, from Monday), or `months` calendar months
    aligned on the year (a quarter starts in January, April, …; ten years start in a year
    divisible by ten)."""

    name: str
    months: int = 0  # 0: a day or a week

    def start_of(self, day: dt.date) -> dt.date:
        """The first day of the bar holding `day` (never before the calendar's first day)."""
        if self.name == "day":
            return day
        if self.name == "week":
            return day - dt.timedelta(days=day.weekday())  # 0001-01-01 is a Monday
        index = day.year * 12 + day.month - 1
        index -= index % self.months
        return dt.date(max(index // 12, 1), index % 12 + 1, 1)

    def after(self, start: dt.date) -> dt.date | None:
        """The first day of the next bar (None past the calendar's last day)."""
        if self.name == "day":
            return _day_after(start)
        if self.name == "week":
            return _day_after(start + dt.timedelta(days=6))
        index = start.year * 12 + start.month - 1
        index += self.months - index % self.months
        return dt.date(index // 12, index % 12 + 1, 1) if index // 12 <= dt.MAXYEAR else None

    def count(self, start: dt.date, end: dt.date) -> int:
        """How many bars `start`..`end` needs (without walking them)."""
        if self.name == "day":
            return (end - start).days + 1
        if self.name == "week":
            return (end - self.start_of(start)).days // 7 + 1
        first, last = (d.year * 12 + d.month - 1 for d in (start, end))
        return last // self.months - first // self.months + 1


BUCKETS = [
    Bucket("day"),
    Bucket("week"),
    Bucket("month", 1),
    Bucket("quarter", 3),
    Bucket("year", 12),
    *(Bucket(f"{years} years", 12 * years) for years in (2, 5, 10, 20, 50, 100)),
]
# Up to 62 days a bar per day; up to a year a bar per week (the readable charts of #19 §5).
_DAILY_UP_TO, _WEEKLY_UP_TO = 62, 366


def bucket_for(start: dt.date, end: dt.date) -> Bucket:
    """The smallest bar that draws `start`..`end` in at most MAX_BARS bars (a day up to 62
    days, a week up to a year, then months, quarters, years, … centuries)."""
    days = (end - start).days + 1
    if days <= _DAILY_UP_TO:
        return BUCKETS[0]
    if days <= _WEEKLY_UP_TO:
        return BUCKETS[1]
    return next(b for b in BUCKETS[2:] if b.count(start, end) <= MAX_BARS)


def _day_after(day: dt.date) -> dt.date | None:
    return day + dt.timedelta(days=1) if day < dt.date.max else None


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


def _bar_sums(company_id, starts: list[dt.date], period: Period) -> dict[int, tuple]:
    """(placed, delivered, cancelled) per bar index, from the quarter-hour rows between each
    bar's first local midnight and the next bar's: the database sorts each row into its bar
    by its quarter's number (`_bar_of`) and sums, so at most MAX_BARS rows come back however
    long the period. One query."""
    first, last = period.bounds()
    rows = DashboardActivity.objects.filter(company_id=company_id, slot__gte=first)
    if last is not None:
        rows = rows.filter(slot__lt=last)
    edges = [first_quarter_from(first), *(first_quarter_from(_midnight(s)) for s in starts[1:])]
    runs = _runs(edges, first_quarter_from(last) if last is not None else None)
    sums = (
        rows.annotate(bar=_bar_of(runs, 0, len(runs) - 1))
        .values("bar")
        .annotate(Sum("placed"), Sum("delivered"), Sum("cancelled"))
        .values_list("bar", "placed__sum", "delivered__sum", "cancelled__sum")
        .order_by()
    )
    # A single bar groups by a constant, which the database may answer with one row of NULLs.
    return {index: tuple(n or 0 for n in rest) for index, *rest in sums}


def first_quarter_from(moment: dt.datetime) -> int:
    """The number (`DashboardActivity.quarter`) of the first quarter-hour row starting at or
    after `moment`: the rows from `moment` on are those with a quarter >= this."""
    return -((EPOCH - moment) // QUARTER)


@dataclasses.dataclass(frozen=True)
class _Run:
    """Bars `bar`, `bar` + 1, … of `length` quarters each, the first starting at quarter
    `first` (`length` 0: the single bar from `first` on, which has no end)."""

    bar: int
    first: int
    length: int


def _runs(edges: list[int], end: int | None) -> list[_Run]:
    """The bars whose first quarters are `edges` (the last one ending before `end`, None: no
    end) as runs of consecutive bars of equal length: one run for a period's days or weeks
    without a clock change, one more per change (a 23- or 25-hour day), a run per month or
    so for month bars (their lengths differ)."""
    bounds = [*edges, end]
    runs: list[_Run] = []
    for bar, first in enumerate(edges):
        after = bounds[bar + 1]
        length = after - first if after is not None else 0
        if runs and length > 0 and runs[-1].length == length:
            continue  # bar starts where the run's previous bar ends: the run goes on
        runs.append(_Run(bar, first, max(length, 0)))
    return runs


def _bar_of(runs: list[_Run], low: int, high: int):
    """The index of the bar a row falls in, runs `low`..`high` (inclusive): within a run the
    bar is arithmetic on the row's quarter, (quarter - (first - bar * length)) / length,
    never negative there, so the integer division is the floor on every database; between
    runs, nested CASEs halving them (a period has one run per clock change in it)."""
    if low == high:
        run = runs[low]
        if not run.length:
            return Value(run.bar)
        return (F("quarter") - Value(run.first - run.bar * run.length)) / Value(run.length)
    middle = (low + high) // 2
    return Case(
        When(quarter__lt=runs[middle + 1].first, then=_bar_of(runs, low, middle)),
        default=_bar_of(runs, middle + 1, high),
        output_field=IntegerField(),
    )


def chart(company_id, period: Period) -> dict:
    """Placed and delivered per bar (`period.bucket`: at most MAX_BARS bars) over `period`, as
    SVG bar geometry (user units of a CHART_WIDTH x CHART_HEIGHT viewBox; the template writes
    the markup), and the period's totals placed, delivered and cancelled (days of the current
    time zone). A bar counts only its days inside the period. One query (`_bar_sums`)."""
    bucket = period.bucket
    starts = []
    start = bucket.start_of(period.start)
    while start is not None and start <= period.end:
        starts.append(start)
        start = bucket.after(start)
    by_bar = _bar_sums(company_id, starts, period)
    sums = {start: by_bar.get(index, (0, 0, 0))[:2] for index, start in enumerate(starts)}
    cancelled = sum(row[2] for row in by_bar.values())
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
        after = bucket.after(start)
        end = min(after - dt.timedelta(days=1), period.end) if after else period.end
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
        "bucket": bucket.name,
        # Days and weeks carry the year when the bars span more than one (issue #29 §5).
        "label_format": (
            ("Y-m-d" if starts[0].year != period.end.year else "m-d")
            if not bucket.months
            else "Y-m"
            if bucket.months < 12
            else "Y"
        ),
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
    none). Two queries, both reading only the period's deliveries from the (company,
    delivered_at, cycle_seconds) index, never the table nor the company's other orders: the
    count and mean, then the two middle values and the 90th percentile's by rank.

    Exact to the second, so not from a bucketed histogram: a rank statistic needs the values
    themselves (the median of an even count is the mean of the two middle ones), and a
    histogram precise enough for that has about a bucket per delivery (issue #25 §5)."""
    start, end = period.bounds()
    delivered = DashboardOrder.objects.filter(
        company_id=company_id, delivered_at__gte=start, cycle_seconds__isnull=False
    )
    if end is not None:
        delivered = delivered.filter(delivered_at__lt=end)
    # Count the column, not the key: the key is not in the index.
    figures = delivered.aggregate(n=Count("cycle_seconds"), mean=Avg("cycle_seconds"))
    n = figures["n"]
    if not n:
        return CycleTimes(0, None, None, None)
    middle_ranks, p90_rank = ((n + 1) // 2, n // 2 + 1), math.ceil(0.9 * n)  # 1-based
    at_rank = dict(
        delivered.annotate(rank=Window(RowNumber(), order_by=F("cycle_seconds").asc()))
        .filter(rank__in=sorted({*middle_ranks, p90_rank}))
        .values_list("rank", "cycle_seconds")
    )
    return CycleTimes(
        n,
        dt.timedelta(seconds=figures["mean"]),
        dt.timedelta(seconds=sum(at_rank[rank] for rank in middle_ranks) / 2),
        dt.timedelta(seconds=at_rank[p90_rank]),
    )
