"""Who may open and do what, in one table; and no page ever shows another company's orders."""

import re

import pytest

from events.models import Event
from tests import factories
from tests.factories import log_in

pytestmark = pytest.mark.django_db

ROLES = ("Staff", "Manager", "Auditor", "Ops")

# The whole access policy of the pages. POSTs that succeed redirect (302 after a form, 303 after
# an action); a role that may not act gets 403 and the log does not change.
EXPECTED = {
    #                   Staff Manager Auditor Ops
    "dashboard":        (200, 200,    200,    200),
    "list":             (200, 200,    200,    200),
    "new GET":          (200, 200,    403,    403),
    "new POST":         (302, 302,    403,    403),
    "detail":           (200, 200,    200,    200),
    "edit GET (draft)": (200, 200,    403,    403),
    "transition POST":  (303, 303,    403,    403),
    "note POST":        (303, 303,    403,    403),
    "history":          (200, 200,    200,    200),
    "audit":            (403, 200,    200,    200),
    "erase POST":       (403, 302,    403,    403),
    "erasures":         (403, 200,    200,    200),
}  # fmt: skip

NEW_ORDER = {
    "customer_name": "Initech",
    "lines-TOTAL_FORMS": "1",
    "lines-INITIAL_FORMS": "0",
    "lines-0-sku": "A-1",
    "lines-0-quantity": "1",
    "lines-0-unit_price": "1.00",
}

REQUESTS = {
    "dashboard": lambda client, order: client.get("/"),
    "list": lambda client, order: client.get("/orders/"),
    "new GET": lambda client, order: client.get("/orders/new/"),
    "new POST": lambda client, order: client.post("/orders/new/", NEW_ORDER),
    "detail": lambda client, order: client.get(f"/orders/{order.id}/"),
    "edit GET (draft)": lambda client, order: client.get(f"/orders/{order.id}/edit/"),
    "transition POST": lambda client, order: client.post(
        f"/orders/{order.id}/transitions/submit/", {"version": order.version}
    ),
    "note POST": lambda client, order: client.post(
        f"/orders/{order.id}/notes/", {"version": order.version, "text": "Hello"}
    ),
    "history": lambda client, order: client.get(f"/orders/{order.id}/history/"),
    "audit": lambda client, order: client.get("/audit/"),
    "erase POST": lambda client, order: client.post(
        f"/orders/{order.id}/erase/", {"reason": "Art. 17 request"}
    ),
    "erasures": lambda client, order: client.get("/audit/erasures/"),
}

CASES = [
    pytest.param(action, role, status, id=f"{role}-{action}")
    for action, statuses in EXPECTED.items()
    for role, status in zip(ROLES, statuses, strict=True)
]


def test_the_table_covers_every_page_and_action_for_every_role():
    assert set(EXPECTED) == set(REQUESTS)
    assert len(CASES) == len(EXPECTED) * len(ROLES) == 48


@pytest.mark.parametrize(("action", "role", "status"), CASES)
def test_each_role_gets_the_expected_status_on_each_page_and_action(
    client, acme, action, role, status
):
    order = factories.order_in_state("draft", acme)
    log_in(client, factories.user(role, acme))
    events_before = Event.objects.count()

    response = REQUESTS[action](client, order)

    assert response.status_code == status
    wrote = Event.objects.count() - events_before
    assert wrote == (1 if status in (302, 303) else 0)


@pytest.mark.parametrize("action", list(REQUESTS))
def test_an_anonymous_visitor_is_sent_to_log_in_and_changes_nothing(client, acme, action):
    order = factories.order_in_state("draft", acme)

    response = REQUESTS[action](client, order)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")
    assert Event.objects.count() == 1


# --- tenant isolation -------------------------------------------------------------------------


@pytest.fixture
def globex_order(globex_staff):
    return factories.place(globex_staff, customer="Globex Customer")


FOREIGN_REQUESTS = {
    "detail": lambda client, o: client.get(f"/orders/{o.id}/"),
    "edit GET": lambda client, o: client.get(f"/orders/{o.id}/edit/"),
    "edit POST": lambda client, o: client.post(
        f"/orders/{o.id}/edit/", {**NEW_ORDER, "version": o.version}
    ),
    "transition POST": lambda client, o: client.post(
        f"/orders/{o.id}/transitions/submit/", {"version": o.version}
    ),
    "transition POST with data": lambda client, o: client.post(
        f"/orders/{o.id}/transitions/cancel/", {"version": o.version, "reason": "x"}
    ),
    "note POST": lambda client, o: client.post(
        f"/orders/{o.id}/notes/", {"version": o.version, "text": "peek"}
    ),
    "history": lambda client, o: client.get(f"/orders/{o.id}/history/"),
    "history as_of": lambda client, o: client.get(
        f"/orders/{o.id}/history/", {"as_of": "2025-01-01T00:00"}
    ),
    "history csv": lambda client, o: client.get(f"/orders/{o.id}/history/", {"format": "csv"}),
}


@pytest.mark.parametrize("action", list(FOREIGN_REQUESTS))
def test_another_companys_order_is_not_found_on_every_order_url(
    client, manager, globex_order, action
):
    log_in(client, manager)
    events_before = Event.objects.count()

    response = FOREIGN_REQUESTS[action](client, globex_order)

    assert response.status_code == 404
    assert Event.objects.count() == events_before
    assert globex_order.number.encode() not in response.content


def body(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode()


def results(content: str) -> str:
    """What a page found: its table rows or dashboard body (filters echo the search term)."""
    if "<tbody>" in content:
        return content[content.index("<tbody>") : content.index("</tbody>")]
    if 'id="dashboard-body"' in content:
        return content[content.index('id="dashboard-body"') :]
    return content  # a CSV export is all results


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/orders/",
        "/orders/?q=GLOBEX",
        "/orders/?q=Globex",
        "/orders/?state=draft&sort=-total",
        "/audit/",
        "/audit/?order=GLOBEX-000001",
        "/audit/?format=csv",
        "/audit/?format=csv&order=GLOBEX-000001",
    ],
)
def test_no_page_or_export_shows_another_companys_orders(
    client, manager, globex_order, globex_staff, url
):
    factories.place(globex_staff)  # Globex has two drafts, Acme one
    mine = factories.place(manager, customer="Acme Customer")
    log_in(client, manager)

    response = client.get(url)

    assert response.status_code == 200
    content = body(response)
    assert "GLOBEX-" not in results(content)
    assert str(globex_order.id) not in content
    assert globex_order.id.hex not in content
    assert "Globex Customer" not in content
    if url == "/":
        assert re.search(r'data-testid="count-draft">1<', content)
    if url in ("/orders/", "/audit/", "/audit/?format=csv"):
        assert mine.number in results(content) or str(mine.id) in content
