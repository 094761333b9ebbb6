"""Optimistic concurrency: a command based on a version the order has moved past is refused."""

import pytest

from events.models import Event
from orders.exceptions import ConcurrencyError
from orders.models import Order
from tests import factories
from tests.orders.workflow_spec import POSSIBLE_IN_PARAMS, assert_nothing_recorded, perform


@pytest.mark.django_db
@pytest.mark.parametrize(("action", "state"), POSSIBLE_IN_PARAMS)
def test_a_command_on_a_stale_version_raises_concurrency_error_and_records_nothing(
    acme, manager, action, state
):
    order = factories.order_in_state(state, acme)
    events_before = Event.objects.count()

    with pytest.raises(ConcurrencyError) as stale:
        perform(action, order.id, manager, expected_version=order.version - 1)

    assert (stale.value.expected_version, stale.value.actual_version) == (
        order.version - 1,
        order.version,
    )
    assert "changed since your page showed it" in str(stale.value)
    assert_nothing_recorded(order, state, events_before)


@pytest.mark.django_db
def test_a_version_from_the_future_is_refused_too(acme, manager):
    order = factories.order_in_state("submitted", acme)

    with pytest.raises(ConcurrencyError):
        perform("approve", order.id, manager, expected_version=order.version + 1)

    assert Event.objects.filter(stream_id=order.id).count() == order.version


@pytest.mark.django_db
def test_the_second_of_two_commands_based_on_the_same_version_is_refused(acme, staff, manager):
    order = factories.order_in_state("approved", acme)
    seen = order.version
    perform("start_fulfilment", order.id, staff, expected_version=seen)

    with pytest.raises(ConcurrencyError):
        perform("cancel", order.id, manager, expected_version=seen)

    stored = Order.objects.get(pk=order.id)
    assert (stored.state, stored.version) == ("in_fulfilment", seen + 1)


@pytest.mark.django_db
def test_a_state_row_behind_the_log_cannot_slip_an_event_past_the_version_check(acme, manager):
    # The commands check the version on the order's state row and `append` does not read it
    # again; were that row behind the log (a projection being caught up), the unique
    # (stream, version) constraint must still refuse the event.
    order = factories.order_in_state("submitted", acme)
    Order.objects.filter(pk=order.id).update(version=order.version - 1)
    events_before = Event.objects.count()

    with pytest.raises(ConcurrencyError) as stale:
        perform("approve", order.id, manager, expected_version=order.version - 1)

    assert stale.value.actual_version == order.version
    assert Event.objects.count() == events_before
