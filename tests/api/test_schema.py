"""The API's documentation: the OpenAPI 3.1 schema is valid and describes what the API does
(every endpoint fuzzed from it by schemathesis against a real server: no 5xx, no answer outside
the schema), and the reference page is drawn from it without any script or outside asset."""

from __future__ import annotations

import itertools
import re

import pytest
import schemathesis
import yaml
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema
from hypothesis import HealthCheck, settings
from schemathesis import checks

from accounts.models import Role
from tests import factories
from tests.api.helpers import api_key


def generated_schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


@pytest.mark.django_db
def test_schema_is_valid_openapi_3_1_served_at_its_address(client):
    response = client.get("/api/v1/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert schema["openapi"] == "3.1.0"
    validate_schema(schema)  # drf-spectacular's OpenAPI JSON-schema check
    assert {"/api/v1/orders", "/api/v1/events"} <= set(schema["paths"])
    assert schema["components"]["securitySchemes"]["apiKey"]["scheme"] == "bearer"


@pytest.mark.django_db
def test_reference_page_lists_every_operation_without_scripts(client):
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    for path, item in generated_schema()["paths"].items():
        for method in item:
            assert f"{method.upper()} {path}" in page
    assert "<script" not in page.split("</nav>", 1)[1]
    # No CDN: no address on the page names one (a random token may contain the letters "cdn").
    assert not re.search(r"//[^\s\"'<>]*cdn", page.lower())
    assert "script-src 'self'" in response["Content-Security-Policy"]


# --- fuzzing ---------------------------------------------------------------------------------

schema = schemathesis.openapi.from_dict(generated_schema())
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
]


@pytest.fixture
def fuzz_company(live_server):
    """A company with a Manager key and a few orders in different states; the fuzzer's path
    ids are made to hit them every other example, so it reaches past the 404."""
    acme = factories.CompanyFactory(name="Acme Corp", slug="acme")
    staff, manager = factories.user(Role.STAFF, acme), factories.user(Role.MANAGER, acme)
    orders = [
        factories.place(staff),
        factories.advance(factories.place(staff), "submitted", staff=staff, manager=manager),
        factories.advance(factories.place(staff), "in_fulfilment", staff=staff, manager=manager),
    ]
    return {
        "url": live_server.url,
        "key": api_key(acme, Role.MANAGER, "fuzzer"),
        "ids": itertools.cycle([None, *(str(order.id) for order in orders)]),
    }


@schema.parametrize()
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
@pytest.mark.usefixtures("committed_db")
def test_every_endpoint_fuzzed_from_the_schema(case, fuzz_company):
    order_id = next(fuzz_company["ids"])
    if order_id and "order_id" in (case.path_parameters or {}):
        case.path_parameters["order_id"] = order_id
    case.call_and_validate(
        base_url=fuzz_company["url"],
        headers={"Authorization": f"Bearer {fuzz_company['key']}"},
        checks=CHECKS,
    )
