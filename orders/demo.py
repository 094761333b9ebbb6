"""Demo orders, made through the real commands with an injected clock.

Each order follows a plausible path through the workflow with realistic delays. All orders'
steps are merged by time, so the log reads like a real stretch of work: positions increase with
`occurred_at`, and recent orders are still in early states.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import heapq
import random
from collections.abc import Iterator, Sequence
from decimal import Decimal

from accounts.models import Company, User
from customers import commands as record_commands
from customers.models import Customer
from customers.validation import CustomerDetails, SkuDetails

from . import commands, policy
from .events import Line, OrderDetails, PolicySettings

CUSTOMERS = [
    "Initech",
    "Umbrella Retail",
    "Stark Supplies",
    "Wayne Logistics",
    "Tyrell Parts",
    "Cyberdyne Office",
    "Soylent Foods",
    "Hooli Hardware",
    "Vandelay Imports",
    "Wonka Sweets",
    "Oscorp Labs",
    "Massive Dynamic",
    "Gringotts Trading",
    "Duff Beverages",
    "Nakatomi Trading",
]
PRODUCTS = [
    ("BOLT-M8", "M8 hex bolt, box of 100", "12.40"),
    ("NUT-M8", "M8 nut, box of 100", "6.90"),
    ("PIPE-22", "Copper pipe 22 mm, 3 m", "31.50"),
    ("VALVE-BV", "Brass ball valve", "18.75"),
    ("GLOVE-L", "Work gloves, size L", "4.20"),
    ("TAPE-50", "Duct tape 50 m", "7.99"),
    ("DRILL-18", "Cordless drill 18 V", "129.00"),
    ("SAW-CIRC", "Circular saw", "189.00"),
    ("LADDER-3", "Aluminium ladder, 3 steps", "64.50"),
    ("PAINT-W", "White paint, 10 l", "45.00"),
]
CARRIERS = ["DHL", "UPS", "FedEx", "PostNL", "DPD"]


def _hours(rng: random.Random, low: float, high: float) -> dt.timedelta:
    return dt.timedelta(hours=rng.uniform(low, high))


def order_plan(rng: random.Random, start: dt.datetime) -> Iterator[tuple[dt.datetime, str, dict]]:
    """The steps of one order: (when, action, data). Actions are command names."""
    t = start
    yield t, "place", {}
    while True:
        t += _hours(rng, 0.2, 72)
        if rng.random() < 0.06:
            yield t, "cancel", {"reason": "Customer withdrew the request"}
            return
        yield t, "submit", {}
        t += _hours(rng, 1, 48)
        roll = rng.random()
        if roll < 0.08:
            yield t, "reject", {"reason": "Prices need to be checked with the customer"}
            continue
        if roll < 0.12:
            yield t, "cancel", {"reason": "Duplicate of another order"}
            return
        yield t, "approve", {}
        break
    if rng.random() < 0.25:
        t += _hours(rng, 1, 24)
        yield t, "add_note", {"text": "Customer asked for delivery before noon."}
    t += _hours(rng, 2, 72)
    if rng.random() < 0.08:
        yield t, "hold", {"reason": "Waiting for stock"}
        t += _hours(rng, 24, 400)
        if rng.random() < 0.2:
            yield t, "cancel", {"reason": "Stock will not arrive in time"}
            return
        yield t, "resume", {}
        t += _hours(rng, 1, 12)
    yield t, "start_fulfilment", {}
    t += _hours(rng, 4, 72)
    if rng.random() < 0.05:
        yield t, "hold", {"reason": "Address needs confirmation"}
        t += _hours(rng, 4, 48)
        yield t, "resume", {}
        t += _hours(rng, 1, 8)
    yield (
        t,
        "ship",
        {
            "carrier": rng.choice(CARRIERS),
            "tracking_number": f"TRK{rng.randrange(10**9, 10**10)}",
        },
    )
    t += _hours(rng, 12, 120)
    yield t, "deliver", {}


def order_input(rng: random.Random) -> tuple[OrderDetails, list[Line]]:
    customer = rng.choice(CUSTOMERS)
    details = OrderDetails(
        customer_name=customer,
        customer_reference=f"PO-{rng.randrange(10000, 99999)}",
        customer_email=f"purchasing@{customer.split()[0].lower()}.example",
        shipping_address=(
            f"{rng.randrange(1, 200)} Industrial Way\n{rng.randrange(1000, 9999)} Springfield"
        ),
    )
    lines = [
        Line(
            sku=sku,
            description=description,
            quantity=rng.randrange(1, 25),
            unit_price=Decimal(price),
        )
        for sku, description, price in rng.sample(PRODUCTS, rng.randrange(1, 5))
    ]
    return details, lines


# Who does what: staff do the daily work, managers approve, reject, resume and late cancels.
MANAGER_ACTIONS = {"approve", "reject", "resume"}


def seed_orders(
    companies: Company | Sequence[Company],
    count: int,
    *,
    now: dt.datetime,
    days: int = 90,
    seed: int = 2026,
) -> int:
    """Create `count` orders per company through the commands; returns the events written.

    All companies' steps are merged into one timeline, so positions increase with `occurred_at`
    across the whole log. A quarter of the orders start in the last ten days, so the recent ones
    are still in flight and every state shows on the dashboard. Each company first gets its
    customer list and SKUs (`seed_records`, before the first order), and every order is for
    one of those customers.
    """
    companies = [companies] if isinstance(companies, Company) else list(companies)
    queue: list = []
    actors: dict = {}
    picked: dict = {}
    events = 0
    for company in companies:
        manager = User.objects.get(username=f"{company.slug}.manager")
        before = now - dt.timedelta(days=days + 1)
        picked[company.pk], written = seed_records(manager, at=before)
        events += written
    for company in companies:
        rng = random.Random(f"{seed}:{company.slug}")
        actors[company.pk] = (
            User.objects.get(username=f"{company.slug}.staff"),
            User.objects.get(username=f"{company.slug}.manager"),
            rng,
        )
        for index in range(count):
            window = min(days, 10) if rng.random() < 0.25 else days
            start = now - dt.timedelta(seconds=rng.uniform(0, window * 86400))
            plan = order_plan(rng, start)
            heapq.heappush(queue, (*_first(plan), company.slug, index, plan, {"co": company.pk}))
    while queue:
        at, action, data, slug, index, plan, state = heapq.heappop(queue)
        if at > now:
            continue  # the future has not happened yet: the order stays where it is
        staff, manager, rng = actors[state["co"]]
        late_cancel = action == "cancel" and state.get("approved")
        actor = manager if action in MANAGER_ACTIONS or late_cancel else staff
        if action == "place":
            details, lines = order_input(rng)
            customer_id = picked[state["co"]].get(details.customer_name, "")
            details = dataclasses.replace(details, customer_id=customer_id)
            order = commands.place_order(actor=actor, details=details, lines=lines, at=at)
            state.update(id=order.id, version=order.version)
        elif action == "add_note":
            order = commands.add_note(
                state["id"], actor=actor, expected_version=state["version"], at=at, **data
            )
            state["version"] = order.version
        else:
            order = commands.transition(
                state["id"], action, actor=actor, expected_version=state["version"], at=at, **data
            )
            state["version"] = order.version
            state["approved"] = state.get("approved") or action == "approve"
        events += 1
        step = next(plan, None)
        if step is not None:
            heapq.heappush(queue, (*step, slug, index, plan, state))
    return events


def seed_records(manager: User, *, at: dt.datetime) -> tuple[dict[str, str], int]:
    """The manager's company's customers (`CUSTOMERS`, with a reference, a buying address and
    an address) and SKUs (`PRODUCTS`), through the commands at `at`, unless it has customers
    already; returns ({customer name: its id}, events written)."""
    existing = Customer.objects.filter(company_id=manager.company_id)
    if existing.exists():
        return {c.name: str(c.pk) for c in existing}, 0
    ids = {}
    for number, name in enumerate(CUSTOMERS, start=1):
        domain = name.split()[0].lower()
        made = record_commands.create_customer(
            actor=manager,
            details=CustomerDetails(
                name=name,
                reference=f"C-{number:04d}",
                email=f"purchasing@{domain}.example",
                billing_address=f"Accounts payable\n{number} Market Street\nSpringfield",
                shipping_address=f"{number} Industrial Way\nSpringfield",
            ),
            at=at,
        )
        ids[name] = str(made.pk)
    for code, description, price in PRODUCTS:
        record_commands.create_sku(
            actor=manager,
            details=SkuDetails(code=code, description=description, unit_price=Decimal(price)),
            at=at,
        )
    return ids, len(CUSTOMERS) + len(PRODUCTS)


def _first(plan):
    return next(plan)


# Acme's controls after the seeded history: Staff may approve up to 1,000 EUR, orders above
# 10,000 EUR need two different Managers (acme.manager and acme.manager2).
DEMO_CONTROLS = {
    "acme": PolicySettings(staff_limit=Decimal("1000.00"), two_manager_limit=Decimal("10000.00"))
}


def seed_controls(*, now: dt.datetime) -> list[Company]:
    """Record `DEMO_CONTROLS` (by the company's Manager, at `now`) for each company whose policy
    is still the defaults; the companies changed."""
    changed = []
    for slug, settings in DEMO_CONTROLS.items():
        company = Company.objects.filter(slug=slug).first()
        if company is None or policy.policy_in_force(company.pk).version:
            continue
        manager = User.objects.get(username=f"{slug}.manager")
        commands.change_policy(actor=manager, expected_version=0, settings=settings, at=now)
        changed.append(company)
    return changed
