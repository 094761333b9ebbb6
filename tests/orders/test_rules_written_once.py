"""An order's state rules live in one place (`orders.aggregate.evolve`, the commands' helpers)
and every reader of the log uses them: the history's `as_of` fold, the projections, the seed."""

import datetime as dt
import random

import pytest

from accounts.models import Role
from bench import seed as seeding
from events.store import read_stream
from orders import aggregate, commands
from orders.events import OrderHeld, OrderResumed
from orders.models import Order
from projections.models import OrderSummary
from tests import factories

ORDER_FIELDS = ("number", "sequence", "state", "version", "held_from", "line_count")


def fields_of(obj) -> tuple:
    return tuple(getattr(obj, name) for name in ORDER_FIELDS)


@pytest.mark.django_db
def test_history_order_row_and_summary_agree_on_the_order_after_every_command(acme, staff, manager):
    order = factories.order_in_state("in_fulfilment", acme)
    order = commands.hold(order.id, actor=staff, expected_version=order.version, reason="Stock")
    order = commands.add_note(order.id, actor=staff, expected_version=order.version, text="Hi")
    order = commands.resume(order.id, actor=manager, expected_version=order.version)

    events = read_stream(order.id)
    for version in range(1, len(events) + 1):
        snapshot = aggregate.fold(events[:version])
        assert snapshot.version == version
    snapshot = aggregate.fold(events)
    row = Order.objects.get(pk=order.id)
    summary = OrderSummary.objects.get(pk=order.id)
    assert fields_of(snapshot) == fields_of(row) == fields_of(summary)
    assert (row.state, row.held_from) == ("in_fulfilment", "")


def as_stored(order: Order) -> dict:
    return {f.attname: getattr(order, f.attname) for f in Order._meta.concrete_fields}


@pytest.mark.django_db
def test_every_command_returns_the_order_row_exactly_as_stored(acme, staff, manager):
    """The commands return the row evolved by the same rule, without reading it back."""
    steps = [
        lambda order: commands.submit(order.id, actor=staff, expected_version=order.version),
        lambda order: commands.approve(order.id, actor=manager, expected_version=order.version),
        lambda order: commands.hold(
            order.id, actor=staff, expected_version=order.version, reason="Stock"
        ),
        lambda order: commands.add_note(
            order.id, actor=staff, expected_version=order.version, text="Hi"
        ),
        lambda order: commands.resume(order.id, actor=manager, expected_version=order.version),
    ]
    order = factories.place(staff)
    assert as_stored(order) == as_stored(Order.objects.get(pk=order.id))
    for step in steps:
        order = step(order)
        assert not order._state.adding
        assert as_stored(order) == as_stored(Order.objects.get(pk=order.id))
    assert (order.state, order.version) == ("approved", 6)


def test_evolve_keeps_the_state_an_order_was_held_from_until_it_moves_on():
    order = {"state": "approved", "version": 4, "held_from": ""}
    aggregate.evolve(
        order,
        aggregate.Pending(5, OrderHeld(from_state="approved", to_state="on_hold", reason="x")),
    )
    assert (order["state"], order["held_from"], order["version"]) == ("on_hold", "approved", 5)
    aggregate.evolve(
        order, aggregate.Pending(6, OrderResumed(from_state="on_hold", to_state="approved"))
    )
    assert (order["state"], order["held_from"], order["version"]) == ("approved", "", 6)


@pytest.mark.django_db
def test_the_seed_numbers_and_guards_orders_with_the_commands_own_helpers(monkeypatch):
    companies, users = seeding.create_companies_and_users(1)
    now = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
    order = seeding.plan_order(
        random.Random(1), company=0, start=now - dt.timedelta(days=1), now=now
    )
    order.sequence = 7
    asked = []

    def check_transition(planned, name, actor):
        asked.append(name)
        raise commands.ActionNotPermitted("no")

    monkeypatch.setattr(commands, "order_number", lambda company, sequence: f"N{sequence}")
    monkeypatch.setattr(commands, "check_transition", check_transition)

    placed = seeding.event_for(order, 0, users[(0, Role.STAFF)], companies[0])
    assert placed.number == "N7"
    assert (order.number, order.state, order.version) == ("N7", "draft", 1)
    with pytest.raises(commands.ActionNotPermitted):
        seeding.event_for(order, 1, users[(0, Role.STAFF)], companies[0])
    assert asked == [order.steps[1][1]]
