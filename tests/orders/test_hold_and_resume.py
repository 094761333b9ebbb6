"""Hold and resume: a held order goes back to exactly the state it was held from."""

import pytest

from events.store import read_stream
from orders import commands
from orders.models import Order
from tests import factories


def _hold(order, actor):
    return commands.hold(order.id, actor=actor, expected_version=order.version, reason="Stock")


@pytest.mark.django_db
@pytest.mark.parametrize("held_from", ["approved", "in_fulfilment"])
def test_resume_returns_the_order_to_the_state_it_was_held_from(acme, staff, manager, held_from):
    order = _hold(factories.order_in_state(held_from, acme), staff)
    assert (order.state, order.held_from) == ("on_hold", held_from)

    resumed = commands.resume(order.id, actor=manager, expected_version=order.version)

    assert resumed.state == held_from
    assert resumed.held_from == ""
    last = read_stream(order.id)[-1]
    assert (last.event_type, last.data.from_state, last.data.to_state) == (
        "OrderResumed",
        "on_hold",
        held_from,
    )


@pytest.mark.django_db
def test_a_note_added_while_on_hold_does_not_make_the_order_forget_where_it_was(
    acme, staff, manager
):
    order = _hold(factories.order_in_state("in_fulfilment", acme), staff)
    order = commands.add_note(order.id, actor=staff, expected_version=order.version, text="Hi")

    resumed = commands.resume(order.id, actor=manager, expected_version=order.version)

    assert resumed.state == "in_fulfilment"


@pytest.mark.django_db
def test_each_hold_remembers_its_own_origin(acme, staff, manager):
    order = _hold(factories.order_in_state("approved", acme), staff)
    order = commands.resume(order.id, actor=manager, expected_version=order.version)
    order = commands.start_fulfilment(order.id, actor=staff, expected_version=order.version)
    order = _hold(order, staff)

    resumed = commands.resume(order.id, actor=manager, expected_version=order.version)

    assert resumed.state == "in_fulfilment"
    assert [e.data.to_state for e in read_stream(order.id) if hasattr(e.data, "to_state")] == [
        "submitted",
        "approved",
        "on_hold",
        "approved",
        "in_fulfilment",
        "on_hold",
        "in_fulfilment",
    ]


@pytest.mark.django_db
def test_a_cancelled_held_order_keeps_no_held_from(acme, staff, manager):
    order = _hold(factories.order_in_state("approved", acme), staff)

    cancelled = commands.cancel(
        order.id, actor=manager, expected_version=order.version, reason="No stock"
    )

    stored = Order.objects.get(pk=cancelled.id)
    assert (stored.state, stored.held_from) == ("cancelled", "")
