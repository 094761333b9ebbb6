"""Issue #24 items 6 and 7: the dashboard answers for any period a person can send, near year 1
and year 9999 included, and its chart has a bounded number of bars whatever the span (the bar's
size is chosen from the span) and whatever the company's data (an order placed in year 1)."""

import datetime as dt
import itertools
from unittest import mock

import pytest

from dashboard import selectors
from events import store
from tests import factories
from tests.factories import log_in

pytestmark = pytest.mark.django_db

# A page past this size is not a dashboard any more (today's pages are ~30 KB).
MAX_PAGE_BYTES = 200_000


def bars_of(response) -> int:
    return len(response.context["chart"]["bars"])


@pytest.mark.parametrize(
    "query",
    [
        "from=9998-01-01&to=9999-12-30",
        "to=9999-12-30",
        "from=9999-12-01&to=9999-12-30",
        "from=9999-12-27&to=9999-12-30",
        "from=0001-01-02&to=0001-01-02",
        "from=0001-01-02&to=0001-03-01",
        "from=0001-01-02&to=9999-12-30",
        "from=0001-01-02",
        "to=9999-11-30",
    ],
)
def test_any_period_in_the_date_range_is_a_bounded_page(client, manager, query):
    log_in(client, manager)

    response = client.get(f"/?{query}")

    assert response.status_code == 200
    assert 1 <= bars_of(response) <= selectors.MAX_BARS
    assert len(response.content) < MAX_PAGE_BYTES


def test_all_time_after_an_order_placed_in_year_one_is_a_bounded_page(client, staff, manager):
    with mock.patch.object(store, "check_occurred_at"):  # the importer takes such dates
        factories.place(staff, at=dt.datetime(1, 1, 2, 12, tzinfo=dt.UTC))
    factories.place(staff)
    log_in(client, manager)

    response = client.get("/?period=all")

    assert response.status_code == 200
    assert response.context["period"].start == dt.date(1, 1, 2)
    assert 1 <= bars_of(response) <= selectors.MAX_BARS
    assert response.context["chart"]["placed_total"] == 2
    assert len(response.content) < MAX_PAGE_BYTES


@pytest.mark.parametrize(
    ("start", "end", "bucket"),
    [
        (dt.date(2025, 1, 1), dt.date(2025, 1, 31), "day"),
        (dt.date(2025, 1, 1), dt.date(2025, 12, 31), "week"),
        (dt.date(2020, 1, 1), dt.date(2025, 12, 31), "month"),
        (dt.date(2001, 1, 1), dt.date(2025, 12, 31), "quarter"),
        (dt.date(1900, 1, 1), dt.date(2025, 12, 31), "2 years"),
        (dt.date(1, 1, 2), dt.date(9999, 12, 30), "100 years"),
    ],
)
def test_the_bar_size_grows_with_the_span(manager, start, end, bucket):
    chart = selectors.chart(manager.company_id, selectors.Period(start, end))

    assert chart["bucket"] == bucket
    bars = chart["bars"]
    assert len(bars) <= selectors.MAX_BARS
    assert (bars[0].start, bars[-1].end) == (start, end)
    for before, after in itertools.pairwise(bars):  # contiguous, no gap, no overlap
        assert after.start == before.end + dt.timedelta(days=1)


def test_a_century_bar_counts_every_order_inside_it(staff, manager):
    with mock.patch.object(store, "check_occurred_at"):
        factories.place(staff, at=dt.datetime(1, 1, 2, 12, tzinfo=dt.UTC))
        factories.place(staff, at=dt.datetime(150, 6, 1, 12, tzinfo=dt.UTC))
        factories.place(staff, at=dt.datetime(9999, 12, 30, 12, tzinfo=dt.UTC))

    chart = selectors.chart(
        manager.company_id, selectors.Period(dt.date(1, 1, 2), dt.date(9999, 12, 30))
    )

    placed = {bar.start: bar.placed for bar in chart["bars"] if bar.placed}
    assert placed == {dt.date(1, 1, 2): 1, dt.date(100, 1, 1): 1, dt.date(9900, 1, 1): 1}


@pytest.mark.parametrize(
    ("zone", "start", "end", "runs"),
    [
        ("UTC", dt.date(2026, 1, 1), dt.date(2026, 3, 3), 1),  # 62 days
        # 53 weeks: the partial first and last ones, the 51 whole ones between.
        ("UTC", dt.date(2026, 1, 1), dt.date(2026, 12, 31), 3),
        # 31 days: before the clocks go forward, the 23-hour day, after.
        ("Europe/Berlin", dt.date(2026, 3, 1), dt.date(2026, 3, 31), 3),
        # 53 weeks: the partial ones, the two weeks with a clock change, the three runs between.
        ("Europe/Berlin", dt.date(2026, 1, 1), dt.date(2026, 12, 31), 7),
    ],
)
def test_the_chart_query_grows_with_the_clock_changes_in_its_period_not_with_its_bars(
    zone, start, end, runs
):
    """Issue #25: the chart's query sorted each row into its bar with a comparison per bar
    (a CASE per bar, ~3 ms of building per request); days and weeks between clock changes
    are equally long, so a row's bar is arithmetic on its quarter's number, one expression
    per run of equally long bars."""
    from zoneinfo import ZoneInfo

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    company = factories.CompanyFactory(slug="acme", time_zone=zone)
    with timezone.override(ZoneInfo(zone)), CaptureQueriesContext(connection) as queries:
        chart = selectors.chart(company.id, selectors.Period(start, end))

    (sql,) = [q["sql"] for q in queries.captured_queries]
    assert len(chart["bars"]) > 30
    assert sql.count(" WHEN ") == runs - 1, sql
