"""Seed the benchmark database (bench/README.md, "What happens", 1): the first orders through
`orders.commands`, the rest decided by `event_for` with the commands' rules and appended."""

import dataclasses
import datetime as dt
import itertools
import random
import time
import uuid
from collections import Counter
from collections.abc import Iterator

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from accounts.demo import DEMO_PASSWORD
from accounts.models import Company, Role, User
from events import store
from events.registry import DomainEvent
from orders import commands, demo
from orders.aggregate import OrderSnapshot, Pending, evolve
from orders.demo import by_manager, order_input, order_plan, order_starts
from orders.events import NoteAdded, OrderChanged, OrderPlaced
from orders.policy import Policy
from orders.validation import clean_fields, clean_order
from projections import engine
from projections.models import ProjectionCheckpoint
from projections.registry import all_projections

CURRENCIES = ["EUR", "USD", "GBP", "CHF"]  # the seeded companies' in turn
NOTE_TEXTS = [
    "Customer called to confirm the quantities.",
    "Invoice address confirmed by e-mail.",
    "Customer asked for delivery before noon.",
    "Warehouse confirmed stock for all lines.",
    "Customer asked for a copy of the order confirmation.",
    "Delivery window agreed with the site manager.",
]
CHANGE_RATE = 0.10  # share of orders whose draft is revised once before the first submit
NOTES_PER_ORDER = 4.5  # brings the demo plan's ~5.5 events per order to ~10
CHUNK = 5000  # events per transaction on the direct path


@dataclasses.dataclass(eq=False)
class PlannedOrder(OrderSnapshot):
    """One order's plan, steps of (when, action, data), on the snapshot `orders.aggregate.evolve`
    moves on, so the commands' guards and the FSM's conditions run on it. A seeded company has
    recorded no policy: `policy` is the defaults, as `orders.policy` reads them."""

    company: int = 0  # index into the seeded companies
    steps: list[tuple[dt.datetime, str, dict]] = dataclasses.field(default_factory=list)
    company_id: object = None
    policy: Policy = dataclasses.field(default_factory=Policy)
    approved: bool = False


def plan_order(rng: random.Random, company: int, start: dt.datetime, now: dt.datetime):
    """`orders.demo.order_plan`'s path up to `now`, plus an occasional draft revision and notes."""
    details, lines = order_input(rng)
    stream_id = uuid.UUID(int=rng.getrandbits(128), version=4)
    steps = list(itertools.takewhile(lambda step: step[0] <= now, order_plan(rng, start)))
    extra = []
    if len(steps) > 1 and steps[1][1] == "submit" and rng.random() < CHANGE_RATE:
        revised = order_input(rng)[1]
        at = start + (steps[1][0] - start) * rng.random()
        extra.append((at, "change", {"details": details, "lines": revised}))
    end = steps[-1][0] if steps[-1][1] in ("deliver", "cancel") else now
    for _ in range(rng.randint(0, round(2 * NOTES_PER_ORDER))):
        at = start + (end - start) * rng.random()
        extra.append((at, "add_note", {"text": rng.choice(NOTE_TEXTS)}))
    steps = [steps[0], *sorted(steps[1:] + extra, key=lambda step: step[0])]
    return PlannedOrder(
        id=stream_id, details=details, lines=tuple(lines), company=company, steps=steps
    )


def timeline(count: int, companies: int, *, now, days: int, seed: int, label: str) -> Iterator:
    """Every step of `count` orders (in turn over the companies) as (when, order, step index),
    started and merged by time as the demo data's (`orders.demo.order_starts`, `timeline`)."""
    rng = random.Random(f"{seed}:{label}")

    def steps(start: dt.datetime, company: int, order_seed: int) -> Iterator:
        order = plan_order(random.Random(order_seed), company, start, now)  # once it starts
        yield from ((at, order, index) for index, (at, _, _) in enumerate(order.steps))

    starts = enumerate(order_starts(rng, count, now=now, days=days))
    plans = [(start, steps(start, i % companies, rng.getrandbits(64))) for i, start in starts]
    return demo.timeline(plans, now=now)


def event_for(order: PlannedOrder, index: int, actor, company: Company) -> DomainEvent:
    """The event `orders.commands` records for step `index` (`order.sequence` set before "place"),
    by the commands' own rules; `order` is moved on. Raises `OrderError` where they would."""
    _, action, data = order.steps[index]
    if action == "place":
        details, lines = clean_order(order.details, order.lines)
        event = OrderPlaced(
            number=commands.order_number(company, order.sequence),
            sequence=order.sequence,
            currency=company.currency,
            details=details,
            lines=lines,
        )
    else:
        commands.check_transition(order, action, actor)
        if action == "change":
            details, lines = clean_order(data["details"], data["lines"])
            event = OrderChanged(details=details, lines=lines)
        elif action == "add_note":
            event = NoteAdded(**clean_fields(data, ("text",)))
        else:
            event = commands.transition_event(order, action, actor, **data)
    evolve(vars(order), Pending(order.version + 1, event))
    order.approved = order.approved or action == "approve"
    return event


def run_command(order: PlannedOrder, index: int, actor) -> None:
    """Step `index` through its `orders.commands` function (after `event_for` moved `order` on)."""
    at, action, data = order.steps[index]
    if action == "place":
        placed = commands.place_order(actor=actor, details=order.details, lines=order.lines, at=at)
        order.id = placed.id
        return
    command = commands.change_order if action == "change" else getattr(commands, action)
    command(order.id, actor=actor, expected_version=order.version - 1, at=at, **data)


def create_companies_and_users(count: int) -> tuple[list[Company], dict[tuple[int, Role], User]]:
    """`count` companies (`co1`, …), one user per role each (`<slug>.<role>`, the demo password)."""
    password = make_password(DEMO_PASSWORD)  # one PBKDF2 run shared by every bench user
    groups = {role: Group.objects.get(name=role.value) for role in Role}
    with transaction.atomic():
        companies = Company.objects.bulk_create(
            Company(name=f"Company {i + 1}", slug=f"co{i + 1}", currency=CURRENCIES[i % 4])
            for i in range(count)
        )
        users = {
            (index, role): User(username=f"{company.slug}.{role.value.lower()}", company=company,
                                first_name=role.value, last_name=company.name, password=password)
            for index, company in enumerate(companies) for role in Role
        }  # fmt: skip
        User.objects.bulk_create(users.values())
        User.groups.through.objects.bulk_create(
            User.groups.through(user_id=user.pk, group_id=groups[role].pk)
            for (_, role), user in users.items()
        )
    return companies, users


def seed(*, companies: int, orders: int, command_orders: int, days=90, seed=2026, log=print):
    """Fill an empty database (migrated here) with `orders` orders, `command_orders` of them
    through the commands, and build the read models. Returns the figures."""
    now = timezone.now().replace(microsecond=0)
    call_command("migrate", verbosity=0, interactive=False)
    company_rows, users = create_companies_and_users(companies)
    command_orders = min(command_orders, orders)
    log(f"seed: {companies} companies, {len(users)} users; {command_orders} orders via commands")
    sequences: Counter = Counter()  # the last order number given out per company

    def planned(label: str, count: int) -> Iterator:  # the label seeds the plans
        return timeline(count, companies, now=now, days=days, seed=seed, label=label)

    def step(order: PlannedOrder, index: int) -> tuple[DomainEvent, User, Company]:
        company = company_rows[order.company]
        if index == 0:
            sequences[company.pk] += 1
            order.sequence = sequences[company.pk]
        role = Role.MANAGER if by_manager(order.steps[index][1], order.approved) else Role.STAFF
        actor = users[(order.company, role)]
        return event_for(order, index, actor, company), actor, company

    commanding, differences, compared = 0.0, [], 0  # seconds in the commands, not the comparing
    for _, order, index in planned("commands", command_orders):
        (event, actor, _), compared = step(order, index), compared + 1
        started = time.perf_counter()
        run_command(order, index, actor)
        commanding += time.perf_counter() - started
        logged = store.read_stream(order.id, up_to_version=order.version)[-1]
        seeded = (event.event_type, event.to_payload(), actor.username)
        recorded = (logged.event_type, logged.data.to_payload(), logged.actor_username)
        if seeded != recorded:
            differences.append(f"{order.number} v{order.version}: {seeded!r}, log {recorded!r}")
    check = {"orders": command_orders, "events_compared": compared,
             "differences": len(differences), "first_differences": differences[:10]}  # fmt: skip
    speed = round(compared / max(commanding, 1e-9), 1)
    figures = {"command_orders": command_orders, "command_seed_events_per_s": speed}
    log(f"seed: commands {speed:,.0f} events/s; the seed decided the same events: "
        f"{compared - len(differences)} of {compared}")  # fmt: skip

    started, events = time.perf_counter(), 0
    ProjectionCheckpoint.objects.update(position=0)  # behind: rebuilt below
    for batch in itertools.batched(planned("fast", orders - command_orders), CHUNK):
        with store.write_transaction():
            for at, order, index in batch:
                version, (event, actor, company) = order.version, step(order, index)
                store.append(
                    order.id, version, [event], company=company, actor=actor, occurred_at=at
                )
        events += len(batch)
        if events % (20 * CHUNK) == 0:
            log(f"seed: {events:,} events appended so far")
    rebuilt = engine.rebuild(all_projections())
    figures["fast_path_events_per_s"] = round(events / (time.perf_counter() - started), 1)
    log(f"seed: direct path {figures['fast_path_events_per_s']:,.0f} events/s, read models "
        f"rebuilt included ({rebuilt.events:,} events in {rebuilt.seconds:.1f} s)")  # fmt: skip
    return {**figures, "fast_path_check": check}
