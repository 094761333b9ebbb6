"""Issue #25 §5: the dashboard's cost does not grow with the company's orders. Proven without a
clock: a company with ten times the orders gets the same queries, and each query reads through
an index to a bounded range (SQLite's EXPLAIN QUERY PLAN: no table scanned, nothing sorted but
a period's deliveries or the stuck orders); and what the page shows equals the figures computed
again from the log, for every role."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Role
from dashboard import queues
from orders import commands
from tests import factories
from tests.vendor import ON_POSTGRES

from . import mixed_orders

pytestmark = pytest.mark.django_db

FEW, MANY = 26, 260  # two and twenty times every situation of `mixed_orders.SITUATIONS`
# The tables whose rows grow with the orders: none may be scanned.
GROWING = re.compile(r"\b(orders_order|projections_\w+|events_event)\b")
# The two sorts left, each over a bounded range the plan must show: the cycle times rank the
# period's deliveries (exact to the second: see `dashboard.selectors.cycle_times`), the stuck
# card's oldest rows are sorted from the stuck orders its count reads anyway.
BOUNDED_SORTS = {
    "projections_dashboardorder": "delivered_at>? AND delivered_at<?",
    "projections_ordersummary": "state_since<?",
}


@pytest.fixture
def now():
    return timezone.now()


@pytest.fixture
def few(now):
    company = factories.CompanyFactory(slug="few")
    who = mixed_orders.people(company)
    mixed_orders.seed(company, who, FEW, now=now)
    return who


@pytest.fixture
def many(now):
    company = factories.CompanyFactory(slug="many")
    who = mixed_orders.people(company)
    mixed_orders.seed(company, who, MANY, now=now)
    return who


def dashboard_queries(client, user) -> list[str]:
    factories.log_in(client, user)
    client.get("/")  # the process's first request fills caches (content types, the policy)
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/")
    assert response.status_code == 200
    return [query["sql"] for query in captured.captured_queries]


def plan(sql: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
        return [row[-1] for row in cursor.fetchall()]


def test_ten_times_the_orders_make_the_same_queries(client, few, many):
    for role, user in few.by_role().items():
        few_queries = dashboard_queries(client, user)
        many_queries = dashboard_queries(client, many.by_role()[role])

        assert len(few_queries) == len(many_queries), role


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite's EXPLAIN QUERY PLAN; PostgreSQL plans by size")
def test_every_dashboard_query_reads_a_bounded_index_range(client, many):
    for user in many.by_role().values():
        for sql in dashboard_queries(client, user):
            if not sql.lstrip().upper().startswith("SELECT") or not GROWING.search(sql):
                continue
            steps = plan(sql)
            scans = [s for s in steps if s.startswith("SCAN") and GROWING.search(s)]
            assert not scans, (sql, steps)
            if any("TEMP B-TREE FOR ORDER BY" in s or "TEMP B-TREE FOR RIGHT" in s for s in steps):
                table = next(t for t in BOUNDED_SORTS if f'"{t}"' in sql.split(" WHERE ")[0])
                assert any(BOUNDED_SORTS[table] in s for s in steps if "SEARCH" in s), (sql, steps)
            # The queues' oldest rows: read in the index's order, stopping after them.
            if " LIMIT " in sql and 'state_since" <' not in sql:
                assert not any("TEMP B-TREE" in s for s in steps), (sql, steps)


def test_what_the_dashboard_shows_equals_the_figures_computed_from_the_log(
    client, now, many, settings
):
    settings.STUCK_AFTER_DAYS = 3
    for role, user in many.by_role().items():
        shown, period = mixed_orders.shown(client, user)

        assert shown == mixed_orders.expected(user, now=now, period=period), role
        assert shown["cycle"].count > 1 and shown["stuck"][0] > 0
    factories.log_in(client, many.ben)
    for query in ("period=7", "period=90", "period=all", "from=2000-01-01&to=2999-12-31"):
        response = client.get(f"/?{query}")
        shown = mixed_orders.figures(response.context)
        expected = mixed_orders.expected(many.ben, now=now, period=response.context["period"])
        assert shown == expected, query


def test_a_returned_draft_leaves_the_queue_count_when_cancelled_or_submitted(client, acme):
    staff = factories.user(Role.STAFF, acme)
    manager = factories.user(Role.MANAGER, acme)
    sent_back = []
    for _ in range(3):
        order = factories.order_in_state("submitted", acme)
        sent_back.append(
            commands.reject(order.id, actor=manager, expected_version=order.version, reason="Check")
        )
    factories.order_in_state("draft", acme)

    def returned_count() -> int:
        (queue,) = [q for q in queues.role_queues(staff) if q.returned]
        return queue.count

    assert returned_count() == 3
    first, second, _ = sent_back
    commands.cancel(first.id, actor=staff, expected_version=first.version, reason="Withdrawn")
    commands.submit(second.id, actor=staff, expected_version=second.version)
    assert returned_count() == 1
