"""Order limits keep every stored total inside a signed 64-bit integer (orders/validation.py).

The issue's example: 200 lines x 1,000,000 x 9,999,999.99 (all within the per-line limits) put
2e17 cents in one order, so about 46 such orders pushed the company's dashboard total for one
state past 2^63 and every later order of that company failed with a 500.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from events.models import Event
from orders import commands
from orders.events import Line, lines_total
from orders.exceptions import OrderValidationError
from orders.models import MAX_LINES, Order
from orders.validation import (
    MAX_ORDER_TOTAL,
    MAX_ORDERS_PER_COMPANY,
    MAX_QUANTITY,
    MAX_UNIT_PRICE,
    clean_order,
)
from projections.models import DashboardStateTotal, OrderSummary
from tests import factories

BIGINT_MAX = 2**63 - 1
MAX_TOTAL_CENTS = int(MAX_ORDER_TOTAL * 100)


def huge_lines(count: int = MAX_LINES) -> list[Line]:
    return [
        Line(
            sku=f"BIG-{i}", description="", quantity=MAX_QUANTITY, unit_price=Decimal("9999999.99")
        )
        for i in range(count)
    ]


def exactly_max_lines() -> list[Line]:
    """Lines whose total is exactly MAX_ORDER_TOTAL."""
    return [Line(sku="MAX", description="", quantity=10, unit_price=MAX_ORDER_TOTAL / 10)]


def test_the_limits_keep_every_stored_sum_below_2_to_the_63():
    assert MAX_ORDERS_PER_COMPANY * MAX_TOTAL_CENTS < BIGINT_MAX  # a state total, in cents
    assert MAX_ORDERS_PER_COMPANY < 2**31 - 1  # counts per state and per day, the sequence
    thousand_years = 1000 * 366 * 24 * 3600
    assert MAX_ORDERS_PER_COMPANY * thousand_years < BIGINT_MAX  # summed cycle seconds
    assert MAX_UNIT_PRICE <= MAX_ORDER_TOTAL  # one unit of the dearest item fits an order


@pytest.mark.django_db
def test_the_issue_example_order_is_refused_with_a_message(staff):
    with pytest.raises(OrderValidationError) as refused:
        commands.place_order(actor=staff, details=factories.details(), lines=huge_lines())

    assert "above the largest an order may have" in str(refused.value.errors)
    assert not Event.objects.exists()


@pytest.mark.django_db
def test_the_issue_example_order_posted_from_the_form_is_a_422(staff, client):
    factories.log_in(client, staff)
    data = {
        "customer_name": "Initech",
        "lines-TOTAL_FORMS": str(MAX_LINES),
        "lines-INITIAL_FORMS": "0",
    }
    for i in range(MAX_LINES):
        data |= {
            f"lines-{i}-sku": f"BIG-{i}",
            f"lines-{i}-quantity": str(MAX_QUANTITY),
            f"lines-{i}-unit_price": "9999999.99",
        }

    response = client.post("/orders/new/", data)

    assert response.status_code == 422
    assert "above the largest an order may have" in response.content.decode()
    assert not Event.objects.exists()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.integers(1, MAX_QUANTITY),
            st.decimals(0, MAX_UNIT_PRICE, places=2, allow_nan=False, allow_infinity=False),
        ),
        min_size=1,
        max_size=MAX_LINES,
    )
)
def test_an_accepted_order_never_totals_more_than_the_limit(raw_lines):
    lines = [Line(sku="S", description="", quantity=q, unit_price=p) for q, p in raw_lines]
    try:
        _, cleaned = clean_order(factories.details(), lines)
    except OrderValidationError as refused:
        assert lines_total(lines) > MAX_ORDER_TOTAL
        assert "lines" in refused.errors
    else:
        assert lines_total(cleaned) <= MAX_ORDER_TOTAL


@pytest.mark.django_db
def test_a_company_at_the_worst_case_total_still_places_orders_and_sees_its_dashboard(
    staff, manager, client
):
    # As if MAX_ORDERS_PER_COMPANY - 1 orders of the largest total were drafts already.
    first = commands.place_order(
        actor=staff, details=factories.details(), lines=exactly_max_lines()
    )
    DashboardStateTotal.objects.filter(company=staff.company, state="draft").update(
        count=MAX_ORDERS_PER_COMPANY - 1,
        total_cents=(MAX_ORDERS_PER_COMPANY - 1) * MAX_TOTAL_CENTS,
    )

    last = commands.place_order(actor=staff, details=factories.details(), lines=exactly_max_lines())
    commands.submit(first.id, actor=staff, expected_version=1)

    totals = {
        row.state: row.total_cents
        for row in DashboardStateTotal.objects.filter(company=staff.company)
    }
    assert totals["draft"] == (MAX_ORDERS_PER_COMPANY - 1) * MAX_TOTAL_CENTS
    assert totals["submitted"] == MAX_TOTAL_CENTS
    assert OrderSummary.objects.get(pk=last.id).total_cents == MAX_TOTAL_CENTS
    factories.log_in(client, manager)
    assert client.get("/").status_code == 200


@pytest.mark.django_db
def test_a_company_at_the_order_limit_is_told_so(staff, client):
    order = factories.place(staff)
    Order.objects.filter(pk=order.id).update(sequence=MAX_ORDERS_PER_COMPANY)
    factories.log_in(client, staff)

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
    )

    assert response.status_code == 422
    assert "limit of 100,000,000 orders" in response.content.decode()
    assert Event.objects.count() == 1


def lines_totalling(cents: int) -> list[Line]:
    """Lines within the per-line limits whose total is exactly `cents`."""
    full, rest = divmod(cents, int(MAX_UNIT_PRICE * 100))
    lines = (
        [Line(sku="A", description="", quantity=full, unit_price=MAX_UNIT_PRICE)] if full else []
    )
    if rest or not lines:
        lines.append(Line(sku="B", description="", quantity=1, unit_price=Decimal(rest) / 100))
    return lines


# The states an order of the worst-case company is moved to, with the path to each.
TARGETS = ("draft", "submitted", "approved", "shipped", "delivered", "cancelled")


@pytest.mark.django_db
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    orders=st.lists(
        st.tuples(st.integers(0, MAX_TOTAL_CENTS), st.sampled_from(TARGETS)),
        min_size=1,
        max_size=4,
    )
)
def test_a_company_at_its_limits_never_overflows_a_stored_total(orders):
    """A company that already holds MAX_ORDERS_PER_COMPANY - len(orders) orders of the largest
    total (all drafts) places `orders` (cents, target state) and moves them: every stored
    total stays exact and inside a 64-bit integer."""
    company = factories.CompanyFactory()
    staff = factories.user("Staff", company)
    manager = factories.user("Manager", company)
    existing = MAX_ORDERS_PER_COMPANY - len(orders)
    placed = []
    for number, (cents, target) in enumerate(orders):
        order = commands.place_order(
            actor=staff, details=factories.details(), lines=lines_totalling(cents)
        )
        if number == 0:  # the draft row exists now: add the existing orders to it
            DashboardStateTotal.objects.filter(company=company, state="draft").update(
                count=existing + 1, total_cents=existing * MAX_TOTAL_CENTS + cents
            )
        placed.append(factories.advance(order, target, staff=staff, manager=manager))

    rows = DashboardStateTotal.objects.filter(company=company)
    totals = {row.state: row.total_cents for row in rows}
    expected = {state: 0 for state in totals}
    expected["draft"] = existing * MAX_TOTAL_CENTS
    for (cents, _), order in zip(orders, placed, strict=True):
        expected[order.state] += cents
    assert totals == expected
    assert sum(totals.values()) <= MAX_ORDERS_PER_COMPANY * MAX_TOTAL_CENTS < BIGINT_MAX
