"""Every workflow transition from every state: one event when the table allows it, none else."""

import pytest

from events.models import Event
from orders import commands
from orders.exceptions import TransitionNotAllowed, UnknownTransition
from orders.models import Order
from tests import factories
from tests.orders.workflow_spec import (
    DATA,
    EVENT_TYPES,
    HELD_FROM,
    MOVES,
    PATH_HELD_FROM,
    RECORDED,
    STATES,
    TRANSITIONS,
    assert_nothing_recorded,
)

ALLOWED = [(state, name) for state in STATES for name in TRANSITIONS if (name, state) in MOVES]
REFUSED = [(state, name) for state in STATES for name in TRANSITIONS if (name, state) not in MOVES]


def test_the_cases_cover_every_transition_from_every_state():
    assert len(ALLOWED) + len(REFUSED) == len(STATES) * len(TRANSITIONS) == 80
    assert len(ALLOWED) == len(MOVES) == 14


@pytest.mark.django_db
@pytest.mark.parametrize(("state", "name"), ALLOWED)
def test_an_allowed_transition_records_exactly_one_event_and_moves_the_order(
    acme, manager, state, name
):
    order = factories.order_in_state(state, acme)
    target = MOVES[(name, state)][0]
    target = PATH_HELD_FROM if target == HELD_FROM else target

    result = commands.transition(
        order.id, name, actor=manager, expected_version=order.version, **DATA.get(name, {})
    )

    new = list(Event.objects.filter(stream_id=order.id, version__gt=order.version))
    assert len(new) == 1
    (event,) = new
    assert event.event_type == EVENT_TYPES[name]
    assert event.version == order.version + 1
    assert event.opened_payload() == {
        "from_state": state,
        "to_state": target,
        **DATA.get(name, {}),
        **RECORDED.get(name, {}),
    }
    assert event.metadata["actor_username"] == manager.username
    stored = Order.objects.get(pk=order.id)
    assert (stored.state, stored.version) == (target, order.version + 1)
    assert (result.state, result.version) == (target, order.version + 1)


@pytest.mark.django_db
@pytest.mark.parametrize(("state", "name"), REFUSED)
def test_a_transition_the_state_does_not_allow_is_refused_and_records_nothing(
    acme, manager, state, name
):
    order = factories.order_in_state(state, acme)
    events_before = Event.objects.count()

    with pytest.raises(TransitionNotAllowed) as refused:
        commands.transition(
            order.id, name, actor=manager, expected_version=order.version, **DATA.get(name, {})
        )

    assert order.number in str(refused.value)
    assert_nothing_recorded(order, state, events_before)


@pytest.mark.django_db
@pytest.mark.parametrize("state", ["delivered", "cancelled"])
def test_a_final_order_accepts_no_transition_but_its_correction(acme, manager, state):
    order = factories.order_in_state(state, acme)

    for name in [name for name in TRANSITIONS if (name, state) not in MOVES]:
        with pytest.raises(TransitionNotAllowed):
            commands.transition(
                order.id, name, actor=manager, expected_version=order.version, **DATA.get(name, {})
            )

    assert Order.objects.get(pk=order.id).version == order.version


@pytest.mark.django_db
def test_a_draft_can_only_be_changed_while_it_is_a_draft(acme, staff):
    order = factories.order_in_state("submitted", acme)

    with pytest.raises(TransitionNotAllowed, match="cannot be changed now"):
        commands.change_order(
            order.id,
            actor=staff,
            expected_version=order.version,
            details=factories.details("Hooli"),
            lines=factories.lines(1),
        )

    assert Event.objects.filter(stream_id=order.id).count() == order.version


@pytest.mark.django_db
@pytest.mark.parametrize("state", STATES)
def test_a_note_can_be_added_in_every_state_without_moving_the_order(acme, staff, state):
    order = factories.order_in_state(state, acme)

    result = commands.add_note(
        order.id, actor=staff, expected_version=order.version, text="  Call first.  "
    )

    event = Event.objects.get(stream_id=order.id, version=order.version + 1)
    assert (event.event_type, event.opened_payload()) == ("NoteAdded", {"text": "Call first."})
    assert (result.state, result.version) == (state, order.version + 1)


@pytest.mark.django_db
def test_an_unknown_action_name_is_refused_by_name(acme, manager):
    order = factories.place(manager)

    for name in ("change", "add_note", "explode", "_load_for"):
        with pytest.raises(UnknownTransition, match=f"no action called '{name}'"):
            commands.transition(order.id, name, actor=manager, expected_version=1)

    assert Event.objects.filter(stream_id=order.id).count() == 1
