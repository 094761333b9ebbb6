"""Validation: bad data is refused with a message a person can act on, and nothing is written."""

from dataclasses import replace
from decimal import Decimal

import pytest

from events.models import Event
from orders import commands
from orders.events import Line
from orders.exceptions import OrderValidationError, TransitionNotAllowed
from orders.models import Order
from tests import factories


def _line(**overrides) -> Line:
    return replace(
        Line(sku="BOLT-M8", description="M8 bolts", quantity=1, unit_price=Decimal("1.00")),
        **overrides,
    )


BAD_ORDERS = [
    pytest.param(
        {"lines": [_line()] * 201},
        "lines",
        "An order can have at most 200 lines (this one has 201).",
        id="201-lines",
    ),
    pytest.param(
        {"lines": [_line(quantity=-3)]},
        "lines.0.quantity",
        "Line 1: Quantity must be between 1 and 1,000,000.",
        id="negative-quantity",
    ),
    pytest.param(
        {"lines": [_line(), _line(quantity=0)]},
        "lines.1.quantity",
        "Line 2: Quantity must be between 1 and 1,000,000.",
        id="zero-quantity",
    ),
    pytest.param(
        {"lines": [_line(quantity=10**12)]},
        "lines.0.quantity",
        "Line 1: Quantity must be between 1 and 1,000,000.",
        id="huge-quantity",
    ),
    pytest.param(
        {"lines": [_line(quantity=2.5)]},
        "lines.0.quantity",
        "Line 1: Quantity must be a whole number.",
        id="fractional-quantity",
    ),
    pytest.param(
        {"lines": [_line(unit_price=Decimal("9.999"))]},
        "lines.0.unit_price",
        "Line 1: Unit price can have at most 2 decimal places.",
        id="price-with-3-decimals",
    ),
    pytest.param(
        {"lines": [_line(unit_price=Decimal("-0.01"))]},
        "lines.0.unit_price",
        "Line 1: Unit price must be between 0.00 and 10,000,000.00.",
        id="negative-price",
    ),
    pytest.param(
        {"lines": [_line(unit_price=Decimal("NaN"))]},
        "lines.0.unit_price",
        "Line 1: Unit price must be a number.",
        id="not-a-number-price",
    ),
    pytest.param(
        {"lines": [_line(sku="  ")]},
        "lines.0.sku",
        "Line 1: SKU is required.",
        id="blank-sku",
    ),
    pytest.param(
        {"customer_name": "x" * 10_000},
        "customer_name",
        "Customer name is too long (10000 characters; at most 200).",
        id="10000-char-customer-name",
    ),
    pytest.param(
        {"customer_name": "   "},
        "customer_name",
        "Customer name is required.",
        id="blank-customer-name",
    ),
    pytest.param(
        {"customer_email": "buyer@@initech"},
        "customer_email",
        "Enter a valid e-mail address.",
        id="bad-email",
    ),
]


def _place(actor, *, customer_name="Initech", customer_email="", lines=None):
    details = replace(
        factories.details(), customer_name=customer_name, customer_email=customer_email
    )
    return commands.place_order(
        actor=actor, details=details, lines=factories.lines(1) if lines is None else lines
    )


@pytest.mark.django_db
@pytest.mark.parametrize(("bad", "field", "message"), BAD_ORDERS)
def test_placing_an_invalid_order_is_refused_with_a_readable_message(staff, bad, field, message):
    with pytest.raises(OrderValidationError) as invalid:
        _place(staff, **bad)

    assert invalid.value.errors[field] == [message]
    assert str(invalid.value) == message
    assert not Event.objects.exists()
    assert not Order.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(("bad", "field", "message"), BAD_ORDERS)
def test_changing_a_draft_to_invalid_data_is_refused_and_keeps_the_draft(
    staff, bad, field, message
):
    order = factories.place(staff)
    details = replace(
        factories.details(),
        customer_name=bad.get("customer_name", "Initech"),
        customer_email=bad.get("customer_email", ""),
    )

    with pytest.raises(OrderValidationError) as invalid:
        commands.change_order(
            order.id,
            actor=staff,
            expected_version=1,
            details=details,
            lines=bad.get("lines", factories.lines(1)),
        )

    assert invalid.value.errors[field] == [message]
    assert Event.objects.filter(stream_id=order.id).count() == 1


@pytest.mark.django_db
def test_several_problems_are_all_reported_and_the_message_says_how_many_more(staff):
    with pytest.raises(OrderValidationError) as invalid:
        _place(staff, customer_name="", lines=[_line(quantity=0, unit_price=Decimal("-1"))])

    assert set(invalid.value.errors) == {
        "customer_name",
        "lines.0.quantity",
        "lines.0.unit_price",
    }
    assert str(invalid.value) == "Customer name is required. (and 2 more)"


@pytest.mark.django_db
def test_the_limits_themselves_are_accepted(staff):
    order = _place(
        staff,
        customer_name="x" * 200,
        customer_email="buyer@initech.example",
        # 200 lines, the largest quantity, the largest unit price; the total (91,990,000.00)
        # stays within MAX_ORDER_TOTAL (tests/orders/test_limits.py tries the total itself).
        lines=[_line(quantity=1_000_000, unit_price=Decimal("0.01"))] * 199
        + [_line(quantity=9, unit_price=Decimal("10000000.00"))],
    )

    assert order.line_count == 200


@pytest.mark.django_db
def test_prices_and_text_are_normalised_before_they_are_recorded(staff):
    order = _place(
        staff,
        customer_name="  Initech  ",
        lines=[_line(sku=" BOLT-M8 ", unit_price=Decimal("5"))],
    )

    payload = Event.objects.get(stream_id=order.id).opened_payload()
    assert payload["details"]["customer_name"] == "Initech"
    assert payload["lines"][0]["sku"] == "BOLT-M8"
    assert payload["lines"][0]["unit_price"] == "5.00"


@pytest.mark.django_db
def test_an_order_without_lines_cannot_be_submitted(staff):
    # A precondition of the order, not bad input: the domain raises TransitionNotAllowed
    # (HTTP 409) with the condition's hint, rather than OrderValidationError.
    order = factories.place(staff, line_count=0)

    with pytest.raises(TransitionNotAllowed) as refused:
        commands.submit(order.id, actor=staff, expected_version=1)

    assert str(refused.value) == "An order needs at least one line before it can be submitted."
    assert Event.objects.filter(stream_id=order.id).count() == 1
    assert Order.objects.get(pk=order.id).state == "draft"


@pytest.mark.django_db
def test_a_draft_whose_lines_were_all_removed_cannot_be_submitted(staff):
    order = factories.place(staff)
    order = commands.change_order(
        order.id, actor=staff, expected_version=1, details=factories.details(), lines=[]
    )

    with pytest.raises(TransitionNotAllowed, match="at least one line"):
        commands.submit(order.id, actor=staff, expected_version=order.version)


BAD_TRANSITION_DATA = [
    pytest.param("approved", "hold", {"reason": "   "}, "reason", "A reason is required.",
                 id="blank-hold-reason"),
    pytest.param("submitted", "reject", {"reason": ""}, "reason", "A reason is required.",
                 id="empty-reject-reason"),
    pytest.param("draft", "cancel", {}, "reason", "A reason is required.",
                 id="missing-cancel-reason"),
    pytest.param("submitted", "reject", {"reason": "x" * 1001}, "reason",
                 "A reason is too long (1001 characters; at most 1000).", id="long-reason"),
    pytest.param("in_fulfilment", "ship", {"carrier": "DHL", "tracking_number": " "},
                 "tracking_number", "Tracking number is required.", id="blank-tracking-number"),
    pytest.param("in_fulfilment", "ship", {"carrier": "", "tracking_number": "T1"},
                 "carrier", "Carrier is required.", id="blank-carrier"),
    pytest.param("submitted", "approve", {"reason": "Looks fine"}, "",
                 "Unexpected data: reason.", id="unexpected-data"),
]  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize(("state", "name", "data", "field", "message"), BAD_TRANSITION_DATA)
def test_a_transition_with_missing_or_bad_data_is_refused(
    acme, manager, state, name, data, field, message
):
    order = factories.order_in_state(state, acme)

    with pytest.raises(OrderValidationError) as invalid:
        commands.transition(order.id, name, actor=manager, expected_version=order.version, **data)

    assert invalid.value.errors[field] == [message]
    assert Event.objects.filter(stream_id=order.id).count() == order.version
    assert Order.objects.get(pk=order.id).state == state


@pytest.mark.django_db
@pytest.mark.parametrize("text", ["", "   ", "x" * 4001], ids=["empty", "blank", "too-long"])
def test_an_empty_or_overlong_note_is_refused(staff, text):
    order = factories.place(staff)

    with pytest.raises(OrderValidationError, match="The note"):
        commands.add_note(order.id, actor=staff, expected_version=1, text=text)

    assert Event.objects.filter(stream_id=order.id).count() == 1
