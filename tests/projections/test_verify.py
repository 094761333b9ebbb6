"""Verify: a read-model row the log would not produce is reported, with its id and column."""

import pytest
from django.core.management import CommandError
from django.db import connection

from accounts.models import Role
from events import replay
from orders.models import Order
from projections.models import DashboardStateTotal, ProjectionCheckpoint
from projections.registry import get_projections
from tests import factories

from .read_models import run, snapshot, tables_of, verify_differences, wipe
from .writers import place_just_before_the_first_attach

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("rebuildable_db")]


def execute(sql: str, params=()) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


@pytest.fixture
def submitted(acme, globex):
    """A submitted order (lines 1 x 9.99 + 2 x 10.99), among others in both companies."""
    factories.order_in_state("delivered", acme)
    factories.order_in_state("draft", globex)
    return factories.order_in_state("submitted", acme)


def test_verify_prints_ok_when_every_row_matches_the_log(submitted):
    assert run("verify_projections") == "OK\n"


@pytest.mark.parametrize("processes", [0, -2])
def test_verify_refuses_fewer_than_one_process_as_rebuild_does(submitted, processes):
    with pytest.raises(CommandError, match="--processes must be at least 1"):
        run("verify_projections", processes=processes)


@pytest.mark.parametrize("batch_size", [0, -5])
def test_verify_refuses_a_batch_size_below_one_instead_of_reporting_every_row_differing(
    submitted, batch_size
):
    """Read in batches of none, the log gave no rows: every live row was 'unexpected' and the
    operator was told to rebuild read models that were right."""
    with pytest.raises(CommandError, match="--batch-size must be at least 1"):
        run("verify_projections", batch_size=batch_size)
    assert run("verify_projections") == "OK\n"


def test_a_changed_total_is_reported_with_the_row_id_and_both_values(submitted):
    execute("UPDATE projections_ordersummary SET total_cents = 1 WHERE id = %s", [submitted.pk.hex])

    printed = verify_differences()

    assert printed == (
        f"order_summary projections_ordersummary {submitted.pk.hex}: "
        "differs: total_cents: live=1 expected=3197\n"
    )


def test_a_changed_state_is_reported_in_the_one_row_that_holds_it(submitted):
    """The order's state is one row (`orders.Order` reads the summary row: issue #25)."""
    execute(
        "UPDATE projections_ordersummary SET state = 'approved' WHERE id = %s", [submitted.pk.hex]
    )

    printed = verify_differences().splitlines()

    assert printed == [
        f"order_summary projections_ordersummary {submitted.pk.hex}: "
        "differs: state: live='approved' expected='submitted'",
    ]
    assert Order.objects.get(pk=submitted.pk).state == "approved"  # the row the FSM loads


def test_a_deleted_row_is_reported_missing(submitted):
    assert execute("DELETE FROM projections_ordersummary WHERE id = %s", [submitted.pk.hex]) == 1

    assert verify_differences() == (
        f"order_summary projections_ordersummary {submitted.pk.hex}: "
        "missing row (the log produces it)\n"
    )


def test_a_forged_row_is_reported_unexpected(submitted):
    forged = "0" * 31 + "1"
    execute(
        "INSERT INTO projections_dashboardstatetotal "
        "(id, company_id, state, count, total_cents, returned) "
        "VALUES (%s, %s, 'on_hold', 5, 100, 0)",
        [forged, submitted.company_id.hex],
    )

    assert verify_differences() == (
        f"dashboard projections_dashboardstatetotal {forged}: "
        "unexpected row (not produced by the log)\n"
    )


def test_several_columns_of_one_row_are_reported_together(submitted):
    row = DashboardStateTotal.objects.get(company=submitted.company, state="submitted")
    execute(
        "UPDATE projections_dashboardstatetotal SET count = 7, total_cents = 0 WHERE id = %s",
        [row.pk.hex],
    )

    assert verify_differences("dashboard") == (
        f"dashboard projections_dashboardstatetotal {row.pk.hex}: "
        "differs: count: live=7 expected=1; total_cents: live=0 expected=3197\n"
    )


def test_verify_checks_only_the_named_projections(submitted):
    execute("UPDATE projections_ordersummary SET notes = 'x' WHERE id = %s", [submitted.pk.hex])

    assert run("verify_projections", "dashboard", "customer") == "OK\n"
    assert "order_summary" in verify_differences("order_summary")


def test_verify_prints_at_most_the_limit_and_changes_nothing(submitted, scratch_files):
    execute("UPDATE projections_ordersummary SET note_count = note_count + 1")
    before = snapshot()

    printed = verify_differences("order_summary", "--limit", "2")

    assert len(printed.splitlines()) == 2
    assert all("differs: note_count: live=1 expected=0" in line for line in printed.splitlines())
    assert snapshot() == before
    assert scratch_files.created and scratch_files.left_behind() == []


def test_a_projection_behind_the_log_is_compared_at_its_own_checkpoint(submitted):
    (dashboard,) = get_projections(["dashboard"])
    wipe(tables_of("dashboard"))
    first_events = next(replay.read_all(0, batch_size=4))
    dashboard.apply(first_events, "default")
    ProjectionCheckpoint.objects.filter(name="dashboard").update(position=4)
    connection.close()  # verify on a fresh connection, as the management command does

    assert run("verify_projections") == "OK\n"

    execute("UPDATE projections_dashboardactivity SET placed = 5")
    assert "dashboard projections_dashboardactivity" in verify_differences()


def test_verify_catches_up_again_when_the_live_rows_move_before_the_compare(submitted, monkeypatch):
    staff = factories.user(Role.STAFF, submitted.company)
    attempts = place_just_before_the_first_attach(monkeypatch, staff)

    assert run("verify_projections") == "OK\n"
    assert len(attempts) == 2
