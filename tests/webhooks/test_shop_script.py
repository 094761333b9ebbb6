"""The issue's "done when": a shop script that knows only `/api/v1/schema/` creates an order
with an idempotency key, moves it with If-Match, and receives every event of it by webhook, in
order, signed. A real server (live_server), a real worker process, a real receiver process;
the script speaks HTTP with `requests` and finds every address by its operationId."""

from __future__ import annotations

import pytest
import requests

from accounts.models import Role
from tests.api.helpers import api_key
from tests.outbox.processes import start_worker, stop
from tests.webhooks.test_delivery_processes import FAST_RETRIES

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("committed_db"),
    pytest.mark.slow,
]


class ShopScript:
    def __init__(self, base: str, key: str):
        self.base, self.session = base, requests.Session()
        self.session.headers["Authorization"] = f"Bearer {key}"
        schema = requests.get(f"{base}/api/v1/schema/?format=json", timeout=10).json()
        self.paths = {
            operation["operationId"]: (method.upper(), path)
            for path, item in schema["paths"].items()
            for method, operation in item.items()
        }

    def call(self, operation_id: str, *, body=None, headers=None, **path_values):
        method, path = self.paths[operation_id]
        url = self.base + path.format(**path_values)
        return self.session.request(method, url, json=body, headers=headers or {}, timeout=10)


def test_a_shop_script_written_from_the_schema(live_server, acme, receiver):
    shop = ShopScript(live_server.url, api_key(acme, Role.STAFF, "shop"))
    erp = ShopScript(live_server.url, api_key(acme, Role.MANAGER, "erp"))
    hook = erp.call("webhooks_create", body={"url": receiver.url, "event_types": []}).json()
    receiver.secret = hook["secret"]
    receiver.start()
    worker = start_worker(FAST_RETRIES)
    try:
        body = {
            "customer_name": "Initech",
            "lines": [{"sku": "A-1", "description": "Widget", "quantity": 2, "unit_price": 9.99}],
        }
        created = shop.call("orders_create", body=body, headers={"Idempotency-Key": "cart-77"})
        again = shop.call("orders_create", body=body, headers={"Idempotency-Key": "cart-77"})
        assert (created.status_code, again.status_code) == (201, 200)
        order_id = created.json()["id"]
        assert again.json()["id"] == order_id
        etag = created.headers["ETag"]
        for client, name, data in [
            (shop, "submit", {}),
            (erp, "approve", {}),
            (shop, "start_fulfilment", {}),
            (shop, "ship", {"carrier": "DHL", "tracking_number": "JD014600"}),
        ]:
            moved = client.call(
                "orders_action", order_id=order_id, name=name, body=data, headers={"If-Match": etag}
            )
            assert moved.status_code == 200, moved.text
            etag = moved.headers["ETag"]
        stale = shop.call(
            "orders_action", order_id=order_id, name="deliver", headers={"If-Match": '"2"'}
        )
        assert stale.status_code == 412 and stale.json()["current_version"] == 5
        history = shop.call("orders_history", order_id=order_id).json()["entries"]
        ids = {
            e["id"] for e in shop.call("events_list").json()["events"] if e["order_id"] == order_id
        }
        receiver.wait_for_ids(ids)
    finally:
        stop(worker)
    mine = [e for e in receiver.entries() if e["id"] in ids]
    assert all(e["verified"] for e in mine)
    assert [e["type"] for e in mine] == [
        "OrderPlaced",
        "OrderSubmitted",
        "OrderApproved",
        "OrderFulfilmentStarted",
        "OrderShipped",
    ]
    assert [e["number"] for e in mine] == [e["number"] for e in history]
