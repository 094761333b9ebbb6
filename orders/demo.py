"""Demo orders, made through the real commands with an injected clock.

Each order follows a plausible path through the workflow with realistic delays. All orders'
steps are merged by time, so the log reads like a real stretch of work: positions increase with
`occurred_at`, and recent orders are still in early states.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import heapq
import itertools
import random
from collections.abc import Iterable, Iterator, Sequence
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


def by_manager(action: str, approved: bool) -> bool:
    """Who does a step: Managers approve, reject, resume and cancel approved orders; Staff
    users do the daily work."""
    return action in ("approve", "reject", "resume") or (action == "cancel" and approved)


def seed_orders(
    companies: Company | Sequence[Company],
    count: int,
    *,
    now: dt.datetime,
    days: int = 90,
    seed: int = 2026,
) -> int:
    """Create `count` orders per company through the commands, all companies' steps merged by
    time (`timeline`); returns the events written. Each company first gets its customer list
    and SKUs (`seed_records`, before the first order), and every order is for one of those
    customers.
    """
    companies = [companies] if isinstance(companies, Company) else list(companies)
    actors: dict = {}
    picked: dict = {}
    plans = []
    events = 0
    for company in companies:
        manager = User.objects.get(username=f"{company.slug}.manager")
        before = now - dt.timedelta(days=days + 1)
        picked[company.pk], written = seed_records(manager, at=before)
        events += written
    for company in companies:
        rng = random.Random(f"{seed}:{company.slug}")
        staff = User.objects.get(username=f"{company.slug}.staff")
        actors[company.pk] = (staff, User.objects.get(username=f"{company.slug}.manager"), rng)
        for start in order_starts(rng, count, now=now, days=days):
            plans.append((start, _with_state(order_plan(rng, start), {"co": company.pk})))
    for at, action, data, state in timeline(plans, now=now):
        staff, manager, rng = actors[state["co"]]
        actor = manager if by_manager(action, state.get("approved", False)) else staff
        if action == "place":
            details, lines = order_input(rng)
            customer_id = picked[state["co"]].get(details.customer_name, "")
            details = dataclasses.replace(details, customer_id=customer_id)
            order = commands.place_order(actor=actor, details=details, lines=lines, at=at)
        elif action == "add_note":
            order = commands.add_note(
                state["id"], actor=actor, expected_version=state["version"], at=at, **data
            )
        else:
            order = commands.transition(
                state["id"], action, actor=actor, expected_version=state["version"], at=at, **data
            )
            state["approved"] = state.get("approved") or action == "approve"
        state.update(id=order.id, version=order.version)
        events += 1
    return events


def order_starts(
    rng: random.Random, count: int, *, now: dt.datetime, days: int
) -> list[dt.datetime]:
    """When `count` orders start: a quarter in the last ten days (still in flight, so every
    state shows on the dashboard), the rest over the whole window of `days`."""
    starts = []
    for _ in range(count):
        window = min(days, 10) if rng.random() < 0.25 else days
        starts.append(now - dt.timedelta(seconds=rng.uniform(0, window * 86400)))
    return starts


def timeline(
    plans: Iterable[tuple[dt.datetime, Iterator[tuple]]], *, now: dt.datetime
) -> Iterator[tuple]:
    """The steps of many orders merged by time up to `now`, so positions in the log increase
    with `occurred_at`. `plans`: (start, steps) per order, each step a tuple whose first item
    is its time. An order's next step is drawn only after the caller has handled the one
    before (plans may share a random generator with the caller), and only once its start has
    come up; a step after `now` ends its order. Memory holds only the open orders."""
    heap: list = []
    tie = itertools.count()

    def push(steps: Iterator[tuple]) -> None:
        step = next(steps, None)
        if step is not None and step[0] <= now:
            heapq.heappush(heap, (step[0], next(tie), step, steps))

    for start, steps in [*sorted(plans, key=lambda plan: plan[0]), (None, None)]:
        while heap and (start is None or heap[0][0] < start):
            *_, step, pending = heapq.heappop(heap)
            yield step
            push(pending)
        if steps is not None:
            push(steps)


def _with_state(steps: Iterator[tuple], state: dict) -> Iterator[tuple]:
    for step in steps:
        yield (*step, state)


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
