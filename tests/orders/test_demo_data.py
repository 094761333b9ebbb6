"""The demo data is made through the commands: every state appears and the log verifies."""

from collections import Counter

import pytest
from django.core.management import call_command

from accounts.models import Company
from events.models import Event
from events.store import read_stream
from orders.events import StateChanged
from orders.models import Order
from tests.orders.workflow_spec import ALLOWED_PAIRS, STATES

MANAGER_ONLY_EVENTS = {"OrderApproved", "OrderRejected", "OrderResumed"}


@pytest.fixture
def seeded(db):
    # Over the default 90 days nearly all 40 orders have finished (no draft, approved or
    # on_hold order at all), so the orders are spread over the last 7 days instead.
    call_command("seed_demo", "--orders", "40", "--days", "7", "--force", stdout=None)
    return Company.objects.order_by("slug")


@pytest.mark.django_db
def test_seed_demo_leaves_orders_in_every_state_for_every_company(seeded):
    for company in seeded:
        states = Counter(Order.objects.filter(company=company).values_list("state", flat=True))
        assert set(states) == set(STATES), (company.slug, states)
        assert sum(states.values()) == 40


@pytest.mark.django_db
def test_seed_demo_writes_every_order_through_the_commands(seeded):
    for order in Order.objects.select_related("company"):
        events = read_stream(order.id)
        slug = order.company.slug
        assert events[0].event_type == "OrderPlaced"
        assert [e.version for e in events] == list(range(1, order.version + 1))
        state = "draft"
        for event in events:
            if isinstance(event.data, StateChanged):
                assert (event.data.from_state, event.data.to_state) in ALLOWED_PAIRS
                assert event.data.from_state == state
                state = event.data.to_state
            actors = (
                {f"{slug}.manager"}
                if event.event_type in MANAGER_ONLY_EVENTS
                else {f"{slug}.staff", f"{slug}.manager"}
            )
            assert event.actor_username in actors
        assert state == order.state
    for company in seeded:
        # Companies are seeded one after the other: time runs forward within each.
        times = list(
            Event.objects.filter(company=company)
            .order_by("position")
            .values_list("occurred_at", flat=True)
        )
        assert times == sorted(times), company.slug


@pytest.mark.django_db
def test_the_demo_log_passes_verify_events(seeded, capsys):
    call_command("verify_events", "--no-record")

    out = capsys.readouterr().out
    assert out.startswith(f"OK: {Event.objects.count()} events checked")


@pytest.mark.django_db
def test_on_the_demo_data_a_20000_eur_order_needs_both_acme_managers(seeded):
    """Issue #28's "done when", on the demo data: acme.manager cannot approve an order he
    placed; with the two-Manager limit at 10,000 EUR a 20,000 EUR order needs two Managers."""
    from decimal import Decimal

    from accounts.models import User
    from orders import commands, policy
    from orders.events import Line, OrderDetails
    from orders.exceptions import ActionNotPermitted

    acme = seeded.get(slug="acme")
    controls = policy.policy_in_force(acme.pk)
    assert (controls.version, controls.two_manager_limit) == (1, Decimal("10000.00"))
    manager, manager2, staff = (
        User.objects.get(username=f"acme.{name}") for name in ("manager", "manager2", "staff")
    )
    big = [Line(sku="M", description="Machine", quantity=1, unit_price=Decimal("20000.00"))]
    own = commands.place_order(actor=manager, details=OrderDetails(customer_name="X"), lines=big)
    own = commands.submit(own.id, actor=manager, expected_version=own.version)
    with pytest.raises(ActionNotPermitted, match="four eyes"):
        commands.approve(own.id, actor=manager, expected_version=own.version)

    order = commands.place_order(actor=staff, details=OrderDetails(customer_name="Y"), lines=big)
    order = commands.submit(order.id, actor=staff, expected_version=order.version)
    order = commands.approve(order.id, actor=manager, expected_version=order.version)
    assert order.state == "submitted"
    order = commands.approve(order.id, actor=manager2, expected_version=order.version)
    assert order.state == "approved"


@pytest.mark.django_db
def test_seed_demo_gives_each_company_customers_and_skus_its_orders_use(seeded):
    from customers.models import Customer, Sku
    from projections.models import OrderSummary

    for company in seeded:
        customers = set(Customer.objects.filter(company=company).values_list("id", flat=True))
        assert len(customers) >= 5
        assert Sku.objects.filter(company=company).count() >= 5
        picked = set(
            OrderSummary.objects.filter(company=company).values_list("customer_id", flat=True)
        )
        assert picked and picked <= customers
