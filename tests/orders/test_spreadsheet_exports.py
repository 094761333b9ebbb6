"""Issue #29: exports that open in spreadsheets. Read back with Python's `csv` and a
locale-aware parse, every amount is a number and every time a datetime: the standard file
(comma, decimal point, ISO 8601 with offset) and `?dialect=excel-de` (semicolon, decimal
comma, the reader's local time). The formula guard stays in both."""

import csv
import datetime as dt
import io
import zoneinfo
from decimal import Decimal

import pytest
from babel.numbers import parse_decimal

from tests import factories
from tests.factories import log_in

pytestmark = pytest.mark.django_db

PLACED = dt.datetime(2026, 3, 29, 1, 15, tzinfo=dt.UTC)  # 03:15 CEST in Berlin


def download(client, url: str) -> list[dict]:
    response = client.get(url)
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    delimiter = ";" if "dialect=excel-de" in url else ","
    return list(csv.DictReader(io.StringIO(text), delimiter=delimiter))


@pytest.fixture
def berlin_order(staff):
    staff.company.time_zone = "Europe/Berlin"
    staff.company.save()
    return factories.place(staff, line_count=2, at=PLACED, customer="=HYPERLINK(1)")


def test_the_standard_list_export_has_dot_numbers_and_iso_times_with_offset(
    client, staff, berlin_order
):
    log_in(client, staff)

    (row,) = download(client, "/orders/?format=csv")

    assert parse_decimal(row["total"], locale="en", strict=True) == Decimal("31.97")
    placed = dt.datetime.fromisoformat(row["placed_at"])
    assert placed == PLACED and placed.utcoffset() is not None
    assert row["customer"] == "'=HYPERLINK(1)"  # still no formula


def test_the_excel_de_list_export_has_comma_numbers_and_local_times(client, staff, berlin_order):
    log_in(client, staff)

    (row,) = download(client, "/orders/?format=csv&dialect=excel-de")

    assert parse_decimal(row["total"], locale="de", strict=True) == Decimal("31.97")
    local = dt.datetime.strptime(row["placed_at"], "%Y-%m-%d %H:%M:%S")
    assert local.replace(tzinfo=zoneinfo.ZoneInfo("Europe/Berlin")) == PLACED
    assert row["placed_at"] == "2026-03-29 03:15:00"
    assert row["customer"] == "'=HYPERLINK(1)"


def test_the_audit_and_history_exports_speak_the_same_dialects(client, auditor, berlin_order):
    log_in(client, auditor)

    (audit,) = download(client, "/audit/?format=csv&dialect=excel-de")
    (history,) = download(client, f"/orders/{berlin_order.id}/history/?format=csv")

    assert audit["occurred_at"] == "2026-03-29 03:15:00"
    assert dt.datetime.fromisoformat(history["occurred_at"]) == PLACED
