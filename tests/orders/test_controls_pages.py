"""Issue #28 through the pages: the controls settings page, approval by band and four eyes as a
person meets them, confirmation before the irreversible, amend with its difference, the
dashboard tile and the auditors' controls report."""

import re
from decimal import Decimal

import pytest

from accounts.models import Role
from events.models import Event
from orders import commands, policy
from orders.events import Line, PolicySettings
from orders.models import Order
from tests import factories
from tests.factories import log_in

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
A, B = Decimal("1000.00"), Decimal("10000.00")


def set_limits(manager, **settings):
    current = policy.policy_in_force(manager.company_id)
    return commands.change_policy(
        actor=manager,
        expected_version=current.version,
        settings=PolicySettings(**({"staff_limit": A, "two_manager_limit": B} | settings)),
    )


def submitted(author, amount: Decimal) -> Order:
    order = commands.place_order(
        actor=author,
        details=factories.details(),
        lines=[Line(sku="X", description="Thing", quantity=1, unit_price=amount)],
    )
    return commands.submit(order.id, actor=author, expected_version=order.version)


def post_action(client, order, name, headers=None, **data):
    return client.post(
        f"/orders/{order.id}/transitions/{name}/",
        {"version": order.version, **data},
        **(headers or {}),
    )


def state_of(order) -> str:
    return Order.objects.get(pk=order.id).state


# --- the settings page -------------------------------------------------------------------------


def test_a_manager_changes_the_controls_on_the_settings_page_and_sees_each_version(client, manager):
    log_in(client, manager)
    page = client.get("/orders/controls/")
    assert page.status_code == 200
    assert "the defaults (version 0)" in page.content.decode()

    response = client.post(
        "/orders/controls/",
        {
            "version": 0,
            "four_eyes": "on",
            "staff_limit": "1000",
            "two_manager_limit": "10000",
            "reasons_required": ["reject", "cancel"],
            "reopen_days": 14,
        },
    )

    assert response.status_code == 302
    html = client.get("/orders/controls/").content.decode()
    assert "In force: version 1" in html
    assert "above 10,000.00 EUR: two different Managers" in html
    assert "Two Managers above: none → 10000.00" in html
    assert Event.objects.filter(stream_type="policy").count() == 1


def test_staff_may_not_open_the_controls_page(client, staff):
    log_in(client, staff)
    assert client.get("/orders/controls/").status_code == 403
    assert client.post("/orders/controls/", {"version": 0, "reopen_days": 1}).status_code == 403
    assert not Event.objects.filter(stream_type="policy").exists()


def test_a_stale_controls_form_is_a_409_and_writes_nothing(client, manager):
    set_limits(manager)
    log_in(client, manager)

    response = client.post("/orders/controls/", {"version": 0, "reopen_days": 3})

    assert response.status_code == 409
    assert "Another Manager changed the controls" in response.content.decode()
    assert Event.objects.filter(stream_type="policy").count() == 1


# --- approval by band, through the pages -------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "role", "expected"),
    [
        (A, Role.STAFF, "approved"),
        (A + Decimal("0.01"), Role.STAFF, 403),
        (A + Decimal("0.01"), Role.MANAGER, "approved"),
        (B, Role.MANAGER, "approved"),
        (B + Decimal("0.01"), Role.MANAGER, "submitted"),  # a first approval: waits for another
        (B + Decimal("0.01"), Role.STAFF, 403),
    ],
    ids=str,
)
def test_who_may_approve_on_the_page_follows_the_band(
    client, acme, manager, amount, role, expected
):
    set_limits(manager)
    author = factories.user(Role.STAFF, acme, username="acme.author")
    order = submitted(author, amount)
    actor = factories.user(role, acme, username=f"acme.{role.value.lower()}.approver")
    log_in(client, actor)
    detail = client.get(f"/orders/{order.id}/").content.decode()
    assert ('data-action="approve"' in detail) == (expected != 403)

    response = post_action(client, order, "approve")

    if expected == 403:
        assert response.status_code == 403
        assert "need" in response.content.decode()
        assert state_of(order) == "submitted"
    else:
        assert response.status_code == 303
        assert state_of(order) == expected


def test_the_author_sees_why_he_cannot_approve_his_own_order(client, acme, manager):
    order = submitted(manager, Decimal("99000.00"))
    log_in(client, manager)

    detail = client.get(f"/orders/{order.id}/").content.decode()
    response = post_action(client, order, "approve", headers=HTMX)

    assert 'data-action="approve"' not in detail
    assert "someone else must approve it (four eyes)" in detail
    assert response.status_code == 403
    assert "four eyes" in response.content.decode()


def test_a_first_approval_shows_the_order_waiting_for_a_second_to_everyone(client, acme, manager):
    set_limits(manager)
    author = factories.user(Role.STAFF, acme, username="acme.author")
    order = commands.approve(
        submitted(author, Decimal("20000.00")).id,
        actor=manager,
        expected_version=2,
    )
    second = factories.user(Role.MANAGER, acme, username="acme.manager2")

    log_in(client, author)
    html = client.get(f"/orders/{order.id}/").content.decode()
    assert "Waits for a second approval" in html
    assert "acme.manager approved at" in html
    dashboard = client.get("/").content.decode()
    assert re.search(r'data-testid="second-count">1<', dashboard)
    assert 'data-testid="second-yours"' not in dashboard

    log_in(client, second)
    assert 'data-testid="second-yours"' in client.get("/").content.decode()
    assert post_action(client, order, "approve").status_code == 303
    assert state_of(order) == "approved"


def submitted_queue(client) -> str:
    html = client.get("/").content.decode()
    match = re.search(r'data-testid="queue-submitted">(.*?)</section>', html, re.S)
    return match.group(1) if match else ""


def test_the_submitted_queue_leaves_out_what_i_approved_and_says_who_waits_for_a_second(
    client, acme, manager
):
    set_limits(manager)
    author = factories.user(Role.STAFF, acme, username="acme.author")
    first = commands.approve(
        submitted(author, Decimal("20000.00")).id, actor=manager, expected_version=2
    )
    untouched = submitted(author, Decimal("20000.00"))
    second = factories.user(Role.MANAGER, acme, username="acme.manager2")

    log_in(client, manager)
    mine = submitted_queue(client)
    assert first.number not in mine and untouched.number in mine
    assert re.search(r'data-testid="queue-count">1<', mine)

    log_in(client, second)
    theirs = submitted_queue(client)
    assert first.number in theirs and untouched.number in theirs
    assert re.search(r'data-testid="queue-count">2<', theirs)
    (waits,) = re.findall(r'data-testid="waits-second">([^<]*)<', theirs)
    assert waits == "Waits for a second Manager (acme.manager approved)"


# --- confirmation before the irreversible ------------------------------------------------------


def test_deliver_asks_first_without_javascript_then_does_it_when_confirmed(client, acme, staff):
    order = factories.order_in_state("shipped", acme)
    log_in(client, staff)
    before = Event.objects.count()

    asked = post_action(client, order, "deliver")

    html = asked.content.decode()
    assert asked.status_code == 200
    assert "Confirm: Mark delivered" in html
    assert order.number in html
    assert 'name="confirmed" value="yes"' in html
    assert Event.objects.count() == before

    done = post_action(client, order, "deliver", confirmed="yes")
    assert done.status_code == 303
    assert state_of(order) == "delivered"


def test_cancel_asks_in_a_dialog_with_htmx_keeping_the_reason(client, acme, staff):
    order = factories.order_in_state("draft", acme)
    log_in(client, staff)

    asked = post_action(client, order, "cancel", headers=HTMX, reason="Customer withdrew")

    html = asked.content.decode()
    assert "<dialog open" in html and 'data-testid="confirm-dialog"' in html
    assert 'name="reason" value="Customer withdrew"' in html
    assert state_of(order) == "draft"


def test_every_bulk_action_asks_first_with_the_count_and_the_orders(client, acme, manager):
    orders = [factories.order_in_state("submitted", acme) for _ in range(3)]
    log_in(client, manager)
    ticked = [f"{o.id}:{o.version}" for o in orders]
    before = Event.objects.count()

    asked = client.post("/orders/bulk/", {"action": "approve", "orders": ticked})

    html = asked.content.decode()
    assert asked.status_code == 200
    assert "<strong>Approve</strong>: 3 orders" in html
    assert all(o.number in html for o in orders)
    assert Event.objects.count() == before
    done = client.post("/orders/bulk/", {"action": "approve", "orders": ticked, "confirmed": "yes"})
    assert "Approve: 3 of 3 done" in done.content.decode()


# --- amend, with its difference ----------------------------------------------------------------


def test_an_approved_order_is_amended_on_its_page_and_the_history_shows_the_difference(
    client, acme, staff
):
    order = factories.order_in_state("approved", acme)
    log_in(client, staff)
    assert 'data-testid="amend"' in client.get(f"/orders/{order.id}/").content.decode()
    form = client.get(f"/orders/{order.id}/amend/")
    assert form.status_code == 200

    response = client.post(
        f"/orders/{order.id}/amend/",
        {
            "version": order.version,
            "customer_name": "Initech",
            "customer_reference": "PO-1",
            "customer_email": "buyer@initech.example",
            "shipping_address": "2 High St",
            "reason": "Wrong address",
            "lines-TOTAL_FORMS": 1,
            "lines-INITIAL_FORMS": 0,
            "lines-0-sku": "SKU-0",
            "lines-0-description": "Item 0",
            "lines-0-quantity": 3,
            "lines-0-unit_price": "9.99",
        },
    )

    assert response.status_code == 302
    assert state_of(order) == "submitted"
    history = client.get(f"/orders/{order.id}/history/").content.decode()
    assert "shipping address: 1 Main St → 2 High St" in history
    assert "line SKU-0 quantity: 1 → 3" in history
    assert "line SKU-1 removed: 2 x Item 1 at 10.99" in history
    assert "reason: Wrong address" in history


# --- the auditors' report ----------------------------------------------------------------------


def test_the_controls_report_lists_self_approvals_before_controls_and_none_after(
    client, acme, manager, auditor
):
    set_limits(manager, four_eyes=False)
    mine = submitted(manager, Decimal("50.00"))
    commands.approve(mine.id, actor=manager, expected_version=mine.version)  # four eyes off
    set_limits(manager, four_eyes=True)
    other = submitted(manager, Decimal("20000.00"))
    with pytest.raises(Exception, match="four eyes"):
        commands.approve(other.id, actor=manager, expected_version=other.version)
    log_in(client, auditor)

    html = client.get("/audit/controls/").content.decode()
    csv = b"".join(client.get("/audit/controls/", {"format": "csv"}).streaming_content).decode()

    assert re.search(r'data-testid="count-self_approvals">1<', html)
    assert mine.number in html
    assert re.search(r'data-testid="count-policy_changes">2<', html)
    assert "Approvals by the order's author" in csv and mine.number in csv


def test_the_controls_report_counts_api_keys_among_the_access_changes(
    client, acme, manager, auditor
):
    """QA, session 4: creating and revoking an API key (who may act for the company) was
    missing from the report's access changes."""
    from accounts import commands as access

    issued = access.create_api_key(actor=manager, name="web shop", role="Staff")
    access.revoke_api_key(actor=manager, key_id=issued.api_key.pk)
    log_in(client, auditor)

    html = client.get("/audit/controls/").content.decode()

    assert re.search(r'data-testid="count-access_changes">2<', html), html
    assert "web shop" in html
