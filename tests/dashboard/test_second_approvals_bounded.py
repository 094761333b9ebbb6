"""Invariant 6 on the dashboard's "waiting for a second approval" tile and the Manager's
submitted queue (issues #25 and #28): however many orders wait for a second approval, the
page reads the same queries and at most the rows it shows; it shows how many wait, the oldest
of them, and the queue leaves out what the user approved, counted too."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dashboard import queues
from orders import commands, policy
from orders.events import PolicySettings
from orders.models import Order
from tests import factories
from tests.vendor import ON_POSTGRES

from . import mixed_orders

pytestmark = pytest.mark.django_db

NOW = timezone.now()


@pytest.fixture
def who():
    company = factories.CompanyFactory(slug="acme")
    people = mixed_orders.people(company)
    current = policy.policy_in_force(company.pk)
    commands.change_policy(
        actor=people.ben,
        expected_version=current.version,
        settings=PolicySettings(two_manager_limit=mixed_orders.TWO_MANAGER_LIMIT),
        at=NOW - dt.timedelta(days=30),
    )
    return people


def first_approvals(who, count: int, *, by) -> list[Order]:
    """`count` orders above the two-Manager limit, submitted and approved once by `by`."""
    orders = []
    for index in range(count):
        at = NOW - dt.timedelta(days=20, hours=-index)
        order = factories.place(who.staff, line_count=3, at=at)
        order = commands.transition(
            order.id, "submit", actor=who.staff, expected_version=order.version, at=at
        )
        order = commands.transition(
            order.id, "approve", actor=by, expected_version=order.version, at=at
        )
        assert order.state == "submitted" and len(order.approvals) == 1
        orders.append(order)
    return orders


def dashboard(client, user):
    factories.log_in(client, user)
    client.get("/")  # the process's first request fills caches (content types, the policy)
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/")
    assert response.status_code == 200
    return response, [q["sql"] for q in captured.captured_queries]


def order_rows_read(sqls: list[str]) -> list[str]:
    """The statements that bring whole `Order` rows back (not counts, not subqueries); the
    order's row is its summary row (issue #25)."""
    table = re.escape(Order._meta.db_table)
    return [
        sql
        for sql in sqls
        if re.match(rf'\s*SELECT\s+"{table}"\."id"', sql) and "COUNT(" not in sql
    ]


def test_more_waiting_orders_make_the_same_queries_each_bringing_back_at_most_a_tile(client, who):
    first_approvals(who, 2, by=who.anna)
    _, few = dashboard(client, who.ben)
    first_approvals(who, queues.QUEUE_ROWS * 3, by=who.anna)

    response, many = dashboard(client, who.ben)

    assert len(many) == len(few)
    reads = order_rows_read(many)
    assert reads and all(re.search(r"\bLIMIT \d+", sql) for sql in reads), many
    tile = response.context["second_approvals"]
    assert tile.count == 2 + queues.QUEUE_ROWS * 3
    assert len(tile.oldest) == queues.QUEUE_ROWS


def test_the_tile_shows_the_count_of_all_waiting_and_the_oldest_by_order_number(client, who):
    waiting = first_approvals(who, queues.QUEUE_ROWS + 2, by=who.anna)

    response, _ = dashboard(client, who.ben)

    html = response.content.decode()
    assert re.search(r'data-testid="second-count">7<', html)
    tile = html.split('data-testid="second-approvals"')[1].split("</section>")[0]
    shown = re.findall(r'class="mono">([^<]+)<', tile)
    assert shown == [order.number for order in waiting[: queues.QUEUE_ROWS]]
    assert tile.count('data-testid="second-yours"') == queues.QUEUE_ROWS


def test_the_submitted_queue_leaves_out_and_uncounts_every_order_the_manager_approved(who):
    mine = first_approvals(who, queues.QUEUE_ROWS + 2, by=who.anna)
    theirs = first_approvals(who, 2, by=who.ben)

    (anna_queue,) = [q for q in queues.role_queues(who.anna) if q.state == "submitted"]
    (ben_queue,) = [q for q in queues.role_queues(who.ben) if q.state == "submitted"]

    assert anna_queue.count == len(theirs)
    assert [(r["number"], r["first_by"]) for r in anna_queue.oldest] == [
        (o.number, who.ben.username) for o in theirs
    ]
    assert ben_queue.count == len(mine)
    assert [(r["number"], r["first_by"]) for r in ben_queue.oldest] == [
        (o.number, who.anna.username) for o in mine[: queues.QUEUE_ROWS]
    ]


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite's EXPLAIN QUERY PLAN; PostgreSQL plans by size")
def test_the_waiting_orders_are_read_through_their_own_index_on_the_order_row(who):
    """The order's row is its summary row (issue #25): the partial index of the orders waiting
    for a second approval moved there with it, and the tile's query still reads only it."""
    first_approvals(who, 2, by=who.anna)
    factories.order_in_state("submitted", who.staff.company)  # waiting, but for a first
    waiting = queues.waiting_for_second_approval(who.staff.company_id)
    sql, params = waiting.values("number")[:5].query.sql_with_params()

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        steps = [row[-1] for row in cursor.fetchall()]

    assert any("summary_co_second_approval" in step for step in steps), steps
    assert len(waiting) == 2
