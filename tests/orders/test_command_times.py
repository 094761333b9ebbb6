"""A command's `at` (when it happened: the import and the demo data give one) is bounded by the
same dates as the forms and the log (0001-01-02..9999-12-30, as written and in UTC): outside
them, or without a time zone, the command refuses with a clear message and writes nothing,
whatever path called it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from customers.models import Customer
from customers.validation import CustomerDetails
from events.models import Event
from orders import commands
from orders.exceptions import OrderValidationError
from tests import factories

pytestmark = pytest.mark.django_db

PLUS_ONE = dt.timezone(dt.timedelta(hours=1))
MINUS_ONE = dt.timezone(dt.timedelta(hours=-1))
OUTSIDE = {
    # Its date as written is past the forms' last day; in UTC it is inside the log's.
    "last day as written": dt.datetime(9999, 12, 31, 0, 30, tzinfo=PLUS_ONE),
    "first day as written": dt.datetime(1, 1, 1, 23, 30, tzinfo=MINUS_ONE),
    "past the last day in UTC": dt.datetime(9999, 12, 31, 12, 0, tzinfo=dt.UTC),
    "no time zone": dt.datetime(2025, 3, 1, 9, 0),
}


@pytest.mark.parametrize("at", OUTSIDE.values(), ids=OUTSIDE.keys())
def test_placing_an_order_at_a_time_outside_the_limits_is_refused_and_writes_nothing(manager, at):
    events, customers = Event.objects.count(), Customer.objects.count()

    with pytest.raises(OrderValidationError) as refused:
        commands.place_order(
            actor=manager,
            details=factories.details("Initech"),
            lines=factories.lines(),
            at=at,
            new_customer=CustomerDetails(name="Initech"),
        )

    assert list(refused.value.errors) == ["at"]
    assert (Event.objects.count(), Customer.objects.count()) == (events, customers)


@pytest.mark.parametrize("at", OUTSIDE.values(), ids=OUTSIDE.keys())
def test_every_step_of_an_order_refuses_such_a_time_too(staff, at):
    order = factories.place(staff)

    for refused_step in (
        lambda: commands.transition(order.id, "submit", actor=staff, expected_version=1, at=at),
        lambda: commands.add_note(order.id, actor=staff, expected_version=1, text="n", at=at),
    ):
        with pytest.raises(OrderValidationError, match=r"outside the dates|time zone"):
            refused_step()

    assert Event.objects.filter(stream_id=order.id).count() == 1


def test_the_refusal_names_the_limits_in_the_persons_language(staff):
    at = OUTSIDE["last day as written"]
    with pytest.raises(OrderValidationError) as refused, translation.override("de"):
        factories.place(staff, at=at)

    assert str(refused.value) == (
        "9999-12-31T00:30:00+01:00 liegt außerhalb der Daten, die die Geschichte einer "
        "Bestellung haben kann (0001-01-02 bis 9999-12-30)."
    )


def test_the_first_and_last_days_themselves_are_accepted(staff):
    first = factories.place(staff, at=dt.datetime(1, 1, 2, 12, tzinfo=dt.UTC))
    last = factories.place(staff, at=dt.datetime(9999, 12, 30, 12, tzinfo=dt.UTC))

    assert Event.objects.get(stream_id=first.id).occurred_at.year == 1
    assert Event.objects.get(stream_id=last.id).occurred_at.year == 9999
