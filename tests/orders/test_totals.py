"""Order totals are computed from the lines, exactly, in minor units."""

from decimal import Decimal

import pytest

from orders import commands
from orders.events import Line
from projections.models import OrderSummary
from tests import factories


def _line(quantity: int, price: str) -> Line:
    return Line(sku="SKU", description="", quantity=quantity, unit_price=Decimal(price))


def _total_cents(order) -> int:
    return OrderSummary.objects.get(pk=order.id).total_cents


@pytest.mark.django_db
def test_the_total_is_the_sum_of_quantity_times_unit_price(staff):
    order = commands.place_order(
        actor=staff,
        details=factories.details(),
        lines=[_line(3, "12.40"), _line(1, "129.00"), _line(10, "0.10")],
    )

    assert _total_cents(order) == 3 * 1240 + 12900 + 10 * 10 == 16_720


@pytest.mark.django_db
def test_a_change_replaces_the_total_with_that_of_the_new_lines(staff):
    order = factories.place(staff)

    order = commands.change_order(
        order.id,
        actor=staff,
        expected_version=order.version,
        details=factories.details(),
        lines=[_line(7, "0.07")],
    )

    assert _total_cents(order) == 49


@pytest.mark.django_db
def test_an_order_without_lines_totals_zero(staff):
    order = factories.place(staff, line_count=0)

    assert _total_cents(order) == 0


@pytest.mark.django_db
def test_the_largest_allowed_order_is_totalled_exactly(staff):
    order = commands.place_order(
        actor=staff,
        details=factories.details(),
        # The dearest line, topped up cent by cent to exactly MAX_ORDER_TOTAL (100,000,000.00).
        lines=[_line(10, "9999999.99")] + [_line(1, "0.01")] * 10,
    )

    assert _total_cents(order) == 10 * 999_999_999 + 10 == 100_000_000_00


@pytest.mark.django_db
def test_the_total_survives_the_rest_of_the_workflow(acme, manager):
    order = factories.order_in_state("delivered", acme)

    assert _total_cents(order) == (1 * 999 + 2 * 1099)  # factories.lines(2)
    assert OrderSummary.objects.get(pk=order.id).currency == "EUR"
