"""Issue #29: the dashboard counts days, weeks and months of the user's time zone (the
company's unless the user chose another), clock changes included: every figure is checked
against the same figure computed independently from the events in local time."""

import datetime as dt
import random
import zoneinfo
from collections import Counter

import pytest

from accounts.models import Role
from dashboard.selectors import dashboard
from events.models import Event
from orders import commands
from tests import factories

pytestmark = pytest.mark.django_db

BERLIN_DST_WEEK = (dt.date(2026, 3, 25), dt.date(2026, 4, 1))  # clocks go forward 29 March
NEW_YORK_DST_WEEK = (dt.date(2026, 10, 29), dt.date(2026, 11, 4))  # back on 1 November


def company_in(zone: str, slug: str):
    company = factories.CompanyFactory(slug=slug, time_zone=zone)
    return company, factories.user(Role.MANAGER, company, username=f"{slug}.manager")


def orders_around_midnights(manager, first: dt.date, last: dt.date, seed: int):
    """Orders placed at random instants, many within two hours of a UTC or local midnight,
    some cancelled a few hours later: the events a UTC-day count gets wrong."""
    rng = random.Random(seed)
    start = dt.datetime.combine(first, dt.time.min, tzinfo=dt.UTC) - dt.timedelta(hours=14)
    span = (last - first).days + 2
    for _ in range(60):
        at = start + dt.timedelta(hours=rng.uniform(0, 24 * span))
        if rng.random() < 0.5:  # close to a midnight (UTC or local: both are within a day)
            at = at.replace(minute=rng.choice([0, 14, 15, 45, 59]))
        order = factories.place(manager, at=at)
        if rng.random() < 0.3:
            later = at + dt.timedelta(hours=rng.uniform(0.1, 5))
            commands.cancel(order.id, actor=manager, expected_version=1, reason="x", at=later)


def local_counts(company, zone: str, event_type: str) -> Counter:
    """Events of `event_type` per local date in `zone`, straight from the log."""
    tz = zoneinfo.ZoneInfo(zone)
    times = Event.objects.filter(company=company, event_type=event_type).values_list(
        "occurred_at", flat=True
    )
    return Counter(moment.astimezone(tz).date() for moment in times)


@pytest.mark.parametrize(
    ("zone", "week"),
    [("Europe/Berlin", BERLIN_DST_WEEK), ("America/New_York", NEW_YORK_DST_WEEK)],
)
def test_daily_counts_are_local_days_across_a_clock_change(zone, week):
    company, manager = company_in(zone, "acme")
    orders_around_midnights(manager, *week, seed=29)
    first, last = week

    shown = dashboard(manager, data={"from": first, "to": last})

    placed = local_counts(company, zone, "OrderPlaced")
    cancelled = local_counts(company, zone, "OrderCancelled")
    bars = shown["chart"]["bars"]
    assert [bar.start for bar in bars] == [
        first + dt.timedelta(days=n) for n in range((last - first).days + 1)
    ]
    assert {bar.start: bar.placed for bar in bars} == {bar.start: placed[bar.start] for bar in bars}
    in_period = sum(n for day, n in cancelled.items() if first <= day <= last)
    assert shown["chart"]["cancelled_total"] == in_period
    assert sum(bar.placed for bar in bars) > 0


def test_the_clock_change_day_counts_its_23_hours_and_not_the_next_days_first_hour():
    _, manager = company_in("Europe/Berlin", "acme")
    # 28 March 23:30 UTC is 29 March 00:30 CET; 29 March 22:30 UTC is 30 March 00:30 CEST.
    for at in ("2026-03-28T23:30:00+00:00", "2026-03-29T21:59:00+00:00"):
        factories.place(manager, at=dt.datetime.fromisoformat(at))
    factories.place(manager, at=dt.datetime.fromisoformat("2026-03-29T22:30:00+00:00"))

    shown = dashboard(manager, data={"from": dt.date(2026, 3, 29), "to": dt.date(2026, 3, 30)})

    assert [(bar.start, bar.placed) for bar in shown["chart"]["bars"]] == [
        (dt.date(2026, 3, 29), 2),
        (dt.date(2026, 3, 30), 1),
    ]


def test_a_user_with_a_zone_of_their_own_sees_their_days_not_the_company_days():
    company, manager = company_in("Europe/Berlin", "acme")
    traveller = factories.user(Role.STAFF, company, username="acme.traveller")
    traveller.time_zone = "America/New_York"
    traveller.save()
    factories.place(manager, at=dt.datetime(2026, 6, 2, 2, 0, tzinfo=dt.UTC))  # 04:00 / 22:00

    period = {"from": dt.date(2026, 6, 1), "to": dt.date(2026, 6, 2)}
    by_manager = {b.start: b.placed for b in dashboard(manager, data=period)["chart"]["bars"]}
    by_traveller = {b.start: b.placed for b in dashboard(traveller, data=period)["chart"]["bars"]}

    assert by_manager == {dt.date(2026, 6, 1): 0, dt.date(2026, 6, 2): 1}
    assert by_traveller == {dt.date(2026, 6, 1): 1, dt.date(2026, 6, 2): 0}


def test_weekly_and_monthly_bars_are_local_weeks_and_months():
    _, manager = company_in("America/New_York", "acme")
    # 1 March 2026 03:00 UTC is 28 February 22:00 in New York: February's, locally.
    factories.place(manager, at=dt.datetime(2026, 3, 1, 3, 0, tzinfo=dt.UTC))
    # Monday 2 March 04:30 UTC is Sunday 1 March 23:30: the week before, locally.
    factories.place(manager, at=dt.datetime(2026, 3, 2, 4, 30, tzinfo=dt.UTC))

    weekly = dashboard(manager, data={"from": dt.date(2026, 1, 1), "to": dt.date(2026, 4, 30)})
    monthly = dashboard(manager, data={"from": dt.date(2025, 1, 1), "to": dt.date(2026, 12, 31)})

    assert weekly["chart"]["bucket"] == "week"
    weeks = {bar.start: bar.placed for bar in weekly["chart"]["bars"] if bar.placed}
    assert weeks == {dt.date(2026, 2, 23): 2}
    assert monthly["chart"]["bucket"] == "month"
    months = {bar.start: bar.placed for bar in monthly["chart"]["bars"] if bar.placed}
    assert months == {dt.date(2026, 2, 1): 1, dt.date(2026, 3, 1): 1}


@pytest.mark.parametrize(
    ("zone", "first", "last"),
    [
        # Days: spring forward and fall back inside the period, New York and Berlin apart.
        ("America/New_York", dt.date(2026, 3, 1), dt.date(2026, 3, 31)),
        ("Europe/Berlin", dt.date(2026, 10, 10), dt.date(2026, 11, 9)),
        # A half-hour clock change (Lord Howe Island, UTC+10:30 / +11), both ways in a year of
        # weeks; a zone 5:45 ahead of UTC.
        ("Australia/Lord_Howe", dt.date(2026, 1, 1), dt.date(2026, 12, 31)),
        ("Asia/Kathmandu", dt.date(2026, 2, 20), dt.date(2026, 4, 10)),
        # Months over two years and their clock changes.
        ("America/New_York", dt.date(2025, 1, 1), dt.date(2026, 12, 31)),
        # Samoa skipped 30 December 2011 (from UTC-10 to UTC+14): a day of no hours.
        ("Pacific/Apia", dt.date(2011, 12, 20), dt.date(2012, 1, 10)),
    ],
)
def test_every_bar_counts_the_events_of_its_local_days_across_clock_changes(zone, first, last):
    company, manager = company_in(zone, "acme")
    rng = random.Random(f"{zone}{first}")
    start = dt.datetime.combine(first, dt.time.min, tzinfo=dt.UTC) - dt.timedelta(days=1)
    seconds = ((last - first).days + 2) * 86400
    for _ in range(80):
        factories.place(manager, at=start + dt.timedelta(seconds=rng.uniform(0, seconds)))

    shown = dashboard(manager, data={"from": first, "to": last})

    placed = local_counts(company, zone, "OrderPlaced")
    bars = shown["chart"]["bars"]
    assert bars[0].start == first and bars[-1].end == last
    for bar in bars:
        expected = sum(n for day, n in placed.items() if bar.start <= day <= bar.end)
        assert bar.placed == expected, (bar.start, bar.end)
    assert sum(bar.placed for bar in bars) == sum(
        n for day, n in placed.items() if first <= day <= last
    )
