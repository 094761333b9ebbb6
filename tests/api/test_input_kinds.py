"""QA findings (session 4) at the API: every refusal is a problem+json, whatever refuses it.

- a body over DATA_UPLOAD_MAX_MEMORY_SIZE was Django's HTML 400; now 413 problem+json (and on
  the pages a 413 page that says what to do);
- text fields took any JSON scalar (`"reason": 5` was stored as "5"); numbers took Python's
  literals (`"1_000"`, cpython#84137): now 400 problems naming the field.
"""

import json

import pytest
from django.test import Client

from accounts.models import Role
from events.models import Event
from tests import factories
from tests.api.helpers import ApiClient, api_key, order_body
from tests.factories import log_in

pytestmark = pytest.mark.django_db

TOO_BIG = "x" * 3_000_000  # over Django's 2.5 MB DATA_UPLOAD_MAX_MEMORY_SIZE


@pytest.fixture
def api(acme):
    return ApiClient(api_key(acme, Role.MANAGER.value))


def test_a_body_too_large_for_the_api_is_a_413_problem(api):
    body = order_body() | {"notes": TOO_BIG}
    before = Event.objects.count()

    response = api.post("/api/v1/orders", body)

    assert response.status_code == 413
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 413 and problem["title"] == "Content Too Large"
    assert "at most 2.5 MB" in problem["detail"]
    assert Event.objects.count() == before


def test_a_body_too_large_for_a_page_gets_a_page_saying_so(client, staff):
    log_in(client, staff)

    response = client.post("/orders/new/", {"customer_name": TOO_BIG})

    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/html")
    assert "at most 2.5 MB can be sent at once" in response.content.decode()


def test_a_body_too_large_for_the_webhooks_api_is_a_413_problem(api):
    response = api.post("/api/v1/webhooks", {"url": TOO_BIG})

    assert response.status_code == 413
    assert response["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize("reason", [5, 1.5, True, None, ["Wrong"], {"text": "Wrong"}])
def test_a_reason_that_is_not_text_is_a_400_problem_and_writes_nothing(api, acme, reason):
    order = factories.order_in_state("submitted", acme)
    before = Event.objects.count()

    response = api.post(
        f"/api/v1/orders/{order.id}/actions/reject",
        {"reason": reason},
        **{"If-Match": f'"{order.version}"'},
    )

    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert "reason" in response.json()["errors"]
    assert Event.objects.count() == before


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("customer_name", 42),
        ("sku", 7),
        ("quantity", "1_0"),
        ("quantity", 2.5),
        ("quantity", True),
        ("unit_price", "1_000"),
        ("unit_price", "1e3"),
        ("unit_price", False),
    ],
)
def test_order_fields_of_the_wrong_kind_are_400_problems(api, field, value):
    body = order_body(lines=1)
    if field == "customer_name":
        body[field] = value
    else:
        body["lines"][0][field] = value
    before = Event.objects.count()

    response = api.post("/api/v1/orders", body)

    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert Event.objects.count() == before


def test_numbers_as_a_person_writes_them_still_work(api):
    body = order_body(lines=1)
    body["lines"][0] |= {"quantity": "10", "unit_price": 9.5}

    response = api.post("/api/v1/orders", body)

    assert response.status_code == 201, response.content
    assert response.json()["total"] == "95.00"


def test_an_api_server_error_is_a_problem_not_a_page(acme, monkeypatch):
    from api import views

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(views.selectors, "order_summaries", broken)
    client = Client(raise_request_exception=False)
    headers = {"Authorization": f"Bearer {api_key(acme, Role.STAFF.value)}"}

    response = client.get("/api/v1/orders", headers=headers)

    assert response.status_code == 500
    assert response["Content-Type"] == "application/problem+json"
    assert json.loads(response.content)["detail"].startswith("Something went wrong")
