"""Every registered event type says what happened in words, declared on its own class."""

import dataclasses

import pytest

from events import registry
from events.registry import DomainEvent
from orders.events import OrderFulfilmentStarted, OrderShipped


def unlabelled(types: dict[str, type[DomainEvent]]) -> list[str]:
    """The types whose class declares no label of its own (an inherited one does not count:
    a subclass would show its parent's words)."""
    return sorted(name for name, cls in types.items() if not cls.__dict__.get("label", "").strip())


def test_every_registered_event_type_has_a_label_of_its_own():
    types = registry.registered_types()

    assert len(types) >= 12
    assert unlabelled(types) == []


def test_a_type_registered_without_a_label_is_found():
    @dataclasses.dataclass(frozen=True, kw_only=True)
    class Unlabelled(OrderShipped):  # inherits "Shipped": still not a label of its own
        pass

    assert unlabelled({"Unlabelled": Unlabelled, "OrderShipped": OrderShipped}) == ["Unlabelled"]


def test_labels_are_words_and_distinct():
    labels = [registry.label_of(name) for name in registry.registered_types()]

    assert registry.label_of("OrderFulfilmentStarted") == "Fulfilment started"
    assert OrderFulfilmentStarted.label == "Fulfilment started"
    assert len(set(labels)) == len(labels)


def test_a_type_no_longer_registered_is_shown_by_its_name():
    assert registry.label_of("OrderTeleported") == "OrderTeleported"


@pytest.mark.parametrize(
    ("event", "details"),
    [
        (
            OrderShipped(
                from_state="in_fulfilment", to_state="shipped", carrier="DHL", tracking_number="T1"
            ),
            [("Carrier", "DHL"), ("Tracking number", "T1")],
        ),
        (OrderFulfilmentStarted(from_state="approved", to_state="in_fulfilment"), []),
    ],
)
def test_details_leave_out_the_states_the_label_already_says(event, details):
    assert event.details_shown() == details
