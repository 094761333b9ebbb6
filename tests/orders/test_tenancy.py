"""Tenancy: another company's order does not exist for you, whatever you try to do to it."""

import uuid

import pytest

from events.models import Event
from orders import commands
from orders.exceptions import OrderNotFound
from tests import factories
from tests.orders.workflow_spec import POSSIBLE_IN_PARAMS, assert_nothing_recorded, perform


@pytest.mark.django_db
@pytest.mark.parametrize(("action", "state"), POSSIBLE_IN_PARAMS)
def test_another_companys_manager_gets_order_not_found_for_every_command(
    acme, globex_manager, action, state
):
    order = factories.order_in_state(state, acme)
    events_before = Event.objects.count()

    with pytest.raises(OrderNotFound, match="No such order"):
        perform(action, order.id, globex_manager, expected_version=order.version)

    assert_nothing_recorded(order, state, events_before)


@pytest.mark.django_db
def test_a_stale_version_on_another_companys_order_still_says_not_found(acme, globex_manager):
    # Saying "concurrency error" would confirm the order exists and leak its version.
    order = factories.order_in_state("submitted", acme)

    with pytest.raises(OrderNotFound):
        perform("approve", order.id, globex_manager, expected_version=order.version - 1)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "order_id",
    [uuid.UUID(int=0), uuid.uuid4(), "not-a-uuid", "", None, 42],
    ids=["nil", "random", "malformed", "empty", "none", "int"],
)
def test_an_order_id_that_matches_no_order_is_not_found(acme, manager, order_id):
    factories.place(manager)

    with pytest.raises(OrderNotFound):
        commands.approve(order_id, actor=manager, expected_version=1)
    with pytest.raises(OrderNotFound):
        commands.add_note(order_id, actor=manager, expected_version=1, text="Hello")


@pytest.mark.django_db
def test_a_placed_order_belongs_to_the_company_of_whoever_placed_it(
    acme, globex, staff, globex_staff
):
    acme_order = factories.place(staff)
    globex_order = factories.place(globex_staff)

    assert acme_order.company == acme
    assert globex_order.company == globex
    assert set(
        Event.objects.filter(stream_id=globex_order.id).values_list("company", flat=True)
    ) == {globex.id}
