"""A repeated create makes one order (issue #14 item 3)."""

import re

import pytest

from events.models import Event
from orders import commands
from tests import factories
from tests.factories import log_in

pytestmark = pytest.mark.django_db


def new_order_form(client) -> dict[str, str]:
    """What the browser posts after filling in the form the server showed."""
    html = client.get("/orders/new/").content.decode()
    token = re.search(r'name="order_id" value="([0-9a-f-]{36})"', html).group(1)
    return {
        "order_id": token,
        "customer_name": "Initech",
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-0-sku": "A-1",
        "lines-0-quantity": "1",
        "lines-0-unit_price": "1.00",
    }


def placed_events():
    return Event.objects.filter(event_type="OrderPlaced")


def test_posting_the_same_new_order_form_twice_makes_one_order(client, staff):
    log_in(client, staff)
    form = new_order_form(client)

    first = client.post("/orders/new/", form)
    again = client.post("/orders/new/", form)

    assert placed_events().count() == 1
    assert first.status_code == again.status_code == 302
    order_id = commands.order_id_for(staff.company_id, form["order_id"])
    assert again["Location"] == first["Location"] == f"/orders/{order_id}/"
    page = client.get(again["Location"]).content.decode()
    assert "Order ACME-000001 was already created from this form." in page


def test_each_new_order_form_makes_its_own_order(client, staff):
    log_in(client, staff)

    client.post("/orders/new/", new_order_form(client))
    client.post("/orders/new/", {**new_order_form(client), "customer_name": "Hooli"})

    assert placed_events().count() == 2


def test_an_identical_order_from_a_new_form_moments_later_asks_before_creating_another(
    client, staff
):
    """Back after Create draft shows a fresh form (new order_id, the page is not cached) that the
    browser refills: sending it again must not silently make a second order."""
    log_in(client, staff)
    client.post("/orders/new/", new_order_form(client))

    again = client.post("/orders/new/", new_order_form(client))

    assert again.status_code == 409
    html = again.content.decode()
    assert "You placed ACME-000001 for Initech with the same lines moments ago" in html
    assert re.search(r'<input type="checkbox" name="create_another"', html)
    assert placed_events().count() == 1

    confirmed = client.post("/orders/new/", {**new_order_form(client), "create_another": "on"})

    assert confirmed.status_code == 302
    assert placed_events().count() == 2


def test_an_identical_order_by_another_user_is_not_held_back(client, staff, manager):
    factories.place(staff, customer="Initech")
    log_in(client, manager)

    client.post("/orders/new/", new_order_form(client))

    assert placed_events().count() == 2


def test_another_companys_order_id_in_the_form_is_ignored(client, staff, globex):
    foreign = factories.order_in_state("draft", globex)
    log_in(client, staff)

    response = client.post("/orders/new/", {**new_order_form(client), "order_id": foreign.id})

    assert response.status_code == 302
    assert response["Location"] != f"/orders/{foreign.id}/"
    assert placed_events().filter(company_id=staff.company_id).count() == 1


def test_a_stale_transition_is_still_refused_with_409(client, acme, staff):
    order = factories.order_in_state("draft", acme)
    log_in(client, staff)
    client.post(f"/orders/{order.id}/transitions/submit/", {"version": order.version})

    again = client.post(f"/orders/{order.id}/transitions/submit/", {"version": order.version})

    assert again.status_code == 409
