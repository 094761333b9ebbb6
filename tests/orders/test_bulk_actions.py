"""Issue #19 §2: bulk actions on the order list; each order through its own command."""

import re
import threading

import pytest
from django.db import connections

from accounts.models import Role
from events.models import Event
from orders import commands
from orders.models import Order
from tests import factories
from tests.factories import log_in, order_in_state

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("committed_db")]


@pytest.fixture
def company():
    return factories.CompanyFactory(slug="acme")


@pytest.fixture
def manager(company):
    return factories.user(Role.MANAGER, company)


@pytest.fixture
def staff(company):
    return factories.user(Role.STAFF, company)


def ticked(*orders) -> list[str]:
    return [f"{order.id}:{order.version}" for order in orders]


def outcomes(response) -> dict[str, str]:
    """number -> "done" / "not-done" from the result page."""
    html = response.content.decode()
    return dict(
        (number, outcome)
        for outcome, number in re.findall(
            r'<tr data-outcome="([a-z-]+)">\s*<td><a [^>]*class="mono">([^<]+)</a>', html
        )
    )


def events_of(order) -> list[str]:
    return list(
        Event.objects.filter(stream_id=order.id)
        .order_by("version")
        .values_list("event_type", flat=True)
    )


def test_manager_approves_nine_submitted_orders_in_one_step(client, company, manager):
    orders = [order_in_state("submitted", company) for _ in range(9)]
    log_in(client, manager)

    response = client.post(
        "/orders/bulk/", {"confirmed": "yes", "action": "approve", "orders": ticked(*orders)}
    )

    assert response.status_code == 200
    assert "Approve: 9 of 9 done" in response.content.decode()
    assert set(outcomes(response).values()) == {"done"}
    for order in orders:
        assert events_of(order)[-1] == "OrderApproved"
        assert events_of(order).count("OrderApproved") == 1
        assert Order.objects.get(pk=order.id).state == "approved"


def test_a_change_by_someone_else_in_the_middle_is_reported_and_the_others_are_done(
    client, company, manager, monkeypatch
):
    first, middle, last = (order_in_state("submitted", company) for _ in range(3))
    other_manager = factories.user(Role.MANAGER, company, username="acme.other")
    real_transition = commands.transition

    def someone_else_acts_first(order_id, name, **kwargs):
        if order_id == middle.id:  # another user, another thread and connection, commits first
            worker = threading.Thread(target=reject_middle)
            worker.start()
            worker.join(timeout=60)
        return real_transition(order_id, name, **kwargs)

    def reject_middle():
        try:
            real_transition(
                middle.id,
                "reject",
                actor=other_manager,
                expected_version=middle.version,
                reason="No PO",
            )
        finally:
            connections.close_all()

    monkeypatch.setattr(commands, "transition", someone_else_acts_first)
    log_in(client, manager)

    response = client.post(
        "/orders/bulk/",
        {"confirmed": "yes", "action": "approve", "orders": ticked(first, middle, last)},
    )

    assert response.status_code == 200
    assert outcomes(response) == {
        first.number: "done",
        middle.number: "not-done",
        last.number: "done",
    }
    page = response.content.decode()
    assert "Approve: 2 of 3 done" in page
    assert "changed since your page showed it" in page
    assert events_of(middle)[-1] == "OrderRejected"  # theirs only: no approval on top
    assert "OrderApproved" not in events_of(middle)
    assert events_of(first)[-1] == events_of(last)[-1] == "OrderApproved"


def test_cancel_with_one_reason_cancels_each_and_names_what_is_not_allowed_any_more(
    client, company, manager
):
    draft = order_in_state("draft", company)
    held = order_in_state("on_hold", company)
    shipped = order_in_state("shipped", company)
    log_in(client, manager)

    response = client.post(
        "/orders/bulk/",
        {
            "confirmed": "yes",
            "action": "cancel",
            "reason": "Customer closed",
            "orders": ticked(draft, held, shipped),
        },
    )

    assert outcomes(response) == {
        draft.number: "done",
        held.number: "done",
        shipped.number: "not-done",
    }
    assert f"Order {shipped.number} is shipped: it cannot be cancelled now." in (
        response.content.decode()
    )
    for order in (draft, held):
        cancelled = Event.objects.get(stream_id=order.id, event_type="OrderCancelled")
        assert cancelled.payload["reason"] == "Customer closed"
    assert events_of(shipped)[-1] == "OrderShipped"


def test_staff_is_refused_per_order_for_what_their_role_may_not_do(client, company, staff):
    held = order_in_state("on_hold", company)
    log_in(client, staff)

    response = client.post(
        "/orders/bulk/",
        {"confirmed": "yes", "action": "cancel", "reason": "x", "orders": ticked(held)},
    )

    assert outcomes(response) == {held.number: "not-done"}
    assert "Your role may not cancel this order." in response.content.decode()
    assert events_of(held)[-1] == "OrderHeld"


def test_another_companys_order_in_the_batch_is_no_such_order(client, company, manager):
    mine = order_in_state("submitted", company)
    theirs = order_in_state("submitted", factories.CompanyFactory(slug="globex"))
    log_in(client, manager)

    response = client.post(
        "/orders/bulk/", {"confirmed": "yes", "action": "approve", "orders": ticked(mine, theirs)}
    )

    page = response.content.decode()
    assert outcomes(response) == {mine.number: "done"}
    assert theirs.number not in page and "No such order." in page
    assert "OrderApproved" not in events_of(theirs)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"action": "cancel", "reason": ""}, "This action needs a reason."),
        ({"action": "ship"}, "Select a valid choice."),
        ({"action": "approve", "orders": []}, "Select at least one order."),
        ({"action": "approve", "orders": ["not-an-id:1"]}, "is not an order of this list"),
    ],
)
def test_bad_bulk_input_is_400_and_writes_nothing(client, company, manager, data, message):
    order = order_in_state("submitted", company)
    log_in(client, manager)
    before = Event.objects.count()

    response = client.post("/orders/bulk/", {"confirmed": "yes", "orders": ticked(order), **data})

    assert response.status_code == 400
    assert message in response.content.decode()
    assert Event.objects.count() == before


def test_the_list_offers_the_users_actions_and_each_row_what_it_allows(client, company, staff):
    submitted = order_in_state("submitted", company)
    approved = order_in_state("approved", company)
    empty = factories.place(staff, line_count=0)
    log_in(client, staff)

    page = client.get("/orders/").content.decode()

    options = re.findall(r'<option value="([a-z_]+)"', page.split('id="bulk-form"')[1])
    assert "approve" not in options and "start_fulfilment" in options and "ship" not in options
    actions = dict(
        re.findall(r'value="([0-9a-f-]{36}):\d+" form="bulk-form" data-actions="([^"]*)"', page)
    )
    assert actions[str(submitted.id)] == "cancel"
    assert set(actions[str(approved.id)].split()) == {"start_fulfilment", "hold"}
    assert actions[str(empty.id)] == "cancel"  # submit needs a line first
