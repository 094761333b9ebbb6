"""The order list's page is read from an index in the page's order, whatever the user picks
(QA after issue #25: `?state=on_hold&sort=placed` sorted the company's orders). Proven with
SQLite's EXPLAIN QUERY PLAN for every filter of the list form and every sort, both directions:
the summary table is never scanned, and a sort happens only over the rows a filter's own index
range selects (which the page's count reads anyway), never over the company's orders."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orders import commands
from orders.filters import SORTS
from tests import factories
from tests.vendor import ON_POSTGRES

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(ON_POSTGRES, reason="SQLite's EXPLAIN QUERY PLAN; PostgreSQL plans by size"),
]

# Every filter of the list form (orders.filters.OrderFilter), alone, and the states together.
FILTERS = [
    "",
    "state=on_hold",
    "state=on_hold&state=draft",
    "stuck=true",
    "returned=true",
    "mine=true",
    "q=ini",
    "placed_after=2025-01-01",
    "placed_before=2030-01-01",
    "total_min=10",
    "total_max=100",
    "state=draft&total_min=10",
]
SORT_CHOICES = [*SORTS, *(f"-{name}" for name in SORTS)]
# A SEARCH step confined by a filter's own column: the sort after it is over what it selects.
FILTER_RANGE = re.compile(r"company_id=\? AND (state=\?|\w+[<>])")


def plan(sql: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
        return [row[-1] for row in cursor.fetchall()]


def page_plans(client, query: str) -> list[list[str]]:
    """The plans of the list's reads of order summaries in an order (the page; not the count)."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"/orders/?{query}")
    assert response.status_code == 200, query
    plans = [
        plan(item["sql"])
        for item in captured.captured_queries
        if "projections_ordersummary" in item["sql"] and " ORDER BY " in item["sql"]
    ]
    assert plans, query
    return plans


@pytest.fixture
def listing(client, settings, acme, staff, manager):
    """Orders in several states, one of them a draft sent back, every open one stuck (so each
    filter finds some), and the staff member's list opened once (a user's first request also
    reads its role and permissions)."""
    settings.STUCK_AFTER_DAYS = 0
    for state in ("draft", "submitted", "approved", "on_hold", "shipped", "delivered"):
        factories.order_in_state(state, acme)
    sent = factories.order_in_state("submitted", acme)
    commands.transition(
        sent.id, "reject", actor=manager, expected_version=sent.version, reason="Wrong SKU"
    )
    factories.place(staff)  # one of "mine"
    factories.log_in(client, staff)
    client.get("/orders/")
    return client


def test_every_filter_and_sort_reads_the_page_from_an_index(listing):
    failures = []
    for query in FILTERS:
        for sort in SORT_CHOICES:
            full = f"{query}&sort={sort}" if query else f"sort={sort}"
            for steps in page_plans(listing, full):
                scanned = any(s.startswith("SCAN") and "ordersummary" in s for s in steps)
                sorted_ = any("TEMP B-TREE" in s for s in steps)
                confined = any(FILTER_RANGE.search(s) for s in steps if s.startswith("SEARCH"))
                if scanned or (sorted_ and not confined):
                    failures.append(f"{full}: {steps}")
    assert not failures, "\n".join(failures)


def test_on_hold_orders_sorted_by_placed_are_read_in_the_placed_index_order(listing):
    (steps,) = page_plans(listing, "state=on_hold&sort=placed")

    assert not any("TEMP B-TREE" in s for s in steps), steps
    assert any("summary_co_placed" in s for s in steps), steps
