"""Rebuild: replaying the log aside and swapping it in gives exactly the rows built inline."""

import os

import pytest
from django.db import connection
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from accounts.models import Role
from events import store
from projections import aside_postgres, engine
from projections.models import DashboardStateTotal, OrderSummary, ProjectionCheckpoint
from projections.registry import all_projections
from tests import factories
from tests.vendor import ON_POSTGRES

from .histories import TOUR, histories, play
from .read_models import (
    CHECKPOINTS,
    read_model_tables,
    run,
    snapshot,
    table_rows,
    tables_of,
    verify_differences,
    wipe,
)
from .writers import place_just_before_the_first_attach, place_on_another_connection

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("rebuildable_db")]


# The database is not reset between Hypothesis examples: each example's history is added to the
# log the previous ones left, which is still a history, so the property is the same.
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=histories, batch_size=st.integers(1, 40))
@example(history=TOUR, batch_size=3)
def test_rebuild_after_any_history_reproduces_the_inline_rows_exactly(
    acme, globex, scratch_files, history, batch_size
):
    play(history, [acme, globex])
    inline = snapshot()
    wipe(read_model_tables())  # so that every row compared below comes from the replay

    output = run("rebuild_projections", batch_size=batch_size)

    assert snapshot() == inline
    assert output.startswith("Rebuilt order_summary, dashboard, customer, sku:")
    assert run("verify_projections") == "OK\n"
    assert scratch_files.created and scratch_files.left_behind() == []


def test_rebuild_of_an_empty_log_leaves_empty_read_models_at_position_zero(scratch_files):
    output = run("rebuild_projections")

    assert snapshot(tables_of()) == {table: [] for table in tables_of()}
    assert engine.checkpoint_positions() == {p.name: 0 for p in all_projections()}
    assert "0 events" in output
    assert output.rstrip().endswith("head position 0.")
    (path,) = scratch_files.created  # built aside next to the live tables, then removed
    if ON_POSTGRES:
        assert path.startswith(aside_postgres.SCHEMA_PREFIX)  # a schema of the same database
    else:
        assert os.path.dirname(path) == os.path.dirname(connection.settings_dict["NAME"])
        assert os.path.basename(path).startswith(".projections-scratch-")
    assert scratch_files.left_behind() == []


def test_rebuilding_one_projection_leaves_the_others_rows_and_checkpoints_untouched(acme):
    tampered = factories.order_in_state("submitted", acme)
    for state in ("delivered", "on_hold", "draft"):
        factories.order_in_state(state, acme)
    # Corrupt a row of another projection, and one of the rebuilt one.
    OrderSummary.objects.filter(pk=tampered.pk).update(total_cents=1)
    DashboardStateTotal.objects.filter(company=acme, state="submitted").update(count=99)
    # ...and leave another projection behind: its checkpoint must stay where it is.
    behind = store.head_position() - 2
    ProjectionCheckpoint.objects.filter(name="order_summary").update(position=behind)
    others = snapshot(tables_of("order_summary"))
    checkpoints = table_rows(CHECKPOINTS)

    output = run("rebuild_projections", "dashboard")

    assert snapshot(tables_of("order_summary")) == others
    assert OrderSummary.objects.get(pk=tampered.pk).total_cents == 1  # still corrupted
    assert DashboardStateTotal.objects.get(company=acme, state="submitted").count == 1  # repaired
    assert table_rows(CHECKPOINTS) == checkpoints
    assert output.startswith("Rebuilt dashboard:")
    assert run("verify_projections", "dashboard", "customer") == "OK\n"
    assert f"projections_ordersummary {tampered.pk.hex}: differs" in verify_differences()


# Regression: the tail used to be written to the scratch file inside the swap transaction, whose
# BEGIN IMMEDIATE also locks the attached scratch file: "database is locked", on a fresh
# connection (as in the management command) and on any connection's second scratch database.
@pytest.mark.parametrize("connection_state", ["fresh", "used for a verify before"])
def test_rebuild_applies_the_events_another_writer_appended_while_it_built_aside(
    acme, monkeypatch, connection_state
):
    staff = factories.user(Role.STAFF, acme)
    factories.order_in_state("shipped", acme)
    if connection_state == "fresh":
        connection.close()
    else:
        run("verify_projections")
    build_aside = engine.build_aside
    late = []

    def build_while_someone_places_an_order(*args, **kwargs):
        done = build_aside(*args, **kwargs)
        late.append(place_on_another_connection(staff))
        return done

    monkeypatch.setattr(engine, "build_aside", build_while_someone_places_an_order)

    output = run("rebuild_projections")

    head = engine.status()[0].head
    assert len(late) == 1
    assert OrderSummary.objects.filter(pk=late[0].pk).exists()  # the swap kept the late order
    assert engine.checkpoint_positions() == {p.name: head for p in all_projections()}
    assert f"{head} events" in output
    assert run("verify_projections") == "OK\n"


def test_rebuild_catches_up_again_when_events_arrive_just_before_the_swap(acme, monkeypatch):
    factories.order_in_state("approved", acme)
    attempts = place_just_before_the_first_attach(monkeypatch, factories.user(Role.STAFF, acme))

    output = run("rebuild_projections")

    head = store.head_position()
    assert len(attempts) == 2  # the first swap attempt saw the new event and stood down
    assert engine.checkpoint_positions() == {p.name: head for p in all_projections()}
    assert output.rstrip().endswith(f"head position {head}.")
    assert run("verify_projections") == "OK\n"


def test_rebuild_leaves_the_live_tables_schema_exactly_as_the_migrations_made_it(acme):
    """The swap drops the secondary indexes and builds them again after the insert: they must
    all come back, the same, and still serve the list page's query."""
    for state in ("draft", "shipped", "delivered"):
        factories.order_in_state(state, acme)

    def schema():
        with connection.cursor() as cursor:
            if ON_POSTGRES:
                cursor.execute(
                    "SELECT 'index', indexname, tablename, indexdef FROM pg_indexes "
                    "WHERE schemaname = current_schema() ORDER BY indexname"
                )
            else:
                cursor.execute(
                    "SELECT type, name, tbl_name, sql FROM sqlite_master "
                    "WHERE name NOT LIKE 'sqlite_stat%' ORDER BY type, name"
                )
            return cursor.fetchall()

    before = schema()
    assert any(name == "summary_co_placed" for _type, name, *_ in before)

    run("rebuild_projections")

    assert schema() == before
    if ON_POSTGRES:
        return  # the swap leaves PostgreSQL's indexes in place; its planner picks by table size
    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN QUERY PLAN SELECT id FROM projections_ordersummary "
            "WHERE company_id = %s ORDER BY placed_at DESC, sequence DESC LIMIT 25",
            [acme.pk.hex],
        )
        assert "summary_co_placed" in " ".join(str(row) for row in cursor.fetchall())


@pytest.mark.parametrize("replay", ["stream by stream", "in log order", "in 3 processes"])
def test_rebuild_with_rows_evicted_from_memory_and_read_back_is_still_exact(
    acme, globex, monkeypatch, replay
):
    """A tiny row cache: rows go to the scratch file and come back many times per replay,
    and the stream-by-stream replay gives what the inline (log order) projectors made."""
    play(TOUR, [acme, globex])
    play(TOUR, [globex, acme])  # interleave more streams, over both companies
    inline = snapshot()
    wipe(read_model_tables())
    monkeypatch.setattr("projections.rows.CACHE_ROWS", 2)
    if replay == "in log order":
        for projection in all_projections():
            monkeypatch.setattr(projection, "stream_local", False)

    run("rebuild_projections", batch_size=3, processes=3 if replay == "in 3 processes" else 1)

    assert snapshot() == inline
    assert run("verify_projections") == "OK\n"
