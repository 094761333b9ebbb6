"""One reading of what a person typed on every path into the log (issue #24 §4, §18, §19):
control characters refused, text stored in NFC, numbers read as a person means them — through
the pages, `import_orders` and the commands (what the API will call) alike."""

from __future__ import annotations

import unicodedata

import pytest

from events.models import Event
from orders import commands
from orders.events import Line
from orders.exceptions import OrderValidationError
from orders.importing import rejects_path
from projections.models import OrderSummary
from tests import factories
from tests.factories import log_in
from tests.orders.test_import_orders import import_args, read_rejects, run, small_files
from tests.orders.test_views_forms import field_error, order_data, row

pytestmark = pytest.mark.django_db

DECOMPOSED = unicodedata.normalize("NFD", "Café Müller")
CONTROLS = ["\x00", "\x1b", "\x7f", "\x85", "\ud800"]


@pytest.mark.parametrize("char", CONTROLS[:4], ids=["NUL", "ESC", "DEL", "NEL"])
def test_a_control_character_in_a_form_is_a_422_on_its_field(client, staff, char):
    log_in(client, staff)

    response = client.post(
        "/orders/new/", order_data([row("A-1", 1, "1")], customer=f"Bad{char}Co")
    )

    assert response.status_code == 422
    assert "control character" in field_error(response.content.decode(), "id_customer_name")
    assert not Event.objects.filter(event_type="OrderPlaced").exists()


@pytest.mark.parametrize("char", CONTROLS, ids=["NUL", "ESC", "DEL", "NEL", "surrogate"])
def test_a_control_character_reaching_a_command_is_refused(staff, char):
    with pytest.raises(OrderValidationError) as refused:
        commands.place_order(
            actor=staff,
            details=factories.details(f"Bad{char}Co"),
            lines=[Line(sku=f"S{char}1", description="", quantity=1, unit_price="1.00")],
        )
    assert set(refused.value.errors) == {"customer_name", "lines.0.sku"}


def test_a_note_with_a_control_character_is_refused(staff):
    order = factories.place(staff)
    with pytest.raises(OrderValidationError):
        commands.add_note(order.id, actor=staff, expected_version=order.version, text="a\x00b")


@pytest.mark.parametrize("column", ["customer_name", "reference", "notes"])
def test_an_import_row_with_a_nul_is_a_reject_and_the_import_carries_on(acme, tmp_path, column):
    good = {"reference": "OK-1", "customer_name": "Good", "placed_at": "2025-01-02T10:00:00Z"}
    bad = {**good, "reference": "BAD-1", column: "x\x00y"}
    files = small_files(tmp_path, [good, bad, {**good, "reference": "OK-2"}])

    out = run(*import_args(files))

    assert "imported 2," in out  # (a refused reference also orphans its lines: 2 rejects)
    reasons = read_rejects(rejects_path(files.orders)).values()
    assert any("control character U+0000" in reason for reason in reasons)
    assert OrderSummary.objects.filter(company=acme).count() == 2


def test_tab_and_line_breaks_are_text(staff):
    order = factories.place(staff)
    commands.add_note(order.id, actor=staff, expected_version=order.version, text="a\tb\r\nc")


def test_text_is_stored_in_nfc_whichever_way_it_was_typed(client, staff, acme, tmp_path):
    log_in(client, staff)
    client.post("/orders/new/", order_data([row("A-1", 1, "1")], customer=DECOMPOSED))
    files = small_files(
        tmp_path,
        [{"reference": DECOMPOSED, "customer_name": DECOMPOSED, "placed_at": "2025-01-02"}],
    )
    out = run(*import_args(files))

    assert "imported 1," in out, out
    names = [
        e.opened_payload()["details"]["customer_name"]
        for e in Event.objects.filter(company=acme, event_type="OrderPlaced")
    ]
    assert names == ["Café Müller", "Café Müller"]
    placed = Event.objects.get(event_type="OrderPlaced", metadata__has_key="imported_from")
    reference = placed.metadata["imported_from"]
    assert reference["reference"] == "Café Müller"


# --- numbers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("quantity", "unit_price", "field"),
    [
        ("1_0", "1.00", "quantity"),
        ("\uff11\uff10", "1.00", "quantity"),
        ("1e1", "1.00", "quantity"),
        ("1", "1_000", "unit_price"),
        ("1", "1e3", "unit_price"),
        ("1", "-0.00", "unit_price"),
        ("1", "-0", "unit_price"),
        ("1", "NaN", "unit_price"),
    ],
)
def test_numbers_python_reads_but_a_person_does_not_mean_are_refused_everywhere(
    client, staff, acme, tmp_path, quantity, unit_price, field
):
    log_in(client, staff)
    response = client.post("/orders/new/", order_data([row("A-1", quantity, unit_price)]))
    assert response.status_code == 422
    assert field_error(response.content.decode(), f"id_lines-0-{field}")

    with pytest.raises(OrderValidationError) as refused:
        commands.place_order(
            actor=staff,
            details=factories.details(),
            lines=[Line(sku="S", description="", quantity=quantity, unit_price=unit_price)],
        )
    assert f"lines.0.{field}" in refused.value.errors

    line = {"reference": "R-1", "sku": "S", "description": "", "quantity": quantity}
    files = small_files(
        tmp_path,
        [{"reference": "R-1", "customer_name": "C", "placed_at": "2025-01-02"}],
        [{**line, "unit_price": unit_price}],
    )
    assert "imported 0," in run(*import_args(files))
    assert not Event.objects.filter(event_type="OrderPlaced").exists()


@pytest.mark.parametrize(
    ("quantity", "unit_price", "stored"),
    [(" 10 ", "12", "12.00"), ("3", " .5 ", "0.50"), ("+2", "0.00", "0.00"), ("1", "7.", "7.00")],
)
def test_numbers_as_a_person_writes_them_are_accepted(client, staff, quantity, unit_price, stored):
    log_in(client, staff)

    response = client.post("/orders/new/", order_data([row("A-1", quantity, unit_price)]))

    assert response.status_code == 302
    (line,) = Event.objects.get(event_type="OrderPlaced").payload["lines"]
    assert (line["quantity"], line["unit_price"]) == (int(quantity), stored)


@pytest.mark.parametrize("value", ["1_0", "\uff11", "-1"])
def test_page_numbers_and_versions_refuse_what_int_would_read(client, staff, value):
    log_in(client, staff)

    assert client.get("/orders/", {"page": value}).status_code == 400
