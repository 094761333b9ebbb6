"""Issue #25's realistic-load gate on PostgreSQL: a dashboard is a round trip per statement, so
each table the page needs is read once where one query can serve. Counted with the statements
the page sends (no clock), for every role, on a company with orders in every situation."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests import factories
from tests.vendor import ON_POSTGRES

from . import mixed_orders

pytestmark = pytest.mark.django_db


@pytest.fixture
def who():
    company = factories.CompanyFactory(slug="counted")
    people = mixed_orders.people(company)
    mixed_orders.seed(company, people, 26, now=timezone.now())
    return people


def dashboard_statements(client, user) -> list[str]:
    factories.log_in(client, user)
    client.get("/")  # the process's first request fills caches (content types, the policy)
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/")
    assert response.status_code == 200
    return [query["sql"] for query in captured.captured_queries]


def reading(table: str, statements: list[str]) -> list[str]:
    """The statements reading `table` (named in their FROM, not only in a subquery)."""
    return [s for s in statements if re.search(rf'\bFROM "{table}"', s.split(" WHERE ")[0])]


def test_the_state_totals_are_read_once_for_the_cards_and_the_queues(client, who):
    for role, user in who.by_role().items():
        statements = dashboard_statements(client, user)

        assert len(reading("projections_dashboardstatetotal", statements)) == 1, role


@pytest.mark.skipif(not ON_POSTGRES, reason="SQLite takes no LIMIT inside a UNION ALL")
def test_on_postgresql_every_queue_of_the_role_is_read_in_one_query(client, who):
    for role in ("Staff", "Manager", "Manager (gave first approvals)"):
        statements = dashboard_statements(client, who.by_role()[role])
        # The queues' LIMITed reads (the stuck card's has its count as a window: OVER; the
        # oldest orders waiting for a second approval are `Order` rows, on the same table since
        # #25's one row per order, and select its approvals).
        queue_reads = [
            s
            for s in reading("projections_ordersummary", statements)
            if "LIMIT" in s and " OVER " not in s and '"approvals"' not in s.split(" FROM ")[0]
        ]

        assert len(queue_reads) == 1, role
        assert "UNION ALL" in queue_reads[0], role


def test_the_dashboard_sends_a_bounded_handful_of_statements(client, who):
    # session, user with company, permissions with groups (the navigation's role): 3; the second
    # approvals' counts and oldest: 2; the state totals, chart, stuck: 3; the cycle times: 2
    # (one query with windows cost more to compile than the round trip it saves); the policy
    # (who may give a second approval): 1; the queues' oldest rows: 1 on PostgreSQL, a query
    # per queue on SQLite (a Manager's six). Before #25's cut: 19 and 19.
    most = 12 if ON_POSTGRES else 17
    for role, user in who.by_role().items():
        assert len(dashboard_statements(client, user)) <= most, role
