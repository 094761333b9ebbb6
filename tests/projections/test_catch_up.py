"""Catch-up: a projection behind the log gets exactly the events it misses, then rejoins inline."""

import re

import pytest
from django.core.management.base import CommandError

from accounts.models import Role
from events import store
from projections import engine
from projections.registry import get_projections
from tests import factories

from .read_models import new_projection, run, snapshot, tables_of

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("rebuildable_db")]


class Injected(Exception):
    pass


@pytest.fixture
def dashboard():
    (projection,) = get_projections(["dashboard"])
    return projection


@pytest.fixture
def applied_events(dashboard, monkeypatch):
    """Every event handed to the dashboard's `apply`, in order (a spy; it still applies them)."""
    seen = []
    apply = dashboard.apply

    def spy(events, using):
        seen.extend(event.position for event in events)
        return apply(events, using)

    monkeypatch.setattr(dashboard, "apply", spy)
    return seen


def more_history(company) -> None:
    factories.order_in_state("delivered", company)
    factories.order_in_state("on_hold", company)


def test_inline_skips_a_projection_that_is_behind_the_log(acme, dashboard, applied_events):
    more_history(acme)
    caught = store.head_position()
    new_projection("dashboard")

    more_history(acme)

    head = store.head_position()
    assert head > caught
    assert applied_events == list(range(1, caught + 1))  # the first history only, inline
    assert snapshot(tables_of("dashboard")) == {table: [] for table in tables_of("dashboard")}
    assert engine.checkpoint_positions() == {
        "order_summary": head,
        "customer": head,
        "sku": head,
    }


def test_catch_up_applies_only_the_missing_events_then_inline_takes_over(
    acme, dashboard, applied_events
):
    more_history(acme)
    new_projection("dashboard")
    more_history(acme)
    applied_events.clear()
    head = store.head_position()

    output = run("catch_up_projections", "dashboard", batch_size=5)

    assert applied_events == list(range(1, head + 1))
    assert output == f"dashboard: applied {head} event(s).\n"
    assert {s.name: s.lag for s in engine.status()} == dict.fromkeys(
        engine.checkpoint_positions(), 0
    )
    assert run("verify_projections") == "OK\n"
    applied_events.clear()
    factories.place(factories.user(Role.STAFF, acme))
    assert applied_events == [head + 1]  # back in step: the next command applies it inline


def test_an_interrupted_catch_up_resumes_from_its_checkpoint(
    acme, dashboard, applied_events, monkeypatch
):
    more_history(acme)
    new_projection("dashboard")
    spy = dashboard.apply
    batches = []

    def fail_on_second_batch(events, using):
        batches.append(events)
        if len(batches) == 2:
            raise Injected("interrupted")
        return spy(events, using)

    monkeypatch.setattr(dashboard, "apply", fail_on_second_batch)
    with pytest.raises(Injected):
        run("catch_up_projections", "dashboard", batch_size=4)
    monkeypatch.setattr(dashboard, "apply", spy)
    assert engine.checkpoint_positions()["dashboard"] == 4  # the first batch was committed
    assert run("verify_projections") == "OK\n"  # rows as of position 4, compared at position 4
    more_history(acme)  # inline still skips it: it is behind
    applied_events.clear()
    head = store.head_position()

    output = run("catch_up_projections", "dashboard")

    assert applied_events == list(range(5, head + 1))
    assert output == f"dashboard: applied {head - 4} event(s).\n"
    assert {s.name: s.lag for s in engine.status()}["dashboard"] == 0
    assert run("verify_projections") == "OK\n"


def test_catching_up_projections_that_are_in_step_applies_nothing(acme, applied_events):
    more_history(acme)
    applied_events.clear()
    before = snapshot()

    output = run("catch_up_projections")

    assert applied_events == []
    assert output == (
        "order_summary: applied 0 event(s).\n"
        "dashboard: applied 0 event(s).\n"
        "customer: applied 0 event(s).\n"
        "sku: applied 0 event(s).\n"
    )
    assert snapshot() == before


def test_catch_up_of_an_unknown_projection_is_refused():
    with pytest.raises(CommandError, match="Unknown projection"):
        run("catch_up_projections", "nonsense")


def test_projection_status_prints_each_projection_with_checkpoint_head_and_lag(acme, dashboard):
    more_history(acme)
    new_projection("dashboard")
    factories.place(factories.user(Role.STAFF, acme))
    head = store.head_position()

    lines = run("projection_status").splitlines()

    assert re.split(r"\s+", lines[0]) == ["projection", "checkpoint", "head", "lag"]
    assert [re.split(r"\s+", line) for line in lines[1:]] == [
        ["order_summary", str(head), str(head), "0"],
        ["dashboard", "0", str(head), str(head)],
        ["customer", str(head), str(head), "0"],
        ["sku", str(head), str(head), "0"],
    ]


@pytest.mark.parametrize("batch_size", [0, -1])
def test_catch_up_refuses_a_batch_size_below_one_instead_of_applying_nothing(acme, batch_size):
    """Read in batches of none, a projection behind the log stayed behind, with 'applied 0'."""
    more_history(acme)
    new_projection("dashboard")
    more_history(acme)

    with pytest.raises(CommandError, match="--batch-size must be at least 1"):
        run("catch_up_projections", "dashboard", batch_size=batch_size)
    run("catch_up_projections", "dashboard")
    assert engine.checkpoint_positions()["dashboard"] == store.head_position()
