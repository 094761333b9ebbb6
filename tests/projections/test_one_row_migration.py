"""One row for an order's current state (issue #25): an install upgraded from two rows per order
(`orders_order` beside the summary row) keeps each order's state, version, authors and
approvals with nothing to rebuild (projections 0020 copies them, orders 0011 drops the table);
going back makes `orders_order` again from the summary rows."""

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from orders.models import Order
from tests import factories

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("rebuildable_db")]

TWO_ROWS = [
    ("orders", "0010_order_second_approval_index"),
    ("projections", "0019_event_number_in_the_event_row"),
]


def migrate(targets=None) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets or executor.loader.graph.leaf_nodes())


def current_states() -> dict:
    fields = ("state", "version", "held_from", "authors", "approvals", "number")
    return {row["id"]: row for row in Order.objects.values("id", *fields)}


def order_table_states() -> list[tuple[str, int]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT state, version FROM orders_order ORDER BY sequence")
        return [tuple(row) for row in cursor.fetchall()]


def test_an_upgraded_install_keeps_each_orders_state_authors_and_approvals(acme):
    for state in ("approved", "on_hold", "submitted", "draft"):
        factories.order_in_state(state, acme)
    before = current_states()
    assert any(row["approvals"] for row in before.values())  # approvals to carry over
    try:
        migrate(TWO_ROWS)
        two_rows = order_table_states()
    finally:
        migrate()

    by_sequence = sorted(before.values(), key=lambda row: row["number"])
    assert two_rows == [(row["state"], row["version"]) for row in by_sequence]
    assert current_states() == before
    out = io.StringIO()
    call_command("verify_projections", stdout=out)
    assert out.getvalue() == "OK\n"
