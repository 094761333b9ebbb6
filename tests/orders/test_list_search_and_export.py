"""Issue #19 §3-4: the list's search (reference, e-mail, SKU) and its CSV export."""

import csv
import io
import re
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection

from accounts.models import Role
from orders import commands
from orders.events import Line, OrderDetails
from projections.models import OrderSummary
from tests import factories
from tests.factories import log_in

pytestmark = pytest.mark.django_db

ROW_NUMBER = re.compile(r'<a href="/orders/[0-9a-f-]+/" class="mono">([^<]+)</a>')


@pytest.fixture
def company():
    return factories.CompanyFactory(slug="acme")


@pytest.fixture
def staff(company):
    return factories.user(Role.STAFF, company)


def place(staff, *, name="Initech", reference="", email="", skus=("SKU-1",), price="9.99"):
    details = OrderDetails(customer_name=name, customer_reference=reference, customer_email=email)
    lines = [
        Line(sku=sku, description="Item", quantity=1, unit_price=Decimal(price)) for sku in skus
    ]
    return commands.place_order(actor=staff, details=details, lines=lines)


def listed(client, query: str) -> list[str]:
    return ROW_NUMBER.findall(client.get(f"/orders/?{query}").content.decode())


@pytest.fixture
def catalogue(staff):
    return {
        "po": place(staff, name="Hooli", reference="PO-77812", skus=("BOLT-10",)),
        "mail": place(staff, name="Initrode", email="anna@initrode.example", skus=("NUT-4",)),
        "sku": place(staff, name="Globex", skus=("WASHER-2", "GEAR-XL-9")),
    }


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("PO-77812", ["po"]),
        ("77812", ["po"]),
        ("anna@initrode", ["mail"]),
        ("ANNA@", ["mail"]),
        ("gear-xl-9", ["sku"]),
        ("WASHER", ["sku"]),
        ("nothing-like-it", []),
    ],
)
def test_search_matches_reference_email_and_a_lines_sku(client, staff, catalogue, q, expected):
    log_in(client, staff)
    assert listed(client, f"q={q}") == [catalogue[key].number for key in expected]


def test_a_changed_order_is_found_by_its_new_sku_only(client, staff, catalogue):
    order = catalogue["sku"]
    commands.change_order(
        order.id,
        actor=staff,
        expected_version=order.version,
        details=OrderDetails(customer_name="Globex"),
        lines=[Line(sku="SPRING-5", description="x", quantity=1, unit_price=Decimal("1.00"))],
    )
    log_in(client, staff)
    assert listed(client, "q=SPRING-5") == [order.number]
    assert listed(client, "q=WASHER") == []


def test_the_migration_fills_the_search_column_as_the_projector_writes_them(staff, catalogue):
    """`projections/0011` fills `search_text` exactly as the projector does (0005's `skus`,
    which it replaces, can no longer run against today's table)."""
    order = catalogue["sku"]
    commands.change_order(
        order.id,
        actor=staff,
        expected_version=order.version,
        details=OrderDetails(customer_name="Die Ärzte GmbH", customer_reference="STRASSE 5"),
        lines=[Line(sku="Ü-1", description="Überweisung", quantity=1, unit_price=Decimal("1"))],
    )
    projected = set(OrderSummary.objects.values_list("id", "search_text"))
    assert (order.id, f"{order.number.lower()}\ndie ärzte gmbh\nstrasse 5\nü-1\nüberweisung") in (
        projected
    )
    OrderSummary.objects.update(search_text="")

    migration = __import__(
        "projections.migrations.0011_summary_search_text_casefolded", fromlist=["fill"]
    )
    migration.fill(apps, SimpleNamespace(connection=connection))  # it only reads the alias

    assert set(OrderSummary.objects.values_list("id", "search_text")) == projected


def read_csv(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


@pytest.mark.parametrize(
    "query", ["", "sort=-total", "sort=customer&state=draft", "q=acme-00001", "total_min=20"]
)
def test_the_export_is_exactly_the_filtered_sorted_list_over_all_pages(
    client, staff, settings, query
):
    settings.ORDERS_PER_PAGE = 4
    for i in range(11):
        place(staff, name=f"Customer {i % 3}", price=f"{5 + 3 * i}.25")
    log_in(client, staff)
    pages: list[str] = []
    for page in range(1, 5):  # a page past the last shows the last again: stop there
        rows = listed(client, f"{query}&page={page}")
        if not rows or rows[0] in pages:
            break
        pages += rows

    response = client.get(f"/orders/?{query}&format=csv")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = read_csv(response)
    assert rows[0][:5] == ["number", "customer", "state", "lines", "total"]
    assert [row[0] for row in rows[1:]] == pages


def test_the_export_has_the_tables_columns_and_the_reference_email_and_state_start(client, staff):
    order = place(staff, name="=HYPERLINK(1)", reference="PO-9", email="a@b.example", price="12.50")
    log_in(client, staff)

    header, row = read_csv(client.get("/orders/?format=csv"))

    summary = OrderSummary.objects.get(pk=order.id)
    assert dict(zip(header, row, strict=True)) == {
        "number": order.number,
        "customer": "'=HYPERLINK(1)",  # spreadsheet-safe
        "state": "Draft",
        "lines": "1",
        "total": "12.50",
        "currency": "EUR",
        "placed_at": summary.placed_at.isoformat(),
        "last_changed_at": summary.last_changed_at.isoformat(),
        "last_actor": staff.username,
        "state_since": summary.state_since.isoformat(),
        "customer_reference": "PO-9",
        "customer_email": "a@b.example",
        "old_reference": "",  # placed here, not imported
    }


def test_an_invalid_filter_exports_nothing_but_the_error_page(client, staff):
    log_in(client, staff)
    response = client.get("/orders/?format=csv&placed_after=not-a-date")
    assert response.status_code == 400
    assert not response["Content-Type"].startswith("text/csv")


def test_the_export_holds_only_the_users_company(client, staff):
    place(staff)
    other = factories.user(Role.STAFF, factories.CompanyFactory(slug="globex"))
    place(other, name="Globex secret")
    log_in(client, staff)
    rows = read_csv(client.get("/orders/?format=csv"))
    assert len(rows) == 2 and "Globex secret" not in str(rows)
