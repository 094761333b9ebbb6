"""The order API: what a shop integration does, end to end, through the real commands."""

from __future__ import annotations

import pytest

from accounts.models import Role
from api.throttling import ApiKeyRateThrottle
from events.models import Event
from tests import factories
from tests.api.helpers import ApiClient, api_key, order_body

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(acme):
    return ApiClient(api_key(acme, Role.STAFF, "web shop"))


@pytest.fixture
def boss(acme):
    return ApiClient(api_key(acme, Role.MANAGER, "erp"))


def create(client, body=None, **headers):
    response = client.post("/api/v1/orders", body or order_body(), **headers)
    assert response.status_code == 201, response.content
    return response


def test_created_order_is_signed_by_the_key_in_the_log(shop):
    response = create(shop)
    order = response.json()
    assert response["ETag"] == '"1"'
    assert order["state"] == "draft" and order["total"] == "29.97"
    assert sorted(a["name"] for a in order["actions"]) == ["cancel", "submit"]
    event = Event.objects.get(stream_id=order["id"])
    assert event.metadata["actor_username"] == "web shop (API key)"


def test_same_idempotency_key_and_body_give_the_same_order(shop):
    first = create(shop, **{"Idempotency-Key": "shop-42"})
    again = shop.post("/api/v1/orders", order_body(), **{"Idempotency-Key": "shop-42"})
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert again["Idempotent-Replayed"] == "true"
    assert Event.objects.filter(event_type="OrderPlaced").count() == 1


def test_same_idempotency_key_with_another_body_is_422(shop):
    create(shop, **{"Idempotency-Key": "shop-43"})
    other = shop.post("/api/v1/orders", order_body("Globex"), **{"Idempotency-Key": "shop-43"})
    assert other.status_code == 422
    assert other["Content-Type"] == "application/problem+json"
    assert "shop-43" in other.json()["detail"]


def test_invalid_order_gets_the_pages_words(shop):
    body = order_body()
    body["customer_name"] = "  "
    response = shop.post("/api/v1/orders", body)
    assert response.status_code == 422
    problem = response.json()
    assert problem["detail"] == "Customer name is required."
    assert problem["errors"] == {"customer_name": ["Customer name is required."]}


def test_changes_need_if_match_and_a_stale_one_names_who_changed_it(shop, boss):
    order = create(shop).json()
    url = f"/api/v1/orders/{order['id']}/actions/submit"
    missing = shop.post(url)
    assert missing.status_code == 428
    assert shop.post(url, If_Match='"1"').status_code == 200
    approved = boss.post(f"/api/v1/orders/{order['id']}/actions/approve", If_Match='"2"')
    assert approved.status_code == 200 and approved["ETag"] == '"3"'
    stale = shop.post(f"/api/v1/orders/{order['id']}/notes", {"text": "hi"}, If_Match='"2"')
    assert stale.status_code == 412
    problem = stale.json()
    assert problem["current_version"] == 3
    assert problem["changed_by"] == "erp (API key)"
    assert "approved" in problem["detail"]


def test_workflow_through_the_api_to_delivered(shop, boss):
    order_id = create(shop).json()["id"]
    steps = [
        (shop, "submit", {}),
        (boss, "approve", {}),
        (shop, "start_fulfilment", {}),
        (shop, "ship", {"carrier": "DHL", "tracking_number": "JD0001"}),
        (shop, "deliver", {}),
    ]
    for version, (client, name, body) in enumerate(steps, start=1):
        response = client.post(
            f"/api/v1/orders/{order_id}/actions/{name}", body, If_Match=f'"{version}"'
        )
        assert response.status_code == 200, (name, response.content)
    detail = shop.get(f"/api/v1/orders/{order_id}").json()
    assert detail["state"] == "delivered" and detail["tracking_number"] == "JD0001"
    history = shop.get(f"/api/v1/orders/{order_id}/history").json()["entries"]
    assert [e["label"] for e in history][:2] == ["Order placed", "Submitted for approval"]
    assert [e["number"] for e in history] == sorted(e["number"] for e in history)


def test_action_needing_a_reason_says_so_in_the_pages_words(shop):
    order_id = create(shop).json()["id"]
    response = shop.post(f"/api/v1/orders/{order_id}/actions/cancel", {}, If_Match='"1"')
    assert response.status_code == 422
    assert response.json()["detail"] == "A reason is required."


def test_unknown_action_is_404(shop):
    order_id = create(shop).json()["id"]
    response = shop.post(f"/api/v1/orders/{order_id}/actions/explode", {}, If_Match='"1"')
    assert response.status_code == 404
    assert response.json()["detail"] == "There is no action called 'explode'."


def test_draft_edit_replaces_details_and_lines(shop):
    order_id = create(shop).json()["id"]
    body = order_body("Initrode", lines=1)
    response = shop.put(f"/api/v1/orders/{order_id}", body, If_Match='"1"')
    assert response.status_code == 200
    assert response.json()["customer_name"] == "Initrode"
    assert response.json()["line_count"] == 1


def test_list_uses_the_list_pages_filters_sort_and_cursor(shop):
    for name in ("Alpha", "Bravo", "Charlie"):
        create(shop, order_body(name))
    page = shop.get("/api/v1/orders", sort="customer", limit=2).json()
    assert [r["customer_name"] for r in page["results"]] == ["Alpha", "Bravo"]
    rest = shop.client.get(page["next"], headers=shop.headers).json()
    assert [r["customer_name"] for r in rest["results"]] == ["Charlie"]
    found = shop.get("/api/v1/orders", q="brav").json()["results"]
    assert [r["customer_name"] for r in found] == ["Bravo"]
    bad = shop.get("/api/v1/orders", placed_after="yesterday")
    assert bad.status_code == 400 and "placed_after" in bad.json()["errors"]


def test_mine_lists_the_orders_the_key_placed(shop, staff):
    """`mine=true` (the list page's "my orders") answers the key's own orders, not a 500."""
    factories.place(staff, customer="Placed by a person")
    create(shop, order_body("Placed by the key"))
    page = shop.get("/api/v1/orders", mine="true")
    assert page.status_code == 200, page.content
    assert [r["customer_name"] for r in page.json()["results"]] == ["Placed by the key"]
    everyone = shop.get("/api/v1/orders", mine="false").json()["results"]
    assert len(everyone) == 2


def test_event_feed_is_the_companys_events_in_order_without_gaps(shop, acme, globex):
    ApiClient(api_key(globex, Role.STAFF)).post("/api/v1/orders", order_body())
    create(shop)
    create(shop)
    page = shop.get("/api/v1/events", after=0, limit=500).json()
    numbers = [e["number"] for e in page["events"]]
    assert numbers == list(range(1, len(numbers) + 1)) and page["head"] == numbers[-1]
    assert {e["type"] for e in page["events"]} == {"ApiKeyCreated", "OrderPlaced"}
    key_event = page["events"][0]
    assert key_event["data"] == {}  # Staff may not read the access log's details
    later = shop.get("/api/v1/events", after=numbers[-2]).json()["events"]
    assert [e["number"] for e in later] == [numbers[-1]]


def test_requests_without_a_valid_key_are_401(acme):
    response = ApiClient("llk_wrong").get("/api/v1/orders")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert ApiClient(None).get("/api/v1/orders").status_code == 401


def test_throttled_key_gets_429_with_retry_after(shop, acme, monkeypatch):
    monkeypatch.setattr(ApiKeyRateThrottle, "THROTTLE_RATES", {"api_key": "2/minute"})
    codes = [shop.get("/api/v1/orders").status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    response = shop.get("/api/v1/orders")
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert response.json()["status"] == 429
    other = ApiClient(api_key(acme, Role.STAFF, "another"))
    assert other.get("/api/v1/orders").status_code == 200  # per key, not per address


def act(client, order_id, name, version, body=None):
    return client.post(
        f"/api/v1/orders/{order_id}/actions/{name}", body or {}, If_Match=f'"{version}"'
    )


def test_a_key_that_changed_an_order_cannot_approve_it_four_eyes(shop, boss):
    """QA, session 4: a key's user was reloaded under another name inside the command, so the
    four-eyes check compared two different names for the same actor."""
    order_id = create(shop).json()["id"]
    changed = boss.put(f"/api/v1/orders/{order_id}", order_body("Initech AG"), If_Match='"1"')
    assert changed.status_code == 200, changed.content
    assert act(boss, order_id, "submit", 2).status_code == 200

    refused = act(boss, order_id, "approve", 3)

    assert refused.status_code == 403, refused.content
    assert "four eyes" in refused.json()["detail"]
    assert Event.objects.filter(stream_id=order_id).last().metadata["actor_username"] == (
        "erp (API key)"
    )


def test_one_key_cannot_give_both_approvals_of_a_two_manager_order(acme, shop, boss, manager):
    from decimal import Decimal

    from orders import commands
    from orders.events import PolicySettings

    limits = PolicySettings(staff_limit=Decimal("100.00"), two_manager_limit=Decimal("1000.00"))
    commands.change_policy(actor=manager, expected_version=0, settings=limits)
    order_id = create(shop, order_body(lines=1) | {"lines": [big_line()]}).json()["id"]
    assert act(shop, order_id, "submit", 1).status_code == 200
    assert act(boss, order_id, "approve", 2).status_code == 200  # the first of two

    again = act(boss, order_id, "approve", 3)

    assert again.status_code == 403, again.content
    assert shop.get(f"/api/v1/orders/{order_id}").json()["state"] == "submitted"


def big_line() -> dict:
    return {"sku": "BIG-1", "description": "Press", "quantity": 1, "unit_price": "5000.00"}


@pytest.mark.parametrize("cursor", ["cD0xOTk5", "cD0A", "bz1hYmM="])
def test_a_cursor_the_list_never_gave_out_is_a_400(shop, cursor):
    """QA, session 4: "p=1999" (base64) reached the date filter and answered 500."""
    create(shop)
    response = shop.get("/api/v1/orders", cursor=cursor)
    assert response.status_code == 400, response.content
    assert "cursor" in response.json()["errors"]


@pytest.mark.parametrize("limit", ["-1", "0", "abc", "201", "1.5"])
def test_a_page_size_out_of_range_is_a_400_not_another_size(shop, limit):
    """QA, session 4: `limit=-1|0|abc` silently gave 50 orders (the feed answers 400)."""
    response = shop.get("/api/v1/orders", limit=limit)
    assert response.status_code == 400, response.content
    assert "limit" in response.json()["errors"]


def test_a_page_size_in_range_is_kept(shop):
    for _ in range(3):
        create(shop)
    assert len(shop.get("/api/v1/orders", limit="2").json()["results"]) == 2
