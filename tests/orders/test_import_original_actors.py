"""Imported orders keep their origin (issue #32): who did each step in the old system
(`placed_by`, `approved_by`, `shipped_by`, ...) is recorded with the step, shown as "in the old
system, by NAME" beside the operator who imported it; the old reference is searchable on the
list and in its CSV export."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from events.models import Event
from orders.models import Order
from tests.factories import log_in

pytestmark = pytest.mark.django_db

ORDERS = (
    "reference,customer_name,placed_at,placed_by,submitted_at,approved_at,approved_by,"
    "fulfilment_started_at,shipped_at,shipped_by,carrier,tracking_number\n"
    "OLD-7781,Initech,2025-03-01T09:00:00Z,Bill Lumbergh,2025-03-01T10:00:00Z,"
    "2025-03-02T08:00:00Z,Anna Berg,2025-03-02T09:00:00Z,2025-03-03T15:00:00Z,Kai Wolf,DHL,T-1\n"
)
LINES = "reference,sku,description,quantity,unit_price\nOLD-7781,CUP-1,Cup,2,3.50\n"


def write(tmp_path: Path, orders: str, lines: str = LINES) -> list[str]:
    (tmp_path / "orders.csv").write_text(orders, encoding="utf-8")
    (tmp_path / "lines.csv").write_text(lines, encoding="utf-8")
    return ["--company", "acme", str(tmp_path / "orders.csv"), str(tmp_path / "lines.csv")]


def run(args) -> str:
    out = io.StringIO()
    try:
        call_command("import_orders", *args, stdout=out)
    except CommandError as error:
        return out.getvalue() + str(error)
    return out.getvalue()


def test_each_step_records_who_did_it_in_the_old_system(tmp_path, acme):
    run(write(tmp_path, ORDERS))

    order = Order.objects.get(company=acme)
    by_type = {e.event_type: e.metadata for e in Event.objects.filter(stream_id=order.id)}
    assert by_type["OrderPlaced"]["original_actor"] == "Bill Lumbergh"
    assert by_type["OrderApproved"]["original_actor"] == "Anna Berg"
    assert by_type["OrderShipped"]["original_actor"] == "Kai Wolf"
    assert "original_actor" not in by_type["OrderSubmitted"]  # no submitted_by column value
    assert by_type["OrderApproved"]["actor_username"].endswith("(import)")


def test_history_shows_the_old_systems_actor_beside_the_operator(tmp_path, client, acme, manager):
    run(write(tmp_path, ORDERS))
    order = Order.objects.get(company=acme)
    log_in(client, manager)

    history = client.get(f"/orders/{order.id}/history/").content.decode()
    detail = client.get(f"/orders/{order.id}/").content.decode()
    exported = client.get(f"/orders/{order.id}/history/", {"format": "csv"})

    assert "in the old system, by Anna Berg" in history
    assert "(import)" in history
    assert "in the old system, by Kai Wolf" in detail
    rows = list(
        csv.DictReader(io.StringIO(b"".join(exported.streaming_content).decode("utf-8-sig")))
    )
    assert [row["original_actor"] for row in rows][:3] == ["Bill Lumbergh", "", "Anna Berg"]


def test_the_old_reference_finds_the_order_and_is_in_the_csv_export(
    tmp_path, client, acme, manager
):
    run(write(tmp_path, ORDERS))
    order = Order.objects.get(company=acme)
    log_in(client, manager)

    found = client.get("/orders/", {"q": "OLD-7781"}).content.decode()
    exported = client.get("/orders/", {"format": "csv"})

    assert order.number in found
    rows = list(
        csv.DictReader(io.StringIO(b"".join(exported.streaming_content).decode("utf-8-sig")))
    )
    assert [(row["number"], row["old_reference"]) for row in rows] == [(order.number, "OLD-7781")]


def test_another_companys_old_reference_finds_nothing(tmp_path, client, acme, globex):
    from accounts.models import Role
    from tests import factories

    run(write(tmp_path, ORDERS))
    log_in(client, factories.user(Role.MANAGER, globex))

    page = client.get("/orders/", {"q": "OLD-7781"}).content.decode()

    assert "ACME-" not in page


@pytest.mark.parametrize(
    ("orders", "reason"),
    [
        (ORDERS.replace("Anna Berg", "Anna\x07Berg"), "approved_by: "),
        (ORDERS.replace("Anna Berg", "A" * 151), "approved_by: at most 150 characters."),
        (
            ORDERS.replace("Bill Lumbergh,2025-03-01T10", "Bill Lumbergh,2025-03-01T10").replace(
                ",2025-03-03T15:00:00Z,Kai Wolf", ",,Kai Wolf"
            ),
            "shipped_by is set, but shipped_at is empty.",
        ),
    ],
)
def test_a_bad_original_actor_refuses_the_order(tmp_path, acme, orders, reason):
    summary = run(write(tmp_path, orders))

    assert not Order.objects.filter(company=acme).exists()
    rejects = (tmp_path / "orders.rejects.csv").read_text(encoding="utf-8-sig")
    assert reason in rejects, (summary, rejects)
