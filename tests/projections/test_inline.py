"""Inline projections run in the append's transaction: they commit or roll back with the event."""

import re
import uuid
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from events import store
from events.models import Event
from orders import commands
from orders.events import NoteAdded, OrderPlaced, PolicySettings
from orders.exceptions import ActionNotPermitted
from orders.models import Order
from projections import engine
from projections.registry import all_projections, get_projections
from tests import factories

from .read_models import snapshot

# Committed for real, so that the rollback below is the command's own transaction, not a savepoint.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("rebuildable_db")]

PROJECTION_NAMES = [p.name for p in all_projections()]


class Injected(Exception):
    pass


def break_projection(monkeypatch, name: str) -> None:
    """From now on, the named projection's `apply` raises."""
    (projection,) = get_projections([name])

    def apply(events, using):
        raise Injected(f"{name} failed")

    monkeypatch.setattr(projection, "apply", apply)


@pytest.mark.parametrize("name", PROJECTION_NAMES)
def test_a_projection_failing_inline_rolls_a_placed_order_back(acme, staff, name, monkeypatch):
    factories.order_in_state("submitted", acme)
    events, before = Event.objects.count(), snapshot()
    break_projection(monkeypatch, name)

    with pytest.raises(Injected, match=name):
        factories.place(staff)

    assert Event.objects.count() == events
    assert snapshot() == before


@pytest.mark.parametrize("name", PROJECTION_NAMES)
def test_a_projection_failing_inline_rolls_a_transition_back(acme, staff, name, monkeypatch):
    draft = factories.place(staff)
    events, before = Event.objects.count(), snapshot()
    break_projection(monkeypatch, name)

    with pytest.raises(Injected, match=name):
        commands.submit(draft.id, actor=staff, expected_version=draft.version)

    assert Event.objects.count() == events
    assert snapshot() == before
    assert Order.objects.get(pk=draft.pk).state == "draft"


def test_every_command_moves_every_projection_in_step_to_the_new_head(acme, globex):
    for company in (acme, globex):
        factories.order_in_state("delivered", company)

    head = store.head_position()
    assert head == 12
    assert engine.checkpoint_positions() == dict.fromkeys(PROJECTION_NAMES, head)


def test_a_refused_command_writes_no_event_and_no_row(acme, auditor):
    factories.order_in_state("approved", acme)
    events, before = Event.objects.count(), snapshot()

    with pytest.raises(ActionNotPermitted):
        factories.place(auditor)

    assert Event.objects.count() == events
    assert snapshot() == before


def _first_order_placed() -> OrderPlaced:
    """The first order of a company, as a bare `store.append` takes it."""
    return OrderPlaced(
        number="ACME-000001",
        sequence=1,
        currency="EUR",
        details=factories.details(),
        lines=tuple(factories.lines(1)),
    )


def test_a_projection_failing_rolls_back_a_bare_append_too(acme, staff, monkeypatch):
    event = _first_order_placed()
    break_projection(monkeypatch, "dashboard")

    with pytest.raises(Injected):
        store.append(uuid.uuid4(), 0, [event], company=acme, actor=staff)

    assert Event.objects.count() == 0
    assert snapshot() == {table: [] for table in snapshot()}


def test_a_transition_updates_only_the_columns_it_changes(acme, staff):
    """Rows read back from the database are written as an UPDATE of the changed columns (an
    upsert of every column would rewrite the row in every index of its table), and rows the
    event leaves as they were are not written at all."""
    order = factories.order_in_state("draft", acme)

    with CaptureQueriesContext(connection) as queries:
        commands.submit(order.pk, actor=staff, expected_version=order.version)

    # An executemany is logged as "N times: <sql>".
    statements = [re.sub(r"^\d+ times: ", "", q["sql"]) for q in queries.captured_queries]
    writes = [sql for sql in statements if sql.startswith(("INSERT", "UPDATE"))]
    # The order's one row: its state for the FSM and its summary for the pages (issue #25).
    order_writes = [sql for sql in writes if '"projections_ordersummary"' in sql]
    assert order_writes == [
        'UPDATE "projections_ordersummary" SET "state" = %s, "version" = %s, '
        '"last_changed_at" = %s, "state_since" = %s, "submitted_at" = %s WHERE "id" = %s'
    ]
    assert not any('"orders_order"' in sql for sql in statements)
    assert not any('"projections_dashboardactivity"' in sql for sql in writes)
    assert Order.objects.get(pk=order.pk).state == "submitted"


def _statements_of(command) -> list[str]:
    """Every statement `command()` sends to the database, as `connection.execute_wrapper` sees
    them (an executemany is one call, as it is one statement prepared once)."""
    sent: list[str] = []

    def record(execute, sql, params, many, context):
        sent.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        command()
    return sent


def test_an_approval_takes_six_statements_and_reads_the_order_once(acme, staff, manager):
    """#25: two reads decide everything. The actor as committed now, with its company and its
    permissions (#24 item 8), in one; the order's state, its inline read models' rows, the
    log's head, the stream's owner (#24 item 1), the company policy's last event (#28) and the
    projections' checkpoints in the other (`store.load_current`). Then the event (its company
    number counted by its own INSERT: was a statement of its own, nine in all), one row of the
    order (its summary row, which is its state row too: was three with `orders_order` and the
    dashboard's order row, which keeps no state, eight statements, issue #25) and the
    per-state totals. No checkpoint is written: the projections follow the log (was ten
    statements, with an UPDATE of the checkpoints). A policy never changed is not read at all.
    No savepoint on either database: the event's INSERT skips a conflict.
    """
    order = factories.order_in_state("submitted", acme)
    manager.has_perm("orders.approve_order")  # the request's own cache: not what decides

    sent = _statements_of(
        lambda: commands.approve(order.pk, actor=manager, expected_version=order.version)
    )

    reads = [sql for sql in sent if sql.startswith("SELECT")]
    # PostgreSQL: the writers' lock in place of BEGIN (psycopg's BEGIN goes with the first
    # statement); the worker's NOTIFY comes from a trigger (outbox 0003), not a statement.
    postgres = connection.vendor == "postgresql"
    assert len(sent) == 6, "\n".join(s[:90] for s in sent)
    assert len(reads) == 2 + postgres, reads
    assert not any("projections_projectioncheckpoint" in sql for sql in sent if sql[:6] != "SELECT")
    assert sum('t0."number"' in sql for sql in reads) == 1
    writes = [sql for sql in sent if sql.startswith(("INSERT", "UPDATE"))]
    assert [sql.split('"')[1] for sql in writes] == [
        "events_event",
        "projections_ordersummary",
        "projections_dashboardstatetotal",
    ]
    assert not any("SAVEPOINT" in sql for sql in sent)
    assert Order.objects.get(pk=order.pk).state == "approved"


def test_placing_an_order_takes_eleven_statements_and_looks_for_no_projection_row(acme, staff):
    """A new stream has no rows in the inline projections (only its events make them), so the
    projections insert without looking; the order's repeat check and the company's last
    sequence are one read, the stream's owner, the log's head and the projections' checkpoints
    another (no checkpoint written: was fourteen statements; the event number in the event's
    INSERT: was thirteen; no `orders_order` row beside the summary's: was twelve). The order's
    data subject gets its
    key (issue #30: a look-up and an insert in the key store)."""
    factories.order_in_state("submitted", acme)
    staff.has_perm("orders.place_order")

    sent = _statements_of(lambda: factories.place(staff))

    postgres = connection.vendor == "postgresql"  # the writers' lock (a SELECT) for BEGIN
    assert len(sent) == 11, "\n".join(s[:90] for s in sent)
    assert len([sql for sql in sent if sql.startswith("SELECT")]) == 4 + postgres
    assert not any(sql.startswith("SELECT") and " IN (" in sql for sql in sent)


def test_a_changed_policy_is_read_once_per_version_not_once_per_command(acme, staff, manager):
    """The policy's history is kept by the id of its stream's last event, which
    `load_current` reads with the order: after a change, at most the first command reads the
    stream (the change itself may have), the next ones do not; a newer version decides."""
    first, second, third = (factories.order_in_state("submitted", acme) for _ in range(3))
    mine = factories.place(manager)
    mine = commands.submit(mine.pk, actor=manager, expected_version=mine.version)
    commands.change_policy(
        actor=manager, expected_version=0, settings=PolicySettings(staff_limit=Decimal("5"))
    )

    def policy_reads(order) -> int:
        sent = _statements_of(
            lambda: commands.approve(order.pk, actor=manager, expected_version=order.version)
        )
        return sum('"events_event"."payload"' in sql for sql in sent)

    assert policy_reads(first) <= 1
    assert policy_reads(second) == 0
    commands.change_policy(
        actor=manager,
        expected_version=1,
        settings=PolicySettings(staff_limit=Decimal("5"), four_eyes=False),
    )
    assert policy_reads(mine) <= 1  # four eyes off since: the Manager approves his own order
    assert policy_reads(third) == 0
    assert Order.objects.get(pk=mine.pk).state == "approved"


def test_delivering_adds_only_the_days_count_and_the_cycle_sum(acme, staff, manager):
    order = factories.order_in_state("shipped", acme)
    staff.has_perm("orders.deliver_order")

    sent = _statements_of(
        lambda: commands.deliver(order.pk, actor=staff, expected_version=order.version)
    )

    # The approval's six, plus the dashboard's order row (delivered, its cycle time) and the
    # day's count.
    postgres = connection.vendor == "postgresql"  # the writers' lock (a SELECT) for BEGIN
    assert len(sent) == 8, "\n".join(s[:90] for s in sent)
    assert len([sql for sql in sent if sql.startswith("SELECT")]) == 2 + postgres


def test_appends_to_a_new_stream_in_one_writer_transaction_each_find_the_rows_before_them(
    acme, staff
):
    """A bare append of a stream's first event leaves nothing behind for the next append in
    the same writer transaction (the seed and the importer append several in one): before,
    the second append's projections were told the stream had no rows and failed (KeyError)."""
    placed = _first_order_placed()
    order_id = uuid.uuid4()

    with store.write_transaction():
        store.append(order_id, 0, [placed], company=acme, actor=staff)
        store.append(order_id, 1, [NoteAdded(text="a second event")], company=acme, actor=staff)

    inline = snapshot()
    engine.rebuild(all_projections())
    assert Order.objects.get(pk=order_id).version == 2
    assert snapshot() == inline
