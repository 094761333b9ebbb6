"""Export cells: a missing value is an empty cell, never a placeholder the formula guard mangles."""

import csv
import io

import pytest

from tests import factories
from tests.factories import log_in

pytestmark = pytest.mark.django_db


def csv_rows(response) -> list[dict]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_an_event_appended_outside_a_request_has_an_empty_request_id_in_both_exports(
    client, acme, staff, manager
):
    order = factories.place(staff)  # a command run outside a request: no request id
    log_in(client, manager)

    audit = csv_rows(client.get("/audit/", {"format": "csv"}))
    history = csv_rows(client.get(f"/orders/{order.id}/history/", {"format": "csv"}))

    assert [row["request_id"] for row in audit] == [""]
    assert [row["request_id"] for row in history] == [""]
    assert not any(cell in ("-", "'-") for row in audit + history for cell in row.values())
