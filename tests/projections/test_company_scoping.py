"""Company scoping: a company's read-model rows come from its own events and nobody else's."""

from collections import Counter

import pytest
from django.db import connection

from events import replay
from orders.models import Order
from projections.models import (
    DashboardActivity,
    DashboardOrder,
    DashboardStateTotal,
    OrderSummary,
)
from projections.registry import all_projections
from tests import factories

from .read_models import tables_of, wipe

pytestmark = pytest.mark.django_db

ACME_ORDERS = [("delivered", 2), ("draft", 1), ("submitted", 3), ("submitted", 1)]
GLOBEX_ORDERS = [("approved", 2), ("cancelled", 1), ("delivered", 3), ("on_hold", 2)]
LINE_TOTALS = {1: 999, 2: 3197, 3: 6794}  # cents of factories.lines(n)
PER_ORDER = (Order, OrderSummary, DashboardOrder)


@pytest.fixture
def orders(acme, globex):
    """Each company's orders, placed in alternation so that their events interleave (with a
    customer and a SKU each, so that every read-model table has the company's rows)."""
    from accounts.models import Role
    from tests.customers.factories import customer, sku

    for company in (acme, globex):
        customer(factories.user(Role.STAFF, company), "Hooli")
        sku(factories.user(Role.MANAGER, company), "BOLT-1")
    made = {acme: [], globex: []}
    for (a_state, a_lines), (g_state, g_lines) in zip(ACME_ORDERS, GLOBEX_ORDERS, strict=True):
        made[acme].append(factories.order_in_state(a_state, acme, line_count=a_lines))
        made[globex].append(factories.order_in_state(g_state, globex, line_count=g_lines))
    return made


def company_rows(company) -> dict[str, list[tuple]]:
    rows = {}
    with connection.cursor() as cursor:
        for table in tables_of():
            cursor.execute(f'SELECT * FROM "{table}" WHERE company_id = %s', [company.pk.hex])
            rows[table] = sorted(cursor.fetchall(), key=repr)
    return rows


@pytest.mark.parametrize("company", ["acme", "globex"])
def test_a_companys_rows_are_what_its_own_events_alone_produce(orders, company, request):
    company = request.getfixturevalue(company)
    live = company_rows(company)
    own_events = [
        event for batch in replay.read_all(0) for event in batch if event.company_id == company.pk
    ]
    wipe(tables_of())

    for projection in all_projections():
        projection.apply(own_events, "default")

    assert company_rows(company) == live
    assert all(live.values())  # every table has rows for the company


def test_per_order_rows_belong_to_the_company_of_the_order(orders, acme, globex):
    for model in PER_ORDER:
        for company in (acme, globex):
            ids = set(model.objects.filter(company=company).values_list("id", flat=True))
            assert ids == {order.id for order in orders[company]}, model.__name__


def test_order_numbers_and_currencies_are_the_companys_own(orders, acme, globex):
    for company, prefix in ((acme, "ACME-"), (globex, "GLOBEX-")):
        summaries = OrderSummary.objects.filter(company=company)
        assert {s.currency for s in summaries} == {company.currency}
        assert sorted(s.number for s in summaries) == [f"{prefix}{n:06d}" for n in range(1, 5)]


@pytest.mark.parametrize(("company", "created"), [("acme", ACME_ORDERS), ("globex", GLOBEX_ORDERS)])
def test_dashboard_counts_and_totals_are_per_company(orders, company, created, request):
    company = request.getfixturevalue(company)
    counts, totals = Counter(), Counter()
    for state, line_count in created:
        counts[state] += 1
        totals[state] += LINE_TOTALS[line_count]

    rows = DashboardStateTotal.objects.filter(company=company)

    assert {r.state: r.count for r in rows if r.count} == dict(counts)
    assert {r.state: r.total_cents for r in rows if r.count} == dict(totals)
    assert all(r.total_cents == 0 for r in rows if not r.count)
    daily = DashboardActivity.objects.filter(company=company)
    assert sum(d.placed for d in daily) == len(created)
    assert sum(d.delivered for d in daily) == counts["delivered"]
    cycles = DashboardOrder.objects.filter(company=company, cycle_seconds__isnull=False)
    assert cycles.count() == counts["delivered"]


def test_the_same_state_in_two_companies_has_two_rows_with_different_ids(orders, acme, globex):
    delivered = DashboardStateTotal.objects.filter(state="delivered")

    assert sorted(r.company_id for r in delivered) == sorted([acme.pk, globex.pk])
    assert len({r.id for r in delivered}) == 2
    cycles = DashboardOrder.objects.filter(cycle_seconds__isnull=False)
    assert sorted({r.company_id for r in cycles}) == sorted([acme.pk, globex.pk])
