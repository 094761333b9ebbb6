"""Tenancy at the HTTP boundary: an Acme manager can neither see nor touch Globex's orders.

Every URL pattern of the project is read from the resolver (admin/ aside), so a new page is
covered the day it is added. Each is requested with GET (plain, and htmx asking for CSV), with a
POST that would be valid for any of our forms and with an empty one (refused data must not answer
before the object is looked up), against Globex orders in every state and a real Globex object of
every other kind a URL names (customer, SKU, user, API key, endpoint, erasure, import job, saved
view, parked delivery). The rule:
- a URL that names an object: 404 (or 405 when the method is not allowed), and nothing changes;
- any other URL: it may answer (200, 302, 400, 403, 405) but never shows anything of Globex.
"""

from __future__ import annotations

import itertools
import re

import pytest
from django.urls import URLResolver, get_resolver
from django.urls.resolvers import RoutePattern

from accounts import commands as access
from accounts.models import Company, User
from events.models import Event
from orders import commands
from tests import factories

from .conftest import (
    ACME_CUSTOMER,
    ACTION_DATA,
    GLOBEX_CUSTOMER,
    GLOBEX_MARKER,
    Records,
    body_of,
    order_post_data,
)

PARAMETER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")
# Django's admin is for superusers, who belong to no company; the API answers API keys, not
# sessions (401 here), and tests/api/test_api_access.py walks its every route with keys.
SKIPPED = ("admin/", "api/")
OBJECT_STATUSES = {404, 405}
# 422: a page of the user's own company (the company controls) refusing data meant for another form
PAGE_STATUSES = {200, 302, 400, 403, 405, 422}


def project_routes(resolver=None, prefix: str = ""):
    """Every route string of the project, includes resolved, e.g. 'orders/<uuid:order_id>/'."""
    for entry in (resolver or get_resolver()).url_patterns:
        route = prefix + str(entry.pattern)
        if route.startswith(SKIPPED):
            continue
        assert isinstance(entry.pattern, RoutePattern), (
            f"{route!r} is a regex route: teach this test how to fill it in"
        )
        if isinstance(entry, URLResolver):
            yield from project_routes(entry, route)
        else:
            yield route


ROUTES = sorted(set(project_routes()))


def names_an_order(route: str) -> bool:
    return any(m["converter"] == "uuid" for m in PARAMETER.finditer(route))


def candidates(converter: str | None, name: str, tenants) -> list[str]:
    """Values to put in for one URL parameter: real Globex ids, real action names."""
    if converter == "uuid" and name == "user_id":  # the team page's: Globex's users
        globex = next(iter(tenants.globex_orders.values())).company_id
        return [
            str(pk) for pk in User.objects.filter(company_id=globex).values_list("pk", flat=True)
        ]
    if converter == "uuid" and name in ("customer_id", "sku_id"):  # Globex's own records
        return globex_records(tenants)[name]
    if converter == "uuid" and name == "order_id":
        return [str(order.id) for order in tenants.globex_orders.values()]
    if converter == "uuid":  # an API key, endpoint, erasure, import job, saved view, parked item
        return [globex_object(tenants, name)]
    if converter == "slug" and name == "slug":  # a company's public sign-in URL: Globex's
        globex = next(iter(tenants.globex_orders.values())).company_id
        return list(Company.objects.filter(pk=globex).values_list("slug", flat=True))
    if name == "name":
        return list(commands.workflow_transitions())
    if converter in (None, "str", "slug", "path"):
        return ["x"]
    if converter == "int":
        return ["1"]
    pytest.fail(f"No test value for a <{converter}:{name}> parameter: add one to candidates()")


def globex_records(tenants) -> dict[str, list[str]]:
    """A Globex customer and SKU (made once, by Globex's users), by route parameter."""
    from customers.models import Customer, Sku
    from tests.customers.factories import customer, sku

    globex = next(iter(tenants.globex_orders.values())).company
    if not Customer.objects.filter(company=globex).exists():
        customer(factories.user("Staff", globex), GLOBEX_CUSTOMER)  # a secret: never shown
        sku(factories.user("Manager", globex), "GLOBEX-SKU")
    return {
        "customer_id": [
            str(pk) for pk in Customer.objects.filter(company=globex).values_list("pk", flat=True)
        ],
        "sku_id": [
            str(pk) for pk in Sku.objects.filter(company=globex).values_list("pk", flat=True)
        ],
    }


def globex_object(tenants, name: str) -> str:
    """One Globex object of the kind the URL parameter `name` names (made once, by Globex's own
    people; its names carry GLOBEX_MARKER, a secret)."""
    made = tenants.objects
    if name not in made:
        if "records" not in made:
            globex = next(iter(tenants.globex_orders.values())).company
            made["records"] = Records(globex, marker=GLOBEX_MARKER)
        made[name] = made["records"].for_parameter(name, "")[0]
    return made[name]


def possible(order_id: str, action: str, tenants) -> bool:
    """Whether the FSM would allow `action` on this order: then only tenancy can stop it."""
    order = next(o for o in tenants.globex_orders.values() if str(o.id) == order_id)
    return action in {t.name for t in order.get_available_state_transitions()}


def urls_for(route: str, tenants) -> list[tuple[str, str]]:
    """(url, order id in it or '') for the combinations of parameter values worth trying.

    An action name is paired only with the orders whose state allows that action (every
    action is possible on some Globex order), which keeps the walk fast and every 404 honest.
    """
    parameters = list(PARAMETER.finditer(route))
    choices = [candidates(m["converter"], m["name"], tenants) for m in parameters]
    urls = []
    for values in itertools.product(*choices):
        filled = list(zip(parameters, values, strict=True))
        order_id = next((value for m, value in filled if m["converter"] == "uuid"), "")
        action = next((value for m, value in filled if m["name"] == "name"), "")
        if order_id and action and not possible(order_id, action, tenants):
            continue
        url = route
        for match, value in filled:
            url = url.replace(match.group(0), value, 1)
        urls.append(("/" + url, order_id))
    return urls


def post_data_for(order) -> dict:
    """A POST every form of ours would accept for this order: only tenancy may stop it."""
    data = order_post_data(version=order.version if order else 1, text="Psst")
    for action_data in ACTION_DATA.values():
        data.update(action_data)
    data["role"] = "Manager"  # the team page's role form
    return data


def globex_state(tenants):
    globex_ids = [order.id for order in tenants.globex_orders.values()]
    return (
        Event.objects.filter(stream_id__in=globex_ids).count(),
        sorted(Event.objects.filter(stream_id__in=globex_ids).values_list("hash", flat=True)),
    )


def test_the_walk_finds_the_order_pages_and_leaves_out_the_admin():
    assert "orders/<uuid:order_id>/transitions/<str:name>/" in ROUTES
    assert "orders/<uuid:order_id>/history/" in ROUTES
    assert "audit/" in ROUTES
    assert "accounts/login/" in ROUTES
    assert not any(route.startswith("admin/") for route in ROUTES)


@pytest.mark.django_db
@pytest.mark.parametrize("route", ROUTES)
def test_no_url_shows_or_changes_another_companys_orders(route, tenants, manager, logged_in):
    by_id = {str(order.id): order for order in tenants.globex_orders.values()}
    before = globex_state(tenants)
    client = logged_in(manager)

    for url, order_id in urls_for(route, tenants):
        order = by_id.get(order_id)
        requests = [
            ("GET", lambda c, u=url: c.get(u)),
            ("GET csv htmx", lambda c, u=url: c.get(u, {"format": "csv"}, HTTP_HX_REQUEST="true")),
            ("POST", lambda c, u=url, o=order: c.post(u, post_data_for(o))),
            ("POST empty", lambda c, u=url: c.post(u, {})),  # a form refused before the look-up?
        ]
        if route.endswith("/print/"):  # the confirmation is the default document
            requests.append(("GET slip", lambda c, u=url: c.get(u, {"document": "packing-slip"})))
        for label, send in requests:
            if "_auth_user_id" not in client.session:  # the walk also POSTs to logout
                factories.log_in(client, manager)
            response = send(client)
            allowed = OBJECT_STATUSES if order_id else PAGE_STATUSES
            if "<slug:slug>" in route:  # a company without single sign-on has no such page
                allowed = PAGE_STATUSES | {404}
            assert response.status_code in allowed, f"{label} {url}: {response.status_code}"
            shown = body_of(response) + " ".join(response.headers.values())
            leaked = [secret for secret in tenants.globex_secrets if secret in shown]
            assert not leaked, f"{label} {url} shows Globex data: {leaked}"

    assert globex_state(tenants) == before


@pytest.mark.django_db
def test_the_walk_tries_every_action_and_every_foreign_order(tenants):
    # Guard for the walk above: pairing actions with states must not drop an action or an order.
    order_routes = [route for route in ROUTES if names_an_order(route)]
    tried = [url for route in order_routes for url, _ in urls_for(route, tenants)]
    for action in commands.workflow_transitions():
        assert any(f"/transitions/{action}/" in url for url in tried), action
    for order in tenants.globex_orders.values():
        assert any(f"/orders/{order.id}/history/" == url for url in tried)
    assert len(order_routes) >= 5, order_routes


@pytest.mark.django_db
def test_the_walk_names_a_real_globex_object_of_each_other_kind(tenants):
    # Guard for the walk above: an id of no object at all would be a 404 whatever the code does.
    from accounts.models import ApiKey
    from orders.models import ImportJob, SavedView
    from outbox.models import OutboxItem
    from webhooks.models import WebhookEndpoint

    kinds = {
        "key_id": ApiKey,
        "endpoint_id": WebhookEndpoint,
        "event_id": Event,
        "job_id": ImportJob,
        "view_id": SavedView,
        "item_id": OutboxItem,
    }
    named = {m["name"] for route in ROUTES for m in PARAMETER.finditer(route)}
    assert set(kinds) <= named
    globex = next(iter(tenants.globex_orders.values())).company_id
    for name, model in kinds.items():
        [value] = candidates("uuid", name, tenants)
        key = "id" if model is Event else "pk"  # an event's pk is its position, its id the UUID
        assert model.objects.filter(**{key: value}, company_id=globex).exists(), name
    others = named - set(kinds) - {"order_id", "user_id", "customer_id", "sku_id"}
    assert not {name for name in others if name.endswith("_id")}, "teach candidates() this kind"


# --- lists and exports with data in two companies -------------------------------------------


@pytest.fixture
def acme_client(two_companies, manager, logged_in):
    return logged_in(manager)


def assert_acme_only(text: str, tenants, *, echoed: tuple[str, ...] = ()) -> None:
    """No Globex secret in `text`, apart from the user's own input echoed back (form, links)."""
    for value in echoed:
        text = text.replace(value, "")
    leaked = [secret for secret in tenants.globex_secrets if secret in text]
    assert not leaked, f"Globex data shown to Acme: {leaked}"


@pytest.mark.django_db
@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx partial"])
def test_the_order_list_shows_only_the_users_company(acme_client, two_companies, htmx):
    response = acme_client.get("/orders/", **({"HTTP_HX_REQUEST": "true"} if htmx else {}))

    body = body_of(response)
    assert response.status_code == 200
    assert "2 orders" in body
    for order in two_companies.acme_orders.values():
        assert order.number in body
    assert_acme_only(body, two_companies)


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["GLOBEX", "GLOBEX-000003", GLOBEX_CUSTOMER])
def test_searching_for_another_companys_orders_finds_nothing_of_theirs(
    acme_client, two_companies, query
):
    response = acme_client.get("/orders/", {"q": query})

    body = body_of(response)
    assert response.status_code == 200
    assert "0 orders" in body
    assert_acme_only(body, two_companies, echoed=(query,))


@pytest.mark.django_db
def test_the_dashboard_counts_only_the_users_company(acme_client, two_companies):
    response = acme_client.get("/")

    body = body_of(response)
    counts = dict(re.findall(r'data-testid="count-(\w+)">(\d+)<', body))
    assert counts == {
        "draft": "1",
        "submitted": "1",
        "approved": "0",
        "in_fulfilment": "0",
        "shipped": "0",
        "delivered": "0",
        "on_hold": "0",
        "cancelled": "0",
    }
    assert_acme_only(body, two_companies)


@pytest.mark.django_db
@pytest.mark.parametrize("export", [False, True], ids=["page", "csv"])
def test_an_orders_history_shows_only_its_own_events(acme_client, two_companies, export):
    order = two_companies.acme_orders["submitted"]

    response = acme_client.get(f"/orders/{order.id}/history/", {"format": "csv"} if export else {})

    body = body_of(response)
    assert response.status_code == 200
    assert ACME_CUSTOMER in body
    if export:
        assert len(body.strip().splitlines()) == 1 + order.version  # header + its events
    assert_acme_only(body, two_companies)


@pytest.mark.django_db
@pytest.mark.parametrize("export", [False, True], ids=["page", "csv"])
def test_the_audit_log_holds_only_the_users_companys_events(acme_client, two_companies, export):
    acme_ids = {str(order.id) for order in two_companies.acme_orders.values()}
    acme_events = Event.objects.filter(stream_id__in=acme_ids).count()

    response = acme_client.get("/audit/", {"format": "csv"} if export else {})

    body = body_of(response)
    assert response.status_code == 200
    assert_acme_only(body, two_companies)
    if export:
        rows = body.strip().splitlines()[1:]
        assert len(rows) == acme_events
        assert all(row.split(",")[5] in acme_ids for row in rows)  # the stream_id column
    else:
        assert body.count("<tr>") - 1 == acme_events  # minus the header row


@pytest.mark.django_db
@pytest.mark.parametrize(
    "filters",
    [{"actor": "globex.staff"}, {"order": "GLOBEX-000001"}, {"order": "globex-000002"}],
    ids=["their actor", "their order number", "their order number, lower case"],
)
@pytest.mark.parametrize("export", [False, True], ids=["page", "csv"])
def test_audit_filters_naming_another_companys_data_find_nothing(
    acme_client, two_companies, filters, export
):
    response = acme_client.get("/audit/", {**filters, **({"format": "csv"} if export else {})})

    body = body_of(response)
    assert response.status_code == 200
    if export:
        assert len(body.strip().splitlines()) == 1  # the header only
    else:
        assert "No events match." in body
    assert_acme_only(body, two_companies, echoed=tuple(filters.values()))


# --- stream ids named in forms (issue #24 §1) ----------------------------------------------


def stream_owners_agree() -> bool:
    owners: dict = {}
    rows = Event.objects.values_list("stream_id", "stream_type", "company_id")
    return all(owners.setdefault(sid, (kind, co)) == (kind, co) for sid, kind, co in rows)


@pytest.mark.django_db
@pytest.mark.parametrize("route", ROUTES)
def test_no_post_can_append_to_a_stream_of_another_type_or_company(
    route, two_companies, staff, manager, globex_staff, logged_in
):
    """Every URL, with our own orders and users in its parameters, POSTed a form whose id-like
    fields name a colleague, the company, another company's user and company and order: never
    a 500, and every stream keeps one type and one company (what a later append would break)."""
    acme_draft = two_companies.acme_orders["draft"]
    named = [staff.pk, staff.company_id, globex_staff.pk, globex_staff.company_id]
    named.append(two_companies.globex_orders["draft"].id)
    client = logged_in(manager)
    parameters = list(PARAMETER.finditer(route))
    url = "/" + route
    for match in parameters:
        own = str(staff.pk) if match["name"] == "user_id" else str(acme_draft.id)
        value = {"uuid": own, "int": "1"}.get(match["converter"], "x")
        if match["name"] == "name":
            value = "submit"
        url = url.replace(match.group(0), value, 1)

    for stream_id in named:
        if "_auth_user_id" not in client.session:
            factories.log_in(client, manager)
        data = post_data_for(acme_draft)
        data.update(order_id=str(stream_id), stream_id=str(stream_id), id=str(stream_id))
        response = client.post(url, data)
        assert response.status_code < 500, f"POST {url} naming {stream_id}"
        acme_draft.refresh_from_db()

    access.change_role(actor=manager, user_id=staff.pk, role="Auditor")  # the user's stream
    assert stream_owners_agree()
