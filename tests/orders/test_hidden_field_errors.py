"""QA finding: an invalid hidden field (the order's version, the new order's id, the formset's
line count, the ticked orders) answered 400/422 with no visible text. Each now says what
happened and what to do, on the page and in the htmx answer, and writes nothing."""

import pytest

from events.models import Event
from tests import factories
from tests.factories import log_in

pytestmark = pytest.mark.django_db

SAID = "This page was out of date or its form was changed before it was sent"
LINES = {
    "lines-TOTAL_FORMS": "1",
    "lines-INITIAL_FORMS": "0",
    "lines-0-sku": "A",
    "lines-0-quantity": "1",
    "lines-0-unit_price": "1",
}
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def submitted(acme):
    return factories.order_in_state("submitted", acme)


@pytest.mark.parametrize("headers", [{}, HTMX])
@pytest.mark.parametrize("version", ["abc", "", "-1", "99999999999"])
def test_an_action_with_a_bad_version_says_why(client, manager, submitted, version, headers):
    log_in(client, manager)
    before = Event.objects.count()

    response = client.post(
        f"/orders/{submitted.id}/transitions/approve/", {"version": version}, **headers
    )

    assert response.status_code in (400, 422)
    assert SAID in response.content.decode()
    assert Event.objects.count() == before


def test_a_note_with_a_bad_version_says_why(client, manager, submitted):
    log_in(client, manager)
    response = client.post(f"/orders/{submitted.id}/notes/", {"version": "x", "text": "Hi"})
    assert response.status_code == 422
    assert SAID in response.content.decode()


@pytest.mark.parametrize(
    "form",
    [
        {"order_id": "not-a-uuid", "customer_name": "Initech", **LINES},
        {"customer_name": "Initech"},  # no line count at all
    ],
)
def test_a_new_order_with_a_bad_hidden_field_says_why(client, staff, form):
    log_in(client, staff)
    before = Event.objects.count()

    response = client.post("/orders/new/", form)

    html = response.content.decode()
    assert response.status_code in (400, 422)
    assert SAID in html
    assert "tampered" not in html and "Hidden field" not in html
    assert Event.objects.count() == before


def test_an_edit_with_no_version_says_why(client, staff):
    draft = factories.place(staff)
    log_in(client, staff)
    response = client.post(
        f"/orders/{draft.id}/edit/", {"version": "", "customer_name": "Initech", **LINES}
    )
    assert response.status_code in (400, 422)
    assert SAID in response.content.decode()


def test_an_audit_page_cursor_that_is_not_a_number_says_so(client, manager):
    log_in(client, manager)
    response = client.get("/audit/", {"before": "abc"})
    assert response.status_code == 400
    assert "The page link was changed or is out of date" in response.content.decode()
