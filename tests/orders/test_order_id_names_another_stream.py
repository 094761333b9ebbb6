"""The new-order form's `order_id` (the repeated-create token) cannot name a stream that is not
this company's order (issue #24 §1): a user's or a company's id, of this company or another, is
never an order's stream, and the user's and company's own events keep going to their streams."""

import pytest

from accounts import commands as access
from events.models import Event
from tests.factories import log_in
from tests.orders.test_repeated_create import new_order_form

pytestmark = pytest.mark.django_db


def assert_streams_of_one_type_and_company() -> None:
    owners = {}
    for stream_id, stream_type, company_id in Event.objects.values_list(
        "stream_id", "stream_type", "company_id"
    ):
        assert owners.setdefault(stream_id, (stream_type, company_id)) == (
            stream_type,
            company_id,
        ), stream_id


@pytest.mark.parametrize("whose", ["colleague", "company", "other_company_user", "other_company"])
def test_an_order_id_naming_a_user_or_company_places_an_order_in_a_fresh_stream(
    client, manager, staff, globex_staff, whose
):
    named = {
        "colleague": staff.pk,
        "company": manager.company_id,
        "other_company_user": globex_staff.pk,
        "other_company": globex_staff.company_id,
    }[whose]
    log_in(client, manager)

    response = client.post("/orders/new/", {**new_order_form(client), "order_id": named})

    assert response.status_code == 302
    assert response["Location"] != f"/orders/{named}/"
    assert not Event.objects.filter(stream_id=named, stream_type="order").exists()
    detail = client.get(response["Location"])
    assert detail.status_code == 200
    assert_streams_of_one_type_and_company()


def test_the_users_role_change_after_such_an_order_lands_in_the_users_own_stream(
    client, manager, staff
):
    log_in(client, manager)
    response = client.post("/orders/new/", {**new_order_form(client), "order_id": staff.pk})

    access.change_role(actor=manager, user_id=staff.pk, role="Manager")

    assert list(Event.objects.filter(stream_id=staff.pk).values_list("event_type", flat=True))[
        -1:
    ] == ["UserRoleChanged"]
    assert client.get(response["Location"]).status_code == 200
    assert client.get(f"{response['Location']}history/").status_code in (200, 404)
    assert_streams_of_one_type_and_company()


def test_an_order_id_naming_a_stream_that_has_events_is_not_a_500(client, manager, staff):
    access.change_role(actor=manager, user_id=staff.pk, role="Auditor")  # the user's stream
    log_in(client, manager)

    response = client.post("/orders/new/", {**new_order_form(client), "order_id": staff.pk})

    assert response.status_code == 302
    assert_streams_of_one_type_and_company()


def test_a_repeated_form_still_lands_on_the_order_it_made(client, staff):
    log_in(client, staff)
    form = new_order_form(client)

    first = client.post("/orders/new/", form)
    again = client.post("/orders/new/", form)

    assert again["Location"] == first["Location"]
    assert Event.objects.filter(event_type="OrderPlaced").count() == 1
