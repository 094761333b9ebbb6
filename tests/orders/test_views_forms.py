"""The order form pages: /orders/new/ and /orders/<id>/edit/ (drafts only), lines as a formset."""

import re
from decimal import Decimal

import pytest

from events.models import Event
from orders import commands
from projections.models import OrderSummary
from tests import factories
from tests.factories import log_in

pytestmark = pytest.mark.django_db

BLANK_ROW = {"sku": "", "description": "", "quantity": "", "unit_price": ""}


def order_data(rows, *, initial=0, customer="Initech", **fields):
    """The POST body of the order form: the details plus the `lines` formset."""
    data = {
        "customer_name": customer,
        "customer_reference": "PO-7",
        "customer_email": "buyer@initech.example",
        "shipping_address": "1 Main St",
        "notes": "",
        "lines-TOTAL_FORMS": str(len(rows)),
        "lines-INITIAL_FORMS": str(initial),
        **fields,
    }
    for index, row in enumerate(rows):
        for name, value in row.items():
            data[f"lines-{index}-{name}"] = value
    return data


def row(sku, quantity, unit_price, description="", **extra):
    return {
        "sku": sku,
        "description": description or f"Item {sku}",
        "quantity": str(quantity),
        "unit_price": str(unit_price),
        **extra,
    }


def field_error(html: str, field_id: str) -> str:
    """The error text shown under the field with this id ('' when there is none)."""
    match = re.search(rf'id="{re.escape(field_id)}[_-]error"[^>]*>(.*?)</div>', html, re.S)
    return re.sub(r"<[^>]+>|\s+", " ", match.group(1)).strip() if match else ""


def stored_lines(order_id):
    summary = OrderSummary.objects.get(pk=order_id)
    return [(line["sku"], line["quantity"], Decimal(line["unit_price"])) for line in summary.lines]


# --- create -----------------------------------------------------------------------------------


def test_the_new_order_form_offers_one_blank_line_row(client, staff):
    log_in(client, staff)

    response = client.get("/orders/new/")

    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="lines-TOTAL_FORMS" value="1"' in html
    assert 'name="lines-INITIAL_FORMS" value="0"' in html
    assert 'name="lines-0-sku"' in html
    assert 'name="customer_name"' in html


def test_creating_an_order_records_one_placed_event_and_redirects_to_it(client, staff):
    log_in(client, staff)
    events_before = Event.objects.count()

    response = client.post(
        "/orders/new/", order_data([row("A-1", 2, "5.50"), row("B-2", 1, "10.00"), BLANK_ROW])
    )

    assert Event.objects.count() == events_before + 1
    event = Event.objects.order_by("-position").first()
    assert event.event_type == "OrderPlaced"
    assert response.status_code == 302
    assert response["Location"] == f"/orders/{event.stream_id}/"
    # The blank extra row was ignored: two lines, not three, and no error about it.
    assert stored_lines(event.stream_id) == [
        ("A-1", 2, Decimal("5.50")),
        ("B-2", 1, Decimal("10.00")),
    ]
    summary = OrderSummary.objects.get(pk=event.stream_id)
    assert (summary.customer_name, summary.state, summary.total_cents) == ("Initech", "draft", 2100)


def test_the_created_order_page_says_it_was_created(client, staff):
    log_in(client, staff)

    response = client.post("/orders/new/", order_data([row("A-1", 1, "1.00")]), follow=True)

    assert response.status_code == 200
    assert "ACME-000001 was created as a draft" in response.content.decode()


def test_a_line_marked_for_deletion_is_not_created(client, staff):
    log_in(client, staff)

    client.post(
        "/orders/new/",
        order_data([row("KEEP", 1, "3.00"), row("DROP", 4, "7.00", DELETE="on")]),
    )

    (event,) = Event.objects.filter(event_type="OrderPlaced")
    assert stored_lines(event.stream_id) == [("KEEP", 1, Decimal("3.00"))]


@pytest.mark.parametrize(
    ("fields", "rows", "field_id", "message"),
    [
        ({"customer_name": ""}, [row("A-1", 1, "1.00")], "id_customer_name", "required"),
        ({"customer_email": "not-an-email"}, [row("A-1", 1, "1.00")], "id_customer_email", "valid"),
        ({}, [row("A-1", 0, "1.00")], "id_lines-0-quantity", "greater than or equal to 1"),
        ({}, [row("A-1", 1, "-1")], "id_lines-0-unit_price", "Enter an amount from 0 to"),
        ({}, [row("", 1, "1.00")], "id_lines-0-sku", "required"),
        ({}, [row("A-1", 1, "1.00"), row("B-2", "many", "1.00")], "id_lines-1-quantity", "whole"),
    ],
    ids=["no-customer", "bad-email", "zero-quantity", "negative-price", "no-sku", "text-quantity"],
)
def test_an_invalid_new_order_is_422_with_the_error_on_its_field_and_writes_nothing(
    client, staff, fields, rows, field_id, message
):
    log_in(client, staff)
    events_before = Event.objects.count()

    response = client.post("/orders/new/", order_data(rows, **fields))

    assert response.status_code == 422
    assert message in field_error(response.content.decode(), field_id)
    assert Event.objects.count() == events_before


def test_an_invalid_new_order_keeps_what_was_typed(client, staff):
    log_in(client, staff)

    response = client.post("/orders/new/", order_data([row("KEEP-ME", 0, "4.25")]))

    assert response.status_code == 422
    html = response.content.decode()
    assert 'value="KEEP-ME"' in html
    assert 'value="4.25"' in html
    assert 'value="Initech"' in html


@pytest.mark.parametrize("role_fixture", ["auditor", "ops"])
def test_a_read_only_role_may_not_open_or_post_the_new_order_form(client, request, role_fixture):
    user = request.getfixturevalue(role_fixture)
    log_in(client, user)

    assert client.get("/orders/new/").status_code == 403
    assert client.post("/orders/new/", order_data([row("A-1", 1, "1.00")])).status_code == 403
    assert not Event.objects.exists()


# --- edit -------------------------------------------------------------------------------------


def edit_url(order):
    return f"/orders/{order.id}/edit/"


def test_the_edit_form_is_filled_with_the_draft_and_its_version(client, staff):
    order = factories.place(staff, line_count=2, customer="Umbrella")
    log_in(client, staff)

    response = client.get(edit_url(order))

    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="version" value="1"' in html
    assert 'value="Umbrella"' in html
    assert 'name="lines-INITIAL_FORMS" value="2"' in html
    assert 'name="lines-TOTAL_FORMS" value="3"' in html  # two lines and one blank row
    assert re.search(r'name="lines-1-sku"[^>]*value="SKU-1"', html)
    assert re.search(r'name="lines-1-unit_price"[^>]*value="10.99"', html)


def test_saving_a_draft_records_one_changed_event_with_the_new_lines(client, staff):
    order = factories.place(staff, line_count=2)
    log_in(client, staff)
    rows = [row("SKU-0", 5, "9.99"), row("NEW", 1, "2.00"), BLANK_ROW]

    response = client.post(
        edit_url(order), order_data(rows, initial=2, customer="Hooli", version=order.version)
    )

    assert response.status_code == 302
    assert response["Location"] == f"/orders/{order.id}/"
    (event,) = Event.objects.filter(stream_id=order.id, version=order.version + 1)
    assert event.event_type == "OrderChanged"
    assert stored_lines(order.id) == [("SKU-0", 5, Decimal("9.99")), ("NEW", 1, Decimal("2.00"))]
    assert OrderSummary.objects.get(pk=order.id).customer_name == "Hooli"


def test_deleting_a_line_on_the_edit_form_removes_it_from_the_draft(client, staff):
    order = factories.place(staff, line_count=2)
    log_in(client, staff)
    rows = [row("SKU-0", 1, "9.99"), row("SKU-1", 2, "10.99", DELETE="on")]

    response = client.post(edit_url(order), order_data(rows, initial=2, version=order.version))

    assert response.status_code == 302
    assert stored_lines(order.id) == [("SKU-0", 1, Decimal("9.99"))]


def test_saving_with_a_stale_version_is_a_409_conflict_and_writes_nothing(client, staff):
    order = factories.place(staff)
    page_version = order.version
    commands.add_note(order.id, actor=staff, expected_version=page_version, text="meanwhile")
    log_in(client, staff)
    events_before = Event.objects.count()

    response = client.post(edit_url(order), order_data([row("X", 1, "1.00")], version=page_version))

    assert response.status_code == 409
    assert "was given a note by you in another window at" in response.content.decode()
    assert Event.objects.count() == events_before
    assert stored_lines(order.id)[0][0] == "SKU-0"


def conflict_text(response) -> str:
    match = re.search(r'data-testid="edit-conflict">(.*?)</div>', response.content.decode(), re.S)
    return re.sub(r"<[^>]+>|\s+", " ", match.group(1)).strip() if match else ""


def test_an_edit_of_a_draft_submitted_in_another_window_keeps_the_typing_and_says_so(client, staff):
    order = factories.place(staff)
    commands.submit(order.id, actor=staff, expected_version=order.version)  # the other window
    log_in(client, staff)
    typed = order_data([row("TYPED-SKU", 3, "4.50")], customer="Typed Customer Ltd",
                       version=order.version, notes="Call before delivery")  # fmt: skip

    response = client.post(edit_url(order), typed)

    assert response.status_code == 409
    html = response.content.decode()
    assert re.match(
        r"ACME-000001 was submitted by you in another window at \d\d:\d\d: it is no longer a "
        r"draft",
        conflict_text(response),
    )
    assert 'value="Typed Customer Ltd"' in html
    assert 'value="TYPED-SKU"' in html
    assert "Call before delivery" in html
    assert "Save draft" not in html  # it cannot be saved: the text is there to copy


def test_an_edit_that_lost_a_race_names_who_changed_the_draft_and_can_be_saved_again(
    client, staff, manager
):
    order = factories.place(staff)
    commands.add_note(order.id, actor=manager, expected_version=order.version, text="meanwhile")
    log_in(client, staff)
    typed = order_data([row("TYPED-SKU", 3, "4.50")], customer="Typed Customer Ltd",
                       version=order.version)  # fmt: skip

    response = client.post(edit_url(order), typed)

    assert response.status_code == 409
    assert "was given a note by acme.manager at" in conflict_text(response)
    assert "Save draft again to replace" in conflict_text(response)
    html = response.content.decode()
    assert 'value="Typed Customer Ltd"' in html
    assert re.search(r'name="version" value="2"', html)  # saving again is a knowing overwrite
    again = client.post(edit_url(order), {**typed, "version": "2"})
    assert again.status_code == 302
    assert OrderSummary.objects.get(pk=order.id).customer_name == "Typed Customer Ltd"


def test_an_invalid_edit_is_422_with_the_error_on_its_field_and_writes_nothing(client, staff):
    order = factories.place(staff)
    log_in(client, staff)
    events_before = Event.objects.count()

    response = client.post(
        edit_url(order), order_data([row("A", 1, "abc")], initial=1, version=order.version)
    )

    assert response.status_code == 422
    assert "number" in field_error(response.content.decode(), "id_lines-0-unit_price")
    assert Event.objects.count() == events_before


@pytest.mark.parametrize("state", ["submitted", "approved", "cancelled"])
def test_saving_an_order_that_is_no_longer_a_draft_is_refused_with_a_message(
    client, acme, staff, state
):
    order = factories.order_in_state(state, acme)
    log_in(client, staff)
    events_before = Event.objects.count()

    response = client.post(
        edit_url(order), order_data([row("X", 1, "1.00")], version=order.version)
    )

    assert response.status_code == 422
    assert f"is {state}: it cannot be changed now" in response.content.decode()
    assert Event.objects.count() == events_before


def test_opening_the_edit_form_of_an_order_that_is_no_longer_a_draft_is_refused(
    client, acme, staff
):
    order = factories.order_in_state("submitted", acme)
    log_in(client, staff)

    response = client.get(edit_url(order))

    assert response.status_code == 422
    html = response.content.decode()
    assert "is submitted: it cannot be changed now" in html
    assert 'name="lines-TOTAL_FORMS"' not in html


@pytest.mark.parametrize("role_fixture", ["auditor", "ops"])
def test_a_read_only_role_may_not_open_or_post_the_edit_form(client, staff, request, role_fixture):
    order = factories.place(staff)
    user = request.getfixturevalue(role_fixture)
    log_in(client, user)

    assert client.get(edit_url(order)).status_code == 403
    response = client.post(edit_url(order), order_data([row("X", 1, "1")], version=1))
    assert response.status_code == 403
    assert Event.objects.count() == 1
