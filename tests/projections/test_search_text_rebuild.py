"""The list's search column (`OrderSummary.search_text`, issue #24 §17-18) is a pure function of
the log: a rebuild gives it byte for byte, and verify finds a tampered one."""

import unicodedata
from decimal import Decimal

import pytest

from orders import commands
from orders.events import Line, OrderDetails
from projections.models import OrderSummary

from .read_models import run, snapshot, tables_of, verify_differences, wipe

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("rebuildable_db")]


@pytest.fixture
def searched(staff):
    details = OrderDetails(customer_name=unicodedata.normalize("NFD", "MÜLLER Straße"))
    line = Line(sku="Ü-1", description="Überweisung", quantity=1, unit_price=Decimal("2"))
    order = commands.place_order(actor=staff, details=details, lines=[line])
    commands.change_order(
        order.id,
        actor=staff,
        expected_version=order.version,
        details=OrderDetails(customer_name="Die Ärzte GmbH"),
        lines=[line],
    )
    return order


def test_the_search_column_is_identical_after_a_rebuild(searched, scratch_files):
    inline = snapshot(tables_of("order_summary"))
    assert OrderSummary.objects.get(id=searched.id).search_text.endswith(
        "die ärzte gmbh\nü-1\nüberweisung"
    )
    wipe(tables_of("order_summary"))

    run("rebuild_projections")

    assert snapshot(tables_of("order_summary")) == inline
    assert run("verify_projections") == "OK\n"


def test_verify_finds_a_search_column_that_was_changed(searched, scratch_files):
    OrderSummary.objects.filter(id=searched.id).update(search_text="die ärzte gmbh")
    assert "search_text" in verify_differences("order_summary")
