"""Issue #19 §5: the dashboard over any period. Every figure is checked against the same figure
computed independently, straight from the event log."""

import datetime as dt
import math
import random
import re
import statistics

import pytest
from django.utils import timezone

from accounts.models import Role
from dashboard import selectors
from dashboard.forms import PeriodForm
from events.models import Event
from orders import commands
from tests import factories
from tests.factories import log_in

pytestmark = pytest.mark.django_db

SHIP = {"carrier": "DHL", "tracking_number": "T1"}


@pytest.fixture
def company():
    return factories.CompanyFactory(slug="acme")


@pytest.fixture
def manager(company):
    return factories.user(Role.MANAGER, company)


@pytest.fixture
def history(company, manager):
    """About 70 orders over two years: placed, some delivered after a random cycle (some
    rejected and submitted again first), some cancelled, some left open. Another Manager
    approves (four eyes)."""
    approver = factories.user(Role.MANAGER, company, username="acme.manager.approver")
    rng = random.Random(19)
    now = timezone.now()
    for _ in range(70):
        placed = now - dt.timedelta(days=rng.uniform(0, 730))
        order = factories.place(manager, at=placed)
        at = placed
        fate = rng.choice(["deliver", "deliver", "cancel", "open", "reject_then_deliver"])
        if fate == "open":
            continue
        if fate == "cancel":
            at += dt.timedelta(hours=rng.uniform(1, 400))
            if at < now:
                commands.cancel(order.id, actor=manager, expected_version=1, reason="x", at=at)
            continue
        steps = [("submit", {})]
        if fate == "reject_then_deliver":
            steps += [("reject", {"reason": "again"}), ("submit", {})]
        steps += [("approve", {}), ("start_fulfilment", {}), ("ship", SHIP), ("deliver", {})]
        for name, data in steps:
            at += dt.timedelta(hours=rng.uniform(1, 120))
            if at >= now:
                break
            actor = approver if name == "approve" else manager
            order = commands.transition(
                order.id, name, actor=actor, expected_version=order.version, at=at, **data
            )


def local_day(moment):
    return timezone.localtime(moment).date()


def from_the_log(company, start: dt.date, end: dt.date) -> dict:
    """The period's figures computed from the events alone."""
    events = list(Event.objects.filter(company=company).order_by("position"))

    def count(event_type):
        return sum(
            1
            for e in events
            if e.event_type == event_type and start <= local_day(e.occurred_at) <= end
        )

    cycles = []
    for delivered in events:
        if delivered.event_type != "OrderDelivered":
            continue
        if not start <= local_day(delivered.occurred_at) <= end:
            continue
        submits = [
            e for e in events
            if e.stream_id == delivered.stream_id and e.event_type == "OrderSubmitted"
            and e.version < delivered.version
        ]  # fmt: skip
        cycles.append((delivered.occurred_at - submits[-1].occurred_at).total_seconds())
    cycles.sort()
    figures = {
        "placed": count("OrderPlaced"),
        "delivered": count("OrderDelivered"),
        "cancelled": count("OrderCancelled"),
        "cycle_count": len(cycles),
    }
    if cycles:
        figures |= {
            "mean": statistics.fmean(cycles),
            "median": statistics.median(cycles),
            "p90": cycles[math.ceil(0.9 * len(cycles)) - 1],
        }
    return figures


def shown(user, query: dict) -> tuple[dict, dict]:
    form = PeriodForm(query)
    assert form.is_valid(), form.errors
    page = selectors.dashboard(user, data=form.cleaned_data)
    chart, cycle = page["chart"], page["cycle"]
    figures = {
        "placed": chart["placed_total"],
        "delivered": chart["delivered_total"],
        "cancelled": chart["cancelled_total"],
        "cycle_count": cycle.count,
    }
    if cycle.count:
        figures |= {
            "mean": pytest.approx(cycle.mean.total_seconds()),
            "median": pytest.approx(cycle.median.total_seconds()),
            "p90": pytest.approx(cycle.p90.total_seconds()),
        }
    return figures, page


@pytest.mark.parametrize(
    ("query", "bucket"),
    [
        ({"period": "7"}, "day"),
        ({"period": "30"}, "day"),
        ({"period": "90"}, "week"),
        ({"period": "365"}, "week"),
        ({"period": "all"}, "month"),
        ({}, "day"),
    ],
)
def test_period_figures_equal_the_figures_computed_from_the_events(
    company, manager, history, query, bucket
):
    figures, page = shown(manager, query)
    period = page["period"]
    today = timezone.localdate()
    assert period.end == today
    if query.get("period", "30") != "all":
        assert period.days == int(query.get("period", "30"))
    else:
        first = min(local_day(e.occurred_at) for e in Event.objects.filter(company=company))
        assert period.start == first
    assert page["chart"]["bucket"] == bucket
    assert figures == from_the_log(company, period.start, period.end)
    assert sum(bar.placed for bar in page["chart"]["bars"]) == figures["placed"]


def test_last_quarter_by_dates(company, manager, history):
    today = timezone.localdate()
    quarter_start = dt.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    last_end = quarter_start - dt.timedelta(days=1)
    last_start = dt.date(last_end.year, 3 * ((last_end.month - 1) // 3) + 1, 1)
    query = {"from": last_start.isoformat(), "to": last_end.isoformat()}

    figures, page = shown(manager, query)

    assert (page["period"].start, page["period"].end) == (last_start, last_end)
    assert page["chart"]["bucket"] == "week"
    assert figures == from_the_log(company, last_start, last_end)
    assert figures["placed"] > 0  # the history reaches that far: the test compares something


def test_the_state_cards_stay_now_whatever_the_period(client, company, manager, history):
    log_in(client, manager)
    cards = re.compile(r'data-testid="count-(\w+)">(\d+)<')
    now = cards.findall(client.get("/").content.decode())
    assert cards.findall(client.get("/?period=7").content.decode()) == now
    assert cards.findall(client.get("/?from=2001-01-01&to=2001-01-31").content.decode()) == now


def test_the_page_shows_the_periods_counts_and_cycle_times(client, company, manager, history):
    log_in(client, manager)
    html = client.get("/?period=365").content.decode()
    figures, _ = shown(manager, {"period": "365"})
    assert f'data-testid="placed-count">{figures["placed"]}<' in html
    assert f'data-testid="cancelled-count">{figures["cancelled"]}<' in html
    assert "per week" in html
    assert re.search(r'data-testid="cycle-median">\d+ d \d+ h<', html)
    assert re.search(r'data-testid="cycle-p90">\d+ d \d+ h<', html)
    assert 'hx-get="/?period=365"' in html  # the refresh keeps the period


@pytest.mark.parametrize(
    "query",
    [
        "period=5",
        "from=2025-02-30",
        "from=2025-03-01&to=2025-02-01",
        "to=99999-01-01",
        "from=0001-01-01",
    ],
)
def test_a_bad_period_is_a_400_that_shows_the_last_30_days(client, manager, query):
    log_in(client, manager)
    response = client.get(f"/?{query}")
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-testid="period-errors"' in html
    assert "(30 days)" in html


def test_a_long_period_draws_a_bar_per_month_with_few_readable_labels(manager):
    period = selectors.Period(dt.date(2024, 1, 15), dt.date(2025, 12, 31))
    chart = selectors.chart(manager.company_id, period)
    bars = chart["bars"]
    assert len(bars) == 24
    assert bars[0].start == dt.date(2024, 1, 15) and bars[0].end == dt.date(2024, 1, 31)
    assert bars[-1].start == dt.date(2025, 12, 1) and bars[-1].end == dt.date(2025, 12, 31)
    assert sum(bar.show_label for bar in bars) <= selectors.MAX_LABELS


def test_the_migrations_fill_the_quarter_hour_rows_as_the_projector_writes_them(
    company, history, monkeypatch
):
    from types import SimpleNamespace

    from django.apps import apps
    from django.db import connection
    from django.db.models import QuerySet

    from projections.models import DashboardActivity

    def rows():
        return set(
            DashboardActivity.objects.values_list(
                "id", "slot", "quarter", "placed", "delivered", "cancelled"
            )
        )

    def migration(name):
        return __import__(f"projections.migrations.{name}", fromlist=["fill"])

    projected = rows()
    assert any(cancelled for *_, cancelled in projected)
    DashboardActivity.objects.all().delete()
    # 0013 wrote its rows before the `quarter` column existed (0017 numbers them): a number
    # that is wrong for every row in the meantime.
    bulk_create = QuerySet.bulk_create

    def before_the_quarter_column(self, objs, *args, **kwargs):
        for row in objs:
            row.quarter = -1
        return bulk_create(self, objs, *args, **kwargs)

    monkeypatch.setattr(QuerySet, "bulk_create", before_the_quarter_column)
    schema_editor = SimpleNamespace(connection=connection)  # they only read the alias
    migration("0013_dashboard_activity_quarter_hours").fill(apps, schema_editor)
    monkeypatch.undo()
    migration("0017_dashboard_activity_quarter_number").fill(apps, schema_editor)

    assert rows() == projected
