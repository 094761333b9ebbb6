"""Tenancy and roles at the API, walking every route of /api/v1/ from the resolver (as the
security tests walk every page): another company's order is a 404 whatever the method; a key
whose role may not is a 403; nothing changes either way."""

from __future__ import annotations

import re

import pytest
from django.urls import get_resolver

from accounts import commands
from accounts.models import ApiKey, Role
from events.models import Event
from tests import factories
from tests.api.helpers import ApiClient, api_key, order_body
from webhooks import commands as webhook_commands

pytestmark = pytest.mark.django_db

PARAMETER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")
DOCUMENTS = {"schema", "reference", "not_found"}  # public documentation; any other address


def api_routes():
    """(name, route, view class) of every /api/v1/ endpoint but the documentation."""
    for api in [r for r in get_resolver().url_patterns if str(r.pattern) == "api/v1/"]:
        for pattern in api.url_patterns:
            if pattern.name not in DOCUMENTS:
                route = "/api/v1/" + str(pattern.pattern)
                yield pattern.name, route, pattern.callback.view_class


ROUTES = list(api_routes())


def methods(view_class) -> list[str]:
    return [m for m in ("get", "post", "put", "patch", "delete") if hasattr(view_class, m)]


def fill(route: str, ids: dict) -> str:
    values = {"name": "submit", **{name: str(value) for name, value in ids.items()}}
    return PARAMETER.sub(lambda m: values[m["name"]], route)


def send(client: ApiClient, method: str, url: str):
    if method == "get":
        return client.get(url)
    # A body every endpoint parses (extra fields are ignored): what is refused is the access.
    return client.send(method.upper(), url, {**order_body(), "text": "hi"}, If_Match='"1"')


def test_every_api_route_is_walked():
    assert {name for name, _, _ in ROUTES} >= {
        "orders",
        "order",
        "order_action",
        "order_notes",
        "order_history",
        "events",
        "endpoints",
        "endpoint",
        "replay",
        "deliveries",
        "customers",
        "customer",
        "skus",
        "sku",
    }


def objects_of(company) -> dict:
    """An order, a webhook endpoint, a customer and a SKU of `company`, as their users make
    them: {route parameter: id}."""
    from tests.customers.factories import customer, sku

    staff = factories.user(Role.STAFF, company)
    order = factories.place(staff)
    manager = factories.user(Role.MANAGER, company)
    endpoint = webhook_commands.create_endpoint(actor=manager, url="http://127.0.0.1:9/hook")
    return {
        "order_id": order.id,
        "endpoint_id": endpoint.endpoint.pk,
        "customer_id": customer(staff).pk,
        "sku_id": sku(manager).pk,
    }


def names_an_object(route: str) -> bool:
    return "<uuid:" in route


@pytest.mark.parametrize(("name", "route", "view_class"), ROUTES, ids=[r[0] for r in ROUTES])
def test_another_companys_order_is_404_on_every_method(name, route, view_class, acme, globex):
    ids = objects_of(globex)
    manager = ApiClient(api_key(acme, Role.MANAGER))
    before = Event.objects.count()
    if not names_an_object(route):
        response = manager.get(route)
        assert response.status_code == 200
        for value in ids.values():
            assert str(value) not in response.content.decode()
        return
    for method in methods(view_class):
        response = send(manager, method, fill(route, ids))
        assert response.status_code == 404, (method, route, response.content)
        assert response["Content-Type"] == "application/problem+json"
    assert Event.objects.count() == before


@pytest.mark.parametrize(("name", "route", "view_class"), ROUTES, ids=[r[0] for r in ROUTES])
def test_a_key_without_the_permission_is_403_and_changes_nothing(name, route, view_class, acme):
    ids = objects_of(acme)
    auditor = ApiClient(api_key(acme, Role.AUDITOR))  # may read, may not write
    nobody_secret = api_key(acme, Role.STAFF, "stripped")
    ApiKey.objects.get(name="stripped").user.groups.clear()  # may do nothing at all
    nobody = ApiClient(nobody_secret)
    before = Event.objects.count()
    url = fill(route, ids)
    managers_only = url.startswith("/api/v1/webhooks")
    for method in methods(view_class):
        response = send(nobody, method, url)
        assert response.status_code == 403, (method, url, response.content)
        auditor_status = send(auditor, method, url).status_code
        reads = method == "get" and not managers_only
        assert auditor_status == (200 if reads else 403), (method, url)
    assert Event.objects.count() == before


def test_revoked_key_is_refused_at_once(acme, manager):
    secret = api_key(acme, Role.STAFF, "old")
    client = ApiClient(secret)
    assert client.get("/api/v1/orders").status_code == 200
    commands.revoke_api_key(actor=manager, key_id=ApiKey.objects.get(name="old").pk)
    assert client.get("/api/v1/orders").status_code == 401
