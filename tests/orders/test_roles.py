"""The role matrix: every role and every action, tried in a state where the action is possible."""

import pytest

from events.models import Event
from orders.exceptions import ActionNotPermitted
from orders.models import Order
from tests import factories
from tests.orders.workflow_spec import (
    POSSIBLE_IN,
    ROLES,
    STAFF_AND_MANAGER,
    assert_nothing_recorded,
    may,
    perform,
)

MATRIX = [
    pytest.param(role, action, state, id=f"{role.value}-{action}-from-{state}")
    for role in ROLES
    for action, state in POSSIBLE_IN
]


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "action", "state"), MATRIX)
def test_each_role_may_do_exactly_what_the_table_grants(acme, role, action, state):
    order = factories.order_in_state(state, acme)
    actor = factories.user(role, acme, username=f"acme.{role.value.lower()}.actor")
    events_before = Event.objects.count()

    if may(role, action, state):
        perform(action, order.id, actor, expected_version=order.version)
        (event,) = Event.objects.filter(stream_id=order.id, version__gt=order.version)
        assert event.metadata["actor_username"] == actor.username
        assert Event.objects.count() == events_before + 1
    else:
        with pytest.raises(ActionNotPermitted, match=r"Your role may not|A Manager must"):
            perform(action, order.id, actor, expected_version=order.version)
        assert_nothing_recorded(order, state, events_before)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES, ids=lambda role: role.value)
def test_only_staff_and_managers_may_place_orders(acme, role):
    actor = factories.user(role, acme)

    if role in STAFF_AND_MANAGER:
        order = factories.place(actor)
        assert (order.state, order.version) == ("draft", 1)
        (event,) = Event.objects.filter(stream_id=order.id)
        assert (event.event_type, event.metadata["actor_username"]) == (
            "OrderPlaced",
            actor.username,
        )
    else:
        with pytest.raises(ActionNotPermitted, match="may not place orders"):
            factories.place(actor)
        assert not Event.objects.exists()
        assert not Order.objects.exists()


@pytest.mark.django_db
def test_a_user_without_a_role_may_do_nothing(acme):
    nobody = factories.UserFactory(username="acme.nobody", company=acme)
    order = factories.order_in_state("approved", acme)

    with pytest.raises(ActionNotPermitted):
        factories.place(nobody)
    for action in ("start_fulfilment", "hold", "cancel", "add_note"):
        with pytest.raises(ActionNotPermitted):
            perform(action, order.id, nobody, expected_version=order.version)

    assert Event.objects.filter(stream_id=order.id).count() == order.version
