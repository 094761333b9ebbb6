"""The decision logic as given events / when a command / then new events (or a refusal).

`given` writes the history straight into the event store (no commands), so each test states
exactly the past it depends on; `when` runs one command at the stream's current version and
returns the events it added, or the error it raised.
"""

import uuid
from decimal import Decimal

import pytest

from events import store
from orders import commands
from orders.events import (
    Line,
    NoteAdded,
    OrderApproved,
    OrderCancelled,
    OrderChanged,
    OrderDelivered,
    OrderFulfilmentStarted,
    OrderHeld,
    OrderPlaced,
    OrderRejected,
    OrderResumed,
    OrderShipped,
    OrderSubmitted,
)
from orders.exceptions import ActionNotPermitted, OrderError, TransitionNotAllowed
from tests import factories

LINES = (Line(sku="BOLT-M8", description="Bolts", quantity=2, unit_price=Decimal("12.40")),)


def placed(lines=LINES) -> OrderPlaced:
    return OrderPlaced(
        number="ACME-000001",
        sequence=1,
        currency="EUR",
        details=factories.details(),
        lines=tuple(lines),
    )


SUBMITTED = OrderSubmitted(from_state="draft", to_state="submitted")
APPROVED = OrderApproved(from_state="submitted", to_state="approved")
STARTED = OrderFulfilmentStarted(from_state="approved", to_state="in_fulfilment")
SHIPPED = OrderShipped(
    from_state="in_fulfilment", to_state="shipped", carrier="DHL", tracking_number="T1"
)
DELIVERED = OrderDelivered(from_state="shipped", to_state="delivered")


@pytest.fixture
def given(acme, staff):
    def given(*events) -> uuid.UUID:
        order_id = uuid.uuid4()
        store.append(order_id, 0, list(events), company=acme, actor=staff)
        return order_id

    return given


def when(command, order_id, **kwargs):
    """Run `command` at the stream's version; the events it added, or the error it raised."""
    version = store.stream_version(order_id)
    try:
        command(order_id, expected_version=version, **kwargs)
    except OrderError as error:
        assert store.stream_version(order_id) == version, "a refused command wrote events"
        return error
    return [event.data for event in store.read_stream(order_id) if event.version > version]


@pytest.mark.django_db
def test_given_a_placed_order_when_staff_submit_it_then_it_is_submitted(given, staff):
    order_id = given(placed())

    then = when(commands.submit, order_id, actor=staff)

    assert then == [OrderSubmitted(from_state="draft", to_state="submitted")]


@pytest.mark.django_db
def test_given_a_placed_order_without_lines_when_submitted_then_it_is_refused(given, staff):
    order_id = given(placed(lines=()))

    then = when(commands.submit, order_id, actor=staff)

    assert isinstance(then, TransitionNotAllowed)


@pytest.mark.django_db
def test_given_a_draft_emptied_by_a_change_when_submitted_then_it_is_refused(given, staff):
    order_id = given(placed(), OrderChanged(details=factories.details(), lines=()))

    then = when(commands.submit, order_id, actor=staff)

    assert isinstance(then, TransitionNotAllowed)


@pytest.mark.django_db
def test_given_a_rejected_and_corrected_order_when_resubmitted_then_it_is_submitted_again(
    given, staff
):
    order_id = given(
        placed(),
        SUBMITTED,
        OrderRejected(from_state="submitted", to_state="draft", reason="Wrong price"),
        OrderChanged(details=factories.details(), lines=LINES),
    )

    then = when(commands.submit, order_id, actor=staff)

    assert then == [OrderSubmitted(from_state="draft", to_state="submitted")]


@pytest.mark.django_db
def test_given_a_submitted_order_when_staff_approve_it_then_they_are_not_permitted(given, staff):
    order_id = given(placed(), SUBMITTED)

    then = when(commands.approve, order_id, actor=staff)

    assert isinstance(then, ActionNotPermitted)


@pytest.mark.django_db
def test_given_a_submitted_order_when_a_manager_rejects_it_then_it_is_a_draft_with_a_reason(
    given, manager
):
    order_id = given(placed(), SUBMITTED)

    then = when(commands.reject, order_id, actor=manager, reason="  Check the price  ")

    assert then == [
        OrderRejected(from_state="submitted", to_state="draft", reason="Check the price")
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("history", "back_to"),
    [((APPROVED,), "approved"), ((APPROVED, STARTED), "in_fulfilment")],
    ids=["held-from-approved", "held-from-in-fulfilment"],
)
def test_given_a_held_order_when_a_manager_resumes_it_then_it_returns_where_it_was(
    given, manager, history, back_to
):
    order_id = given(
        placed(),
        SUBMITTED,
        *history,
        OrderHeld(from_state=back_to, to_state="on_hold", reason="Stock"),
        NoteAdded(text="Supplier called"),
    )

    then = when(commands.resume, order_id, actor=manager)

    assert then == [OrderResumed(from_state="on_hold", to_state=back_to)]


@pytest.mark.django_db
def test_given_a_held_order_when_staff_cancel_it_then_only_a_manager_may(given, staff, manager):
    order_id = given(
        placed(),
        SUBMITTED,
        APPROVED,
        OrderHeld(from_state="approved", to_state="on_hold", reason="x"),
    )

    assert isinstance(when(commands.cancel, order_id, actor=staff, reason="No"), ActionNotPermitted)
    assert when(commands.cancel, order_id, actor=manager, reason="No") == [
        OrderCancelled(from_state="on_hold", to_state="cancelled", reason="No")
    ]


@pytest.mark.django_db
def test_given_a_delivered_order_when_anyone_cancels_it_then_it_is_refused(given, manager):
    order_id = given(placed(), SUBMITTED, APPROVED, STARTED, SHIPPED, DELIVERED)

    then = when(commands.cancel, order_id, actor=manager, reason="Too late")

    assert isinstance(then, TransitionNotAllowed)


@pytest.mark.django_db
def test_given_a_delivered_order_when_staff_add_a_note_then_the_note_is_recorded(given, staff):
    order_id = given(placed(), SUBMITTED, APPROVED, STARTED, SHIPPED, DELIVERED)

    then = when(commands.add_note, order_id, actor=staff, text="Customer happy")

    assert then == [NoteAdded(text="Customer happy")]


@pytest.mark.django_db
def test_given_an_order_in_fulfilment_when_shipped_then_carrier_and_tracking_are_recorded(
    given, staff
):
    order_id = given(placed(), SUBMITTED, APPROVED, STARTED)

    then = when(commands.ship, order_id, actor=staff, carrier=" UPS ", tracking_number="1Z999")

    assert then == [
        OrderShipped(
            from_state="in_fulfilment", to_state="shipped", carrier="UPS", tracking_number="1Z999"
        )
    ]
