"""Time travel from the log (#20): each history row offers "show the order as of this event",
and the snapshot shows every field of the order then (address, reference, notes, shipment),
equal to the fold of the log up to that event."""

import dataclasses
import re

import pytest

from events import store
from orders import aggregate, commands
from projections.models import OrderSummary
from tests import factories
from tests.factories import log_in

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def lived(acme, staff, manager):
    """Placed, re-addressed (with a reference and order notes), noted, then all the way to
    delivered: eight events."""
    order = factories.place(staff)
    moved = dataclasses.replace(
        factories.details(),
        customer_reference="PO-77",
        shipping_address="2 Side Street\nSpringfield",
        notes="Leave at the back door",
    )
    order = commands.change_order(
        order.id, actor=staff, expected_version=1, details=moved, lines=factories.lines(3)
    )
    order = commands.add_note(order.id, actor=staff, expected_version=2, text="Customer rang")
    return factories.advance(order, "delivered", staff=staff, manager=manager)


def as_of_fields(response) -> dict[str, str]:
    html = response.content.decode()
    section = html[html.index('data-testid="as-of"') :]
    section = section[: section.index("</section>")]
    return {
        name: " ".join(re.sub(r"<[^>]+>", " ", value).split())
        for name, value in re.findall(r'data-field="(\w+)">(.*?)</dd>', section, re.S)
    }


def test_every_row_offers_the_order_as_of_that_event(client, staff, lived):
    log_in(client, staff)

    html = client.get(f"/orders/{lived.id}/history/").content.decode()

    links = re.findall(r'<a class="small" href="\?version=(\d+)"', html)
    assert links == [str(v) for v in range(1, lived.version + 1)]
    assert lived.version == 8


def test_the_snapshot_after_each_event_is_the_fold_of_the_log_up_to_it(client, staff, lived):
    log_in(client, staff)
    log = store.read_stream(lived.id)

    for version in range(1, len(log) + 1):
        response = client.get(f"/orders/{lived.id}/history/", {"version": version})

        assert response.status_code == 200
        assert response.context["snapshot"] == aggregate.fold(log[:version])
        assert response.context["snapshot"].version == version


def test_the_last_snapshot_agrees_with_the_live_read_model(client, staff, lived):
    """The fold and the projections are separate readers of the log: they must agree."""
    log_in(client, staff)

    snapshot = client.get(f"/orders/{lived.id}/history/", {"version": 8}).context["snapshot"]

    summary = OrderSummary.objects.get(pk=lived.id)
    details = snapshot.details
    assert (snapshot.state, snapshot.version) == (summary.state, summary.version)
    assert (details.customer_reference, details.shipping_address, details.notes) == (
        summary.customer_reference,
        summary.shipping_address,
        summary.notes,
    )
    assert (snapshot.carrier, snapshot.tracking_number) == (
        summary.carrier,
        summary.tracking_number,
    )
    assert len(snapshot.notes) == summary.note_count == 1
    assert len(snapshot.lines) == summary.line_count == 3


def test_the_snapshot_shows_every_field_of_the_order_then(client, staff, lived):
    log_in(client, staff)

    placed = as_of_fields(client.get(f"/orders/{lived.id}/history/", {"version": 1}))
    noted = as_of_fields(client.get(f"/orders/{lived.id}/history/", {"version": 3}))
    shipped = as_of_fields(client.get(f"/orders/{lived.id}/history/", {"version": 7}))

    assert placed["shipping_address"] == "1 Main St"
    assert placed["customer_reference"] == "PO-1"
    assert placed["customer_email"] == "buyer@initech.example"
    assert placed["notes"] == "—"
    assert placed["shipment"] == "not shipped"
    assert placed["added_notes"] == "none"
    assert noted["shipping_address"] == "2 Side Street Springfield"
    assert noted["customer_reference"] == "PO-77"
    assert noted["notes"] == "Leave at the back door"
    assert noted["added_notes"] == "Customer rang"
    assert shipped["shipment"] == "DHL, tracking TRK1"


def test_the_events_after_the_chosen_one_are_greyed_out(client, staff, lived):
    log_in(client, staff)

    html = client.get(f"/orders/{lived.id}/history/", {"version": 5}).content.decode()

    assert html.count('<tr class="text-body-tertiary">') == 3
    assert "As it stood after event #5: Approved" in " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_with_htmx_the_link_answers_the_history_body(client, staff, lived):
    log_in(client, staff)

    response = client.get(f"/orders/{lived.id}/history/", {"version": 2}, **HTMX)

    assert response.content.decode().lstrip().startswith('<div id="history-body"')
    assert as_of_fields(response)["customer_reference"] == "PO-77"


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ({"version": 9}, "The order has 8 events so far."),
        ({"version": 0}, "greater than or equal to 1"),
        ({"version": "x"}, "Enter a whole number."),
        ({"version": 2, "as_of": "2025-01-01T10:00"}, "a moment or an event, not both"),
    ],
)
def test_an_event_that_is_not_the_orders_is_400(client, staff, lived, query, error):
    log_in(client, staff)

    response = client.get(f"/orders/{lived.id}/history/", query)

    assert response.status_code == 400
    assert error in response.content.decode()
    assert 'data-testid="as-of"' not in response.content.decode()


def test_another_companys_order_as_of_an_event_is_404(client, globex_staff, lived):
    log_in(client, globex_staff)

    assert client.get(f"/orders/{lived.id}/history/", {"version": 1}).status_code == 404
