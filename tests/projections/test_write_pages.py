"""What a command writes, B-tree by B-tree (issue #25): every index of the hot tables is there
for a query that uses it, and a transition rewrites only the tables and indexes it must. An
index added to a hot table, or a read model written by every command, shows up here first."""

import struct
from pathlib import Path

import pytest
from django.db import connection

from orders import commands
from tests import factories
from tests.vendor import sqlite_only

pytestmark = [pytest.mark.django_db(transaction=True)]

# Every secondary index (and unique constraint) of the tables each command writes, by its
# columns, and the query it serves. The primary keys are not listed.
HOT_TABLE_INDEXES = {
    "events_event": {
        # reading a stream (load_current, read_stream) and optimistic concurrency
        ("stream_id", "version"),
        # an event by its id (the outbox's items, webhooks, the erasure certificate); the log's
        # order (replay, catch-up, the head) is the table's own: position is its rowid
        ("id",),
        # a company's events by position: the audit log, the outbox's subscriptions, ops
        ("company_id", "position"),
        # a company's events of one type: the audit log's type filter, the placement's
        # repeat check, the importer's references, erasures
        ("company_id", "event_type", "position"),
        # a company's events in a period: the controls report, a webhook replay `since`, the
        # audit log's date filters
        ("company_id", "occurred_at"),
        # an event by its company number (audit cursors, the API's feed, webhooks), unique;
        # and the company's highest number, which the append's INSERT counts on
        ("company_id", "number"),
    },
    "projections_ordersummary": {
        # the list, newest first (its default; filtered by state too: the whole sort)
        ("company_id", "placed_at", "sequence"),
        # the list sorted by number and the next order number (place), unique; and the same
        # columns as a partial index of the orders waiting for a second approval only (the
        # dashboard). `orders.Order` is this row (issue #25): no table of order states beside.
        ("company_id", "sequence"),
        ("company_id", "number"),  # an order by its number, unique
        # the list sorted by total, line count, last change, customer, time in state (each
        # with its tie-breaker: tests/orders/test_list_query_plans.py)
        ("company_id", "total_cents", "sequence"),
        ("company_id", "line_count", "sequence"),
        ("company_id", "last_changed_at", "sequence"),
        ("company_id", "customer_name", "sequence"),
        ("company_id", "state_since", "sequence"),
        ("company_id", "state", "total_cents"),  # the list filtered by state and total
        # role queues' oldest rows, stuck orders, the list's count filtered by state; and the
        # same columns as a partial index of the returned drafts only (the Staff queue)
        ("company_id", "state", "state_since", "sequence"),
        # a customer's newest orders and their totals (the customer page)
        ("company_id", "customer_id", "placed_at", "sequence"),
    },
    "projections_projectioncheckpoint": {
        ("name",),
    },
}


@pytest.mark.parametrize("table", sorted(HOT_TABLE_INDEXES))
def test_each_hot_table_has_only_the_indexes_a_query_uses(table):
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)

    indexes = {
        tuple(found["columns"])
        for found in constraints.values()
        if (found["index"] or found["unique"]) and not found["primary_key"]
    }

    assert indexes == HOT_TABLE_INDEXES[table]


def _wal_frame_pages(path: Path) -> list[int]:
    """The page number of each frame in a WAL file: a 32-byte header, then frames of a 24-byte
    header and a page; frames of an earlier generation (another salt) are not part of the log
    (https://sqlite.org/fileformat.html#the_write_ahead_log)."""
    data = path.read_bytes()
    if len(data) < 32:
        return []
    page_size, salt = struct.unpack(">I", data[8:12])[0], data[16:24]
    pages, offset = [], 32
    while offset + 24 + page_size <= len(data) and data[offset + 8 : offset + 16] == salt:
        pages.append(struct.unpack(">I", data[offset : offset + 4])[0])
        offset += 24 + page_size
    return pages


def _btree_names() -> dict[int, str]:
    """Page number -> the table it belongs to, or `table(columns)` for an index (SQLite's
    `dbstat`; pages of no B-tree, such as free pages and the file header's, are left out)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, tbl_name, type FROM sqlite_master")
        kinds = {name: (table, kind) for name, table, kind in cursor.fetchall()}
        labels = {}
        for name, (table, kind) in kinds.items():
            if kind == "index":
                cursor.execute(f"SELECT name FROM pragma_index_info('{name}')")
                columns = [row[0] or "<expression>" for row in cursor.fetchall()]
                labels[name] = f"{table}({', '.join(columns)})"
            else:
                labels[name] = name
        cursor.execute("SELECT pageno, name FROM dbstat")
        return {page: labels.get(name, name) for page, name in cursor.fetchall() if page != 1}


def btrees_written(command) -> set[str]:
    """The tables and indexes whose pages the commit of `command()` wrote (SQLite: the WAL's
    frames, autocheckpoint off, the WAL emptied first)."""
    wal = Path(f"{connection.settings_dict['NAME']}-wal")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_autocheckpoint=0")
        cursor.fetchall()  # a PRAGMA's row left unread would keep its statement running
        try:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            cursor.fetchall()
            command()
            pages = _wal_frame_pages(wal)
            owners = _btree_names()
        finally:
            cursor.execute("PRAGMA wal_autocheckpoint=1000")
            cursor.fetchall()
    return {owners[page] for page in pages if page in owners}


# The event (its row and six indexes, its company number's among them: no table of numbers
# beside it), the order's summary row, which is its state row too (`orders.Order` reads it: no
# `orders_order` row beside it, issue #25; its state, time in state and last change are in four
# indexes), and the dashboard's per-state totals. Not the dashboard's order row: it keeps no
# state, and an approval changes nothing else of it. No checkpoint row: projections following
# the log are not written per command.
TRANSITION_WRITES = {
    "events_event",  # keyed by position (its rowid): no index of positions beside it
    "events_event(id)",
    "events_event(stream_id, version)",
    "events_event(company_id, position)",
    "events_event(company_id, event_type, position)",
    "events_event(company_id, occurred_at)",
    "events_event(company_id, number)",
    "projections_ordersummary",
    "projections_ordersummary(company_id, state, total_cents)",
    "projections_ordersummary(company_id, state, state_since, sequence)",
    "projections_ordersummary(company_id, last_changed_at, sequence)",
    # the list sorted by time in state: the one list sort whose column a transition changes
    "projections_ordersummary(company_id, state_since, sequence)",
    "projections_dashboardstatetotal",
}


@sqlite_only("the WAL file's frames")
def test_an_approval_writes_only_the_btrees_it_must(acme, manager):
    order = factories.order_in_state("submitted", acme)
    factories.order_in_state("approved", acme)  # the rows not all alone on their pages

    written = btrees_written(
        lambda: commands.approve(order.pk, actor=manager, expected_version=order.version)
    )

    assert written == TRANSITION_WRITES
