"""The dashboard at `/`: state cards, the 30-day chart, cycle time, stuck orders, htmx refresh."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from orders import commands
from tests import factories
from tests.factories import log_in
from tests.orders.workflow_spec import STATES
from tests.vendor import ON_POSTGRES

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
SHIP = {"carrier": "DHL", "tracking_number": "TRK1"}
TO_DELIVERED = [
    ("submit", {}),
    ("approve", {}),
    ("start_fulfilment", {}),
    ("ship", SHIP),
    ("deliver", {}),
]


def days_ago(days: float) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days)


def walk(order, actor, steps, *, at):
    """Take the workflow `steps` (name, data) at the given moments (one per step)."""
    for (name, data), moment in zip(steps, at, strict=True):
        order = commands.transition(
            order.id, name, actor=actor, expected_version=order.version, at=moment, **data
        )
    return order


def card(html: str, state: str) -> tuple[str, int, str]:
    """(link, count, total) of one state's card."""
    match = re.search(
        rf'<a class="card[^"]*" href="([^"]+)" data-state="{state}">.*?'
        rf'data-testid="count-{state}">(\d+)</div>\s*<div class="small">([^<]*)</div>',
        html,
        re.S,
    )
    return match.group(1), int(match.group(2)), match.group(3)


def section(html: str, testid: str) -> str:
    start = html.index(f'data-testid="{testid}"')
    return html[start : html.index("</section>", start)]


def test_the_dashboard_is_a_full_page_that_refreshes_its_body_every_30_seconds(client, staff):
    log_in(client, staff)

    response = client.get("/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" in html
    assert re.search(
        r'<div id="dashboard-body" hx-get="/" hx-trigger="every 30s" hx-swap="outerHTML"', html
    )


def test_with_htmx_the_dashboard_answers_only_its_body_which_keeps_refreshing(client, staff):
    log_in(client, staff)

    response = client.get("/", **HTMX)

    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    assert "<h1" not in html
    assert html.lstrip().startswith('<div id="dashboard-body"')
    assert 'hx-trigger="every 30s"' in html


def test_a_back_button_restore_of_the_dashboard_gets_the_full_page(client, staff):
    log_in(client, staff)

    response = client.get("/", HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true")

    assert "<html" in response.content.decode()


def test_each_state_has_a_card_with_its_count_and_total_linking_to_the_filtered_list(
    client, acme, staff
):
    factories.place(staff, line_count=1)  # 9.99
    factories.place(staff, line_count=2)  # 31.97
    factories.order_in_state("submitted", acme, line_count=3)  # 67.94
    factories.order_in_state("cancelled", acme, line_count=1)
    log_in(client, staff)

    html = client.get("/").content.decode()

    assert card(html, "draft") == ("/orders/?state=draft", 2, "€41.96")
    assert card(html, "submitted") == ("/orders/?state=submitted", 1, "€67.94")
    assert card(html, "cancelled") == ("/orders/?state=cancelled", 1, "€9.99")
    assert card(html, "approved") == ("/orders/?state=approved", 0, "€0.00")
    states = re.findall(r'<a class="card[^"]*" href="[^"]+" data-state="(\w+)"', html)
    assert states == list(STATES)


def test_a_card_link_opens_the_list_of_exactly_that_states_orders(client, acme, staff):
    factories.place(staff)
    submitted = factories.order_in_state("submitted", acme)
    log_in(client, staff)
    link, count, _ = card(client.get("/").content.decode(), "submitted")

    html = client.get(link).content.decode()

    assert re.findall(r'class="mono">(ACME-\d{6})</a>', html) == [submitted.number]
    assert count == 1


def test_a_card_follows_an_order_through_its_states(client, acme, staff):
    order = factories.place(staff, line_count=1)
    commands.submit(order.id, actor=staff, expected_version=order.version)
    log_in(client, staff)

    html = client.get("/").content.decode()

    assert card(html, "draft")[1:] == (0, "€0.00")
    assert card(html, "submitted")[1:] == (1, "€9.99")


def test_the_chart_is_an_svg_of_30_days_counting_placed_and_delivered_per_day(
    client, staff, manager
):
    factories.place(staff, at=days_ago(40))  # before the chart's window
    factories.place(staff, at=days_ago(3))
    factories.place(staff, at=days_ago(3))
    order = factories.place(staff)
    walk(order, manager, TO_DELIVERED, at=[timezone.now()] * 5)
    log_in(client, staff)

    html = client.get("/").content.decode()

    chart = html[html.index('data-testid="chart"') : html.index("</svg>")]
    assert (
        html[: html.index('data-testid="chart"')]
        .rstrip()
        .endswith('role="img" aria-labelledby="chart-heading"')
    )
    assert chart.count('<rect class="bar-placed"') == 30
    assert chart.count('<rect class="bar-delivered"') == 30
    assert "placed (3)" in html
    assert "delivered (1)" in html
    three_days_ago = timezone.localdate() - dt.timedelta(days=3)
    assert f"{three_days_ago:%Y-%m-%d}: 2 placed, 0 delivered" in chart
    today = timezone.localdate()
    assert f"{today:%Y-%m-%d}: 1 placed, 1 delivered" in chart


def test_the_average_cycle_time_runs_from_submit_to_delivery(client, staff, manager):
    first = factories.place(staff, at=days_ago(30))
    submitted = days_ago(20)
    walk(first, manager, TO_DELIVERED, at=[submitted, *[submitted + dt.timedelta(days=2)] * 4])
    second = factories.place(staff, at=days_ago(30))
    walk(second, manager, TO_DELIVERED, at=[submitted, *[submitted + dt.timedelta(days=4)] * 4])
    log_in(client, staff)

    html = client.get("/").content.decode()

    assert re.search(r'data-testid="cycle-time">3 d 0 h<', html)


def test_the_average_cycle_time_is_a_dash_before_any_delivery(client, acme, staff):
    factories.order_in_state("shipped", acme)
    log_in(client, staff)

    html = client.get("/").content.decode()

    assert re.search(r'data-testid="cycle-time">—<', html)


def test_stuck_orders_are_open_orders_unchanged_for_longer_than_the_setting_oldest_first(
    client, staff, manager, settings
):
    settings.STUCK_AFTER_DAYS = 3
    old_draft = factories.place(staff, at=days_ago(20))
    old_submitted = factories.place(staff, at=days_ago(20))
    walk(old_submitted, staff, [("submit", {})], at=[days_ago(10)])
    five_days = factories.place(staff, at=days_ago(20))
    walk(five_days, staff, [("submit", {})], at=[days_ago(5)])
    factories.place(staff, at=days_ago(1))  # recent
    delivered = factories.place(staff, at=days_ago(20))
    walk(delivered, manager, TO_DELIVERED, at=[days_ago(10)] * 5)  # final: never stuck
    cancelled = factories.place(staff, at=days_ago(20))
    walk(cancelled, staff, [("cancel", {"reason": "No"})], at=[days_ago(10)])
    moved_on = factories.place(staff, at=days_ago(20))
    walk(moved_on, staff, [("submit", {})], at=[days_ago(2)])  # recently moved on
    log_in(client, staff)

    html = client.get("/").content.decode()

    assert "Stuck for more than 3 days (3)" in html
    stuck = html[html.index('data-testid="stuck"') : html.index("</ul>", html.index("stuck"))]
    assert re.findall(r'class="mono">(ACME-\d{6})</a>', stuck) == [
        old_draft.number,
        old_submitted.number,
        five_days.number,
    ]
    assert f'href="/orders/{old_submitted.id}/"' in stuck


def test_the_stuck_threshold_comes_from_the_setting(client, staff, settings):
    settings.STUCK_AFTER_DAYS = 7
    order = factories.place(staff, at=days_ago(20))
    walk(order, staff, [("submit", {})], at=[days_ago(5)])
    log_in(client, staff)

    html = client.get("/").content.decode()

    assert "Stuck for more than 7 days (0)" in html
    assert "Nothing is stuck." in html


def queries_for(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/")
    assert response.status_code == 200
    return len(captured)


def test_the_dashboard_makes_the_same_few_queries_for_3_orders_and_for_40(client, staff, settings):
    settings.STUCK_AFTER_DAYS = 1
    for _ in range(3):
        factories.place(staff, at=days_ago(5))
    log_in(client, staff)
    with_3 = queries_for(client)

    for _ in range(37):
        factories.place(staff, at=days_ago(5))
    with_40 = queries_for(client)

    assert with_3 == with_40
    # session, user with company, the user's and its groups' permissions with its groups (the
    # role shown in the navigation: one read, #25) + 5 for the dashboard (the per-state totals
    # for the cards and the queues' counts, chart and period totals, cycle times (2), stuck
    # rows and count) + Staff's four queues' oldest rows (issue #19; #25 §5): one UNION ALL on
    # PostgreSQL, a query each on SQLite + 1 for the company's controls (whether Staff may
    # approve: which queues are theirs) + 1 for the "waiting for a second approval" tile (#28)
    assert with_40 <= (11 if ON_POSTGRES else 14)
    assert "All 40 stuck orders" in client.get("/").content.decode()  # the list was capped
