"""Two submissions of one new-order form at the same moment (a double click, a retry racing the
first request) make one order: real threads, each on its own connection to the file DB."""

import uuid

import pytest

from events.models import Event
from orders import commands
from orders.exceptions import OrderAlreadyPlaced
from orders.models import Order
from tests import factories
from tests.orders.test_concurrent_writers import run_together

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("committed_db")]


def test_the_same_form_submitted_four_times_at_once_places_one_order(staff):
    token = uuid.uuid4()

    results = run_together(
        lambda i: commands.place_order(
            actor=staff, details=factories.details(), lines=factories.lines(1), order_id=token
        ),
        count=4,
    )

    placed = [r for r in results if isinstance(r, Order)]
    repeats = [r for r in results if isinstance(r, OrderAlreadyPlaced)]
    assert (len(placed), len(repeats)) == (1, 3), results
    assert {r.order.id for r in repeats} == {commands.order_id_for(staff.company_id, token)}
    assert Event.objects.filter(event_type="OrderPlaced").count() == 1
