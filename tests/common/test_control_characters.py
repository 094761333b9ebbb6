"""QA finding: messages echoed a raw NUL typed into a URL or a form. A control character in a
query (or a form field's name) is now refused before a view runs, with a page (or a
problem+json on the API) that names it without repeating it; a form field holding one gets its
field's message, which never repeats it either, and nothing is written."""

import pytest

from events.models import Event
from tests import factories
from tests.factories import log_in

pytestmark = pytest.mark.django_db

SAID = "Remove the control character U+0000"


@pytest.mark.parametrize(
    "query",
    [
        {"q": "Ini\x00tech"},
        {"state": "draft\x00"},
        {"sort": "\x00total"},
        {"x\x00": "1"},
    ],
)
def test_a_nul_in_the_list_query_is_a_400_that_does_not_echo_it(client, staff, query):
    log_in(client, staff)
    response = client.get("/orders/", query)
    body = response.content.decode()
    assert response.status_code == 400
    assert SAID in body
    assert "\x00" not in body


def test_a_nul_in_the_audit_filters_is_a_400_that_does_not_echo_it(client, manager):
    log_in(client, manager)
    response = client.get("/audit/", {"event_type": "Order\x00Placed", "actor": "a\x07b"})
    assert response.status_code == 400
    assert "\x00" not in response.content.decode()


def test_a_nul_in_a_posted_field_is_its_fields_error_and_writes_nothing(client, acme, staff):
    order = factories.place(staff)
    log_in(client, staff)
    before = Event.objects.count()
    response = client.post(f"/orders/{order.id}/notes/", {"version": "1", "text": "Hi\x00"})
    assert response.status_code == 422
    assert SAID in response.content.decode()
    assert Event.objects.count() == before


def test_a_nul_in_a_posted_fields_name_is_a_400(client, acme, staff):
    order = factories.place(staff)
    log_in(client, staff)
    response = client.post(f"/orders/{order.id}/notes/", {"version": "1", "te\x00xt": "Hi"})
    assert response.status_code == 400
    assert "\x00" not in response.content.decode()


def test_the_api_answers_a_problem(acme):
    from tests.api.helpers import ApiClient, api_key

    api = ApiClient(api_key(acme, "Staff"))
    response = api.get("/api/v1/orders", q="\x00")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert "U+0000" in response.json()["detail"]


def test_tabs_and_line_breaks_are_text(client, staff):
    order = factories.place(staff)
    log_in(client, staff)
    response = client.post(f"/orders/{order.id}/notes/", {"version": "1", "text": "a\tb\r\nc"})
    assert response.status_code == 303


def test_the_order_form_redrawn_after_a_nul_keeps_the_rest_of_what_was_typed_without_it(
    client, acme, staff
):
    from tests.security.conftest import order_post_data

    log_in(client, staff)
    before = Event.objects.count()

    response = client.post(
        "/orders/new/",
        order_post_data(customer="Wile\x00 E. Coyote", shipping_address="1 Desert\x07 Road"),
    )

    body = response.content.decode()
    assert response.status_code == 422
    assert SAID in body
    assert "\x00" not in body and "\x07" not in body
    assert 'value="Wile E. Coyote"' in body
    assert Event.objects.count() == before


def test_the_customer_form_redrawn_after_a_nul_keeps_the_rest_of_what_was_typed_without_it(
    client, acme, staff
):
    log_in(client, staff)
    before = Event.objects.count()

    response = client.post(
        "/customers/new/", {"name": "Ini\x00tech", "notes": "Call\x1b first\nthen mail"}
    )

    body = response.content.decode()
    assert response.status_code == 422
    assert SAID in body
    assert "\x00" not in body and "\x1b" not in body
    assert 'value="Initech"' in body
    assert "Call first\nthen mail</textarea>" in body
    assert Event.objects.count() == before
