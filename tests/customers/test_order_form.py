"""The order form picks a customer and SKUs (with the script: the auto-complete fills the
fields; without it: what is typed is looked up on saving), and may add a new customer."""

import pytest

from customers import commands
from customers.models import Customer
from events.models import Event
from orders.models import Order
from projections.models import OrderSummary
from tests.factories import log_in

from .factories import customer, sku

pytestmark = pytest.mark.django_db


def order_post(**fields):
    data = {
        "customer": "",
        "customer_id": "",
        "customer_name": "",
        "customer_reference": "",
        "customer_email": "",
        "shipping_address": "",
        "notes": "",
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "200",
        "lines-0-sku": "X-1",
        "lines-0-description": "Thing",
        "lines-0-quantity": "2",
        "lines-0-unit_price": "5.00",
    }
    return data | fields


def test_a_picked_customer_is_recorded_on_the_order_and_its_summary(client, staff):
    hooli = customer(staff, "Hooli", email="gavin@hooli.example")
    log_in(client, staff)
    response = client.post(
        "/orders/new/",
        order_post(customer_id=str(hooli.pk), customer="Hooli", customer_name="Hooli (edited)"),
    )
    assert response.status_code == 302
    summary = OrderSummary.objects.get()
    assert summary.customer_id == hooli.pk
    assert summary.customer_name == "Hooli (edited)"  # the order's own copy, as typed
    assert summary.customer_email == "gavin@hooli.example"  # a blank detail: the customer's
    placed = Event.objects.get(event_type="OrderPlaced")
    assert placed.payload["details"]["customer_id"] == str(hooli.pk)


def test_without_javascript_a_typed_reference_picks_the_customer_and_fills_blanks(client, staff):
    hooli = customer(staff, "Hooli", reference="H-42", shipping_address="2 High St")
    log_in(client, staff)
    response = client.post("/orders/new/", order_post(customer="h-42"))
    assert response.status_code == 302
    summary = OrderSummary.objects.get()
    assert (summary.customer_id, summary.customer_name, summary.shipping_address) == (
        hooli.pk,
        "Hooli",
        "2 High St",
    )


def test_a_typed_customer_that_matches_nobody_is_an_error_and_writes_nothing(client, staff):
    log_in(client, staff)
    before = Event.objects.count()
    response = client.post("/orders/new/", order_post(customer="Nobody Ltd"))
    assert response.status_code == 422 and "No active customer" in response.text
    assert Event.objects.count() == before


def test_another_company_s_customer_cannot_be_picked(client, staff, globex_staff):
    theirs = customer(globex_staff, "Globex Buyer")
    log_in(client, staff)
    before = Event.objects.count()
    response = client.post(
        "/orders/new/",
        order_post(customer_id=str(theirs.pk), customer="Globex Buyer", customer_name="X"),
    )
    assert response.status_code == 422 and "No active customer" in response.text
    assert Event.objects.count() == before


def test_the_command_refuses_another_company_s_or_a_deactivated_customer(
    staff, manager, globex_staff
):
    from orders import commands as order_commands
    from orders.exceptions import OrderValidationError
    from tests import factories

    theirs = customer(globex_staff, "Globex Buyer")
    gone = customer(staff, "Gone")
    commands.deactivate_customer(gone.pk, actor=manager, expected_version=1)
    for picked in (theirs, gone):
        details = factories.details().__class__(customer_name="X", customer_id=str(picked.pk))
        with pytest.raises(OrderValidationError) as caught:
            order_commands.place_order(actor=staff, details=details, lines=factories.lines(1))
        assert "customer" in caught.value.errors
    assert not Order.objects.exists()


def test_ticking_the_box_adds_the_typed_details_as_a_customer_with_the_order(client, staff):
    log_in(client, staff)
    response = client.post(
        "/orders/new/",
        order_post(
            customer_name="Pied Piper",
            customer_reference="PP-1",
            customer_email="r@pp.example",
            save_customer="on",
        ),
    )
    assert response.status_code == 302
    made = Customer.objects.get()
    assert (made.name, made.reference, made.email) == ("Pied Piper", "PP-1", "r@pp.example")
    assert OrderSummary.objects.get().customer_id == made.pk


def test_a_new_customer_refused_refuses_the_order_too(client, staff):
    customer(staff, "Hooli", reference="PP-1")
    log_in(client, staff)
    before = Event.objects.count()
    response = client.post(
        "/orders/new/",
        order_post(customer_name="Pied Piper", customer_reference="pp-1", save_customer="on"),
    )
    assert response.status_code == 422 and "already used" in response.text
    assert Event.objects.count() == before


def test_a_known_sku_fills_a_blank_description_and_price_without_javascript(client, staff, manager):
    sku(manager, "BOLT-8", price="0.30", description="Bolt M8")
    log_in(client, staff)
    response = client.post(
        "/orders/new/",
        order_post(**{
            "customer_name": "Hooli", "lines-0-sku": "bolt-8",
            "lines-0-description": "", "lines-0-unit_price": "",
        }),
    )  # fmt: skip
    assert response.status_code == 302
    (line,) = OrderSummary.objects.get().lines
    assert (line["description"], line["unit_price"]) == ("Bolt M8", "0.30")


def test_a_typed_price_wins_over_the_sku_default(client, staff, manager):
    sku(manager, "BOLT-8", price="0.30")
    log_in(client, staff)
    response = client.post(
        "/orders/new/",
        order_post(**{"customer_name": "Hooli", "lines-0-sku": "BOLT-8",
                      "lines-0-unit_price": "0.25"}),
    )  # fmt: skip
    assert response.status_code == 302
    assert OrderSummary.objects.get().lines[0]["unit_price"] == "0.25"


def test_an_unknown_sku_without_a_price_is_an_error_on_the_line(client, staff):
    log_in(client, staff)
    response = client.post(
        "/orders/new/",
        order_post(**{"customer_name": "Hooli", "lines-0-unit_price": ""}),
    )
    assert response.status_code == 422 and "Enter a unit price" in response.text
    assert not Order.objects.exists()


def test_the_form_offers_the_auto_complete_and_a_customer_page_preselects(client, staff):
    hooli = customer(staff, "Hooli", email="g@hooli.example")
    log_in(client, staff)
    page = client.get("/orders/new/", {"customer": str(hooli.pk)})
    assert page.status_code == 200
    assert 'hx-get="/customers/lookup/"' in page.text and 'hx-get="/customers/skus/lookup/"' in (
        page.text
    )
    form = page.context["form"]
    assert form.initial["customer_id"] == str(hooli.pk)
    assert form.initial["customer_email"] == "g@hooli.example"
    assert client.get("/orders/new/", {"customer": "junk"}).status_code == 200


def test_editing_an_order_shows_its_customer(client, staff):
    hooli = customer(staff, "Hooli")
    log_in(client, staff)
    client.post("/orders/new/", order_post(customer_id=str(hooli.pk), customer="Hooli"))
    summary = OrderSummary.objects.get()
    page = client.get(f"/orders/{summary.id}/edit/")
    assert page.status_code == 200
    assert page.context["form"].initial["customer"] == "Hooli"


def test_the_order_page_links_its_customer(client, staff):
    hooli = customer(staff, "Hooli")
    log_in(client, staff)
    client.post("/orders/new/", order_post(customer_id=str(hooli.pk), customer="Hooli"))
    summary = OrderSummary.objects.get()
    page = client.get(f"/orders/{summary.id}/")
    assert f'href="/customers/{hooli.pk}/" data-testid="customer-record"' in page.text


def test_clearing_the_customer_field_takes_the_customer_off_the_order(client, staff):
    hooli = customer(staff, "Hooli")
    log_in(client, staff)
    client.post("/orders/new/", order_post(customer_id=str(hooli.pk), customer="Hooli"))
    summary = OrderSummary.objects.get()
    edit = order_post(customer_id=str(hooli.pk), customer="", customer_name="Walk-in", version=1)
    assert client.post(f"/orders/{summary.id}/edit/", edit).status_code == 302
    summary.refresh_from_db()
    assert (summary.customer_id, summary.customer_name) == (None, "Walk-in")


def test_the_history_says_when_an_order_got_a_customer():
    from orders.events import OrderChanged, contents_diff
    from tests import factories

    before = OrderChanged(details=factories.details("Hooli"), lines=tuple(factories.lines(1)))
    after = OrderChanged(
        details=factories.details("Hooli").__class__(customer_name="Hooli", customer_id="c-1"),
        lines=before.lines,
    )
    assert "customer record: — → c-1" in contents_diff(before, after)
